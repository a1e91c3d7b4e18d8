/**
 * The event bus and the ServiceProvider's emit points: listeners and a broken outbox never change the
 * caller's outcome, endpoint filters pick what is queued, and sign-in events carry ids and codes only
 * (failures before the signature verified are rate-limited per connection).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  EventBus,
  filterMatches,
  resolveRetryPolicy,
  retryDelay,
  type SamlSpEvent,
  WebhookService,
} from '../../src/events/index.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { MemoryWebhookStore } from '../../src/store/memory/events.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import {
  buildConnection,
  buildResponse,
  FIXED_NOW,
  SP_ENTITY_ID,
  testKey,
} from '../fixtures/build-response.ts';

function logger() {
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  return { lines, warn: (event: string, fields?: Record<string, unknown>) => lines.push([event, fields]) };
}

describe('EventBus', () => {
  it('a throwing or rejecting listener is logged; emit resolves and the other listeners run', async () => {
    const log = logger();
    const bus = new EventBus({ logger: log });
    const got: string[] = [];
    bus.on('connection.deleted', () => {
      throw new Error('sync boom');
    });
    bus.on('connection.deleted', async () => {
      throw new Error('async boom');
    });
    bus.on('connection.deleted', (event) => {
      got.push(event.data.connectionId);
    });
    const off = bus.on('*', (event) => {
      got.push(event.type);
    });
    const event = await bus.emit('connection.deleted', { connectionId: 'acme', actor: 'cli:cli' });
    await bus.settled();
    expect(event).toMatchObject({
      type: 'connection.deleted',
      version: 1,
      id: expect.stringMatching(/^evt_/),
    });
    expect(got).toEqual(['acme', 'connection.deleted']);
    expect(log.lines.map(([name]) => name)).toEqual(['events.listener_failed', 'events.listener_failed']);
    off();
    await bus.emit('connection.deleted', { connectionId: 'x', actor: 'cli:cli' });
    await bus.settled();
    expect(got).toEqual(['acme', 'connection.deleted', 'x']);
  });

  it('an outbox that cannot be written is logged and the event still reaches listeners', async () => {
    const log = logger();
    const outbox = new MemoryWebhookStore();
    outbox.listEndpoints = async () => {
      throw new Error('database is down');
    };
    const bus = new EventBus({ outbox, logger: log });
    let heard = 0;
    bus.on('admin.signed_in', () => {
      heard++;
    });
    await expect(bus.emit('admin.signed_in', { actor: 'ADMIN_TOKEN', via: 'page' })).resolves.toBeDefined();
    await bus.settled();
    expect(heard).toBe(1);
    expect(log.lines.map(([name]) => name)).toEqual(['events.outbox_failed']);
  });

  it('queues an event for each enabled endpoint whose filter matches', async () => {
    const outbox = new MemoryWebhookStore();
    const bus = new EventBus({ outbox });
    const service = new WebhookService({ store: outbox, events: bus });
    const all = await service.create({ url: 'https://a.example.test/' });
    const certs = await service.create({ url: 'https://b.example.test/', eventTypes: ['certificate.*'] });
    const off = await service.create({ url: 'https://c.example.test/', enabled: false });
    await bus.emit('connection.created', { connectionId: 'acme', actor: 'cli:cli' });
    await bus.emit('certificate.expired', {
      connectionId: 'acme',
      fingerprintSha256: 'AA',
      subject: 'CN=x',
      notAfter: '2026-01-01T00:00:00.000Z',
      daysLeft: 0,
    });
    const queued = (await service.deliveries()).map((d) => [d.endpointId, d.eventType]).sort();
    expect(queued).toEqual(
      [
        [all.endpoint.id, 'certificate.expired'],
        [all.endpoint.id, 'connection.created'],
        [certs.endpoint.id, 'certificate.expired'],
      ].sort(),
    );
    expect(queued.some(([id]) => id === off.endpoint.id)).toBe(false);
    expect(filterMatches(['signin.*'], 'signin.failed')).toBe(true);
    expect(filterMatches(['signin.*'], 'session.ended')).toBe(false);
    expect(filterMatches([], 'session.ended')).toBe(true);
  });
});

describe('retry policy', () => {
  it('doubles from the base, caps at the maximum, and spreads by the jitter', () => {
    const p = resolveRetryPolicy({ baseMs: 1000, maxDelayMs: 10_000, jitter: 0.2 });
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, p, mid))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(retryDelay(1, p, () => 0)).toBe(800);
    expect(retryDelay(1, p, () => 0.999_999)).toBe(1200);
    expect(retryDelay(3, DEFAULT_RETRY_POLICY, mid)).toBe(20_000);
    expect(() => resolveRetryPolicy({ baseMs: 0 })).toThrow(TypeError);
    expect(() => resolveRetryPolicy({ jitter: 1 })).toThrow(TypeError);
  });
});

describe('sign-in events', () => {
  async function setup() {
    const stores = createMemoryStores();
    await stores.connections.put(buildConnection({ policy: { allowIdpInitiated: true } }));
    const key = testKey('sp');
    const pair = { privateKeyPem: key.keyPem, certificatePem: key.certPem };
    let now = FIXED_NOW;
    const sp = new ServiceProvider({
      baseUrl: 'https://sp.example.com',
      entityId: SP_ENTITY_ID,
      keys: { signing: pair, encryption: pair },
      stores,
      now: () => now,
    });
    const events: SamlSpEvent[] = [];
    sp.events.on('*', (e) => {
      events.push(e);
    });
    return { sp, events, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
  }

  it('a successful sign-in provisions, then updates only when the profile changed', async () => {
    const { sp, events, advance } = await setup();
    await sp.acs('acme', { samlResponse: await buildResponse({ inResponseTo: null }) });
    advance(60_000);
    await sp.acs('acme', {
      samlResponse: await buildResponse({
        inResponseTo: null,
        assertionId: '_a2',
        now: new Date(FIXED_NOW.getTime() + 60_000),
      }),
    });
    advance(60_000);
    await sp.acs('acme', {
      samlResponse: await buildResponse({
        inResponseTo: null,
        assertionId: '_a3',
        now: new Date(FIXED_NOW.getTime() + 120_000),
        attributes: [{ name: 'email', values: ['alice@new.example.com'] }],
      }),
    });
    await sp.events.settled();
    expect(events.map((e) => e.type)).toEqual([
      'user.provisioned',
      'signin.succeeded',
      'signin.succeeded',
      'user.updated',
      'signin.succeeded',
    ]);
    const updated = events.find((e) => e.type === 'user.updated');
    expect(updated?.data).toMatchObject({ connectionId: 'acme', changed: expect.arrayContaining(['email']) });
    expect(JSON.stringify(events)).not.toContain('SAMLResponse');
  });

  it('failures carry the code; unverified ones at most once a minute per connection; unknown connections none', async () => {
    const { sp, events, advance } = await setup();
    for (let i = 0; i < 3; i++) {
      await expect(sp.acs('acme', { samlResponse: 'not base64 at all <' })).rejects.toMatchObject({
        code: 'SAML_MALFORMED',
      });
    }
    await expect(sp.acs('nope', { samlResponse: 'x' })).rejects.toMatchObject({
      code: 'SAML_CONNECTION_NOT_FOUND',
    });
    await expect(
      sp.acs('acme', {
        samlResponse: await buildResponse({ inResponseTo: null, audience: 'https://other.example' }),
      }),
    ).rejects.toMatchObject({ code: 'SAML_AUDIENCE_MISMATCH' });
    advance(61_000);
    await expect(sp.acs('acme', { samlResponse: 'garbage' })).rejects.toMatchObject({
      code: 'SAML_MALFORMED',
    });
    await sp.events.settled();
    expect(events.map((e) => e.data)).toEqual([
      { connectionId: 'acme', code: 'SAML_MALFORMED', signatureVerified: false },
      { connectionId: 'acme', code: 'SAML_AUDIENCE_MISMATCH', signatureVerified: true },
      { connectionId: 'acme', code: 'SAML_MALFORMED', signatureVerified: false },
    ]);
  });
});
