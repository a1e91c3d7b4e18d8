/**
 * Issue #13, lifecycle events by webhook, over real HTTP: the server's admin API registers endpoints, real
 * changes and a real sign-in emit events, and a receiver written with the Standard Webhooks library verifies
 * every delivery. The outbox survives a restart between emit and send (two server instances on one SQLite
 * file), and a receiver whose port refuses connections for a while gets everything afterwards, in order per
 * connection.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { generateKeyPair } from '../../src/core/keys.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { adminApi, metadataWith, signInAsAlice } from './helpers.ts';

const TOKEN = 'webhook-admin-token-0123456789';
let certificatePem: string;

beforeAll(async () => {
  certificatePem = (await generateKeyPair({ commonName: 'idp.events.test' })).certificatePem;
}, 60_000);

function idp(name: string): string {
  return metadataWith(`https://${name}.events.test/idp`, [certificatePem]);
}

interface Endpoint {
  id: string;
  url: string;
  secret?: string;
  eventTypes: string[];
}
interface Delivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  connectionId?: string;
  status: string;
  attempts: number;
  log?: Array<{ attempt: number; statusCode?: number; durationMs: number; error?: string }>;
}

describe('webhooks on one server', () => {
  let t: TestServer;
  let receiver: WebhookReceiver;
  let filtered: WebhookReceiver;
  let api: ReturnType<typeof adminApi>;
  let filteredId: string | undefined;

  beforeAll(async () => {
    t = await startTestServer({ ADMIN_TOKEN: TOKEN, WEBHOOK_TICK_MS: '100' });
    api = adminApi(t.baseUrl, TOKEN);
    receiver = await startWebhookReceiver();
    filtered = await startWebhookReceiver();
  }, 60_000);
  afterAll(async () => {
    await receiver?.stop();
    await filtered?.stop();
    await t?.close();
  });

  it('delivers every event, signed so that the Standard Webhooks library verifies it; filters per endpoint', async () => {
    const created = await api<Endpoint>('POST', '/webhooks', {
      url: receiver.url,
      description: 'all events',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    receiver.secret = created.body.secret;
    const onlyDeletes = await api<Endpoint>('POST', '/webhooks', {
      url: filtered.url,
      eventTypes: ['connection.deleted'],
    });
    filtered.secret = onlyDeletes.body.secret;
    filteredId = onlyDeletes.body.id;
    // The secret is shown once: never in a listing or a read.
    const listed = await api<Endpoint[]>('GET', '/webhooks');
    expect(listed.body.map((e) => e.id)).toEqual([created.body.id, onlyDeletes.body.id]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect(JSON.stringify((await api('GET', `/webhooks/${created.body.id}`)).body)).not.toContain('whsec_');
    expect((await api('POST', '/webhooks', { url: 'ftp://x', eventTypes: ['nope'] })).status).toBe(400);

    // A listener that throws must not break a sign-in.
    const seen: string[] = [];
    t.server.sp.events.on('signin.succeeded', () => {
      throw new Error('a broken listener');
    });
    t.server.sp.events.on('*', (event) => {
      seen.push(event.type);
    });

    expect((await api('POST', '/connections', { id: 'acme', metadataXml: idp('acme') })).status).toBe(201);
    expect((await api('PATCH', '/connections/acme', { displayName: 'Acme Corp' })).status).toBe(200);
    await signInAsAlice(t.baseUrl);
    expect((await api('DELETE', '/connections/acme')).status).toBe(204);

    await receiver.waitFor((r) => r.length >= 5);
    await filtered.waitFor((r) => r.length >= 1);
    expect(receiver.rejected).toEqual([]);
    expect(filtered.rejected).toEqual([]);
    const types = receiver.received.map((r) => r.event.type);
    expect(types.filter((ty) => ty.startsWith('connection.'))).toEqual([
      'connection.created',
      'connection.updated',
      'connection.deleted',
    ]);
    expect(types.filter((ty) => !ty.startsWith('connection.'))).toEqual([
      'user.provisioned',
      'signin.succeeded',
    ]);
    expect(filtered.received.map((r) => r.event.type)).toEqual(['connection.deleted']);
    expect(seen).toEqual(
      expect.arrayContaining(['connection.created', 'signin.succeeded', 'connection.deleted']),
    );

    for (const { webhookId, event, raw } of receiver.received) {
      expect(webhookId).toBe(event.id);
      expect(event.id).toMatch(/^evt_/);
      expect(event.version).toBe(1);
      expect(Date.parse(event.timestamp)).not.toBeNaN();
      // Ids and facts only: no secret, no SAML message, no session cookie.
      expect(raw).not.toMatch(/whsec_|SAMLResponse|saml_sp_session|BEGIN CERTIFICATE/);
    }
    const updated = receiver.received.find((r) => r.event.type === 'connection.updated');
    expect(updated?.event.data).toEqual({
      connectionId: 'acme',
      // A connection created without an organization gets one of its own, with its id.
      organizationId: 'acme',
      fields: ['displayName'],
      actor: 'admin-token:bootstrap',
    });
    const signIn = receiver.received.find((r) => r.event.type === 'signin.succeeded');
    expect(signIn?.event.data).toMatchObject({ connectionId: 'dev', userId: expect.any(String) });

    // The delivery log.
    const deliveries = await api<Delivery[]>('GET', `/webhooks/deliveries?endpointId=${created.body.id}`);
    expect(deliveries.body).toHaveLength(5);
    expect(deliveries.body.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    const one = await api<Delivery>('GET', `/webhooks/deliveries/${deliveries.body[0]?.id}`);
    expect(one.body.log).toEqual([
      { attempt: 1, at: expect.any(String), statusCode: 204, durationMs: expect.any(Number) },
    ]);
  });

  it('sends a delivery again on request, with the same webhook-id', async () => {
    const [last] = (await api<Delivery[]>('GET', '/webhooks/deliveries?limit=1')).body;
    const before = receiver.received.length + filtered.received.length;
    const again = await api<Delivery>('POST', `/webhooks/deliveries/${last?.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('pending');
    // The same event went to both endpoints (same webhook-id); this message is the filtered endpoint's.
    const target = last?.endpointId === filteredId ? filtered : receiver;
    await target.waitFor((r) => r.filter((d) => d.webhookId === last?.eventId).length === 2);
    expect(receiver.received.length + filtered.received.length).toBe(before + 1);
    const log = (await api<Delivery>('GET', `/webhooks/deliveries/${last?.id}`)).body.log ?? [];
    expect(log.map((a) => a.attempt)).toEqual([1, 2]);
    expect((await api('POST', '/webhooks/deliveries/msg_unknown/redeliver')).status).toBe(404);
  });
});

describe('the outbox across a restart', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  const servers: AppServer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-outbox-'));
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(async () => {
    await receiver?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<{ server: AppServer; baseUrl: string }> {
    const port = await freePort();
    const config = loadConfig(
      {
        PORT: String(port),
        DATABASE_URL: `sqlite:${path.join(dir, 'shared.db')}`,
        CERTS_DIR: path.join(dir, 'certs'),
        ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...env,
      },
      { cwd: dir },
    );
    const server = await createAppServer(config);
    servers.push(server);
    await server.listen(port, '127.0.0.1');
    return { server, baseUrl: config.baseUrl };
  }

  it('delivers after a restart what was emitted before it and never sent', async () => {
    // First instance: its delivery worker would first look in an hour, so nothing is sent before it stops.
    const first = await start({ WEBHOOK_TICK_MS: '3600000' });
    const api = adminApi(first.baseUrl, TOKEN);
    const endpoint = await api<Endpoint>('POST', '/webhooks', { url: receiver.url });
    receiver.secret = endpoint.body.secret;
    await api('POST', '/connections', { id: 'globex', metadataXml: idp('globex') });
    await api('PATCH', '/connections/globex', { displayName: 'Globex' });
    await api('PATCH', '/connections/globex', { displayName: 'Globex Corporation' });
    expect(await first.server.webhooks.depth()).toBe(3);
    await first.server.close();
    servers.splice(0);
    expect(receiver.received).toEqual([]);

    // A new instance on the same database file sends them, in order.
    const second = await start({ WEBHOOK_TICK_MS: '100' });
    await receiver.waitFor((r) => r.length >= 3);
    expect(receiver.rejected).toEqual([]);
    expect(
      receiver.received.map((r) => [r.event.type, (r.event.data as { fields?: string[] }).fields]),
    ).toEqual([
      ['connection.created', undefined],
      ['connection.updated', ['displayName']],
      ['connection.updated', ['displayName']],
    ]);
    expect(await second.server.webhooks.depth()).toBe(0);
  }, 60_000);
});

describe('a receiver that is down', () => {
  let t: TestServer;
  let receiver: WebhookReceiver;
  let api: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    // Backoff shortened (0.3 s doubling to at most 1.5 s) so that "down for a minute" fits a test run.
    t = await startTestServer({
      ADMIN_TOKEN: TOKEN,
      DEV_IDP: 'off',
      WEBHOOK_TICK_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '300',
      WEBHOOK_RETRY_MAX_MS: '1500',
    });
    api = adminApi(t.baseUrl, TOKEN);
    receiver = await startWebhookReceiver();
  }, 60_000);
  afterAll(async () => {
    await receiver?.stop();
    await t?.close();
  });

  it('gets everything once it is back, in order per connection', async () => {
    const endpoint = await api<Endpoint>('POST', '/webhooks', { url: receiver.url });
    receiver.secret = endpoint.body.secret;
    await receiver.stop(); // the port now refuses connections

    const emitted: Record<string, string[]> = { north: [], south: [] };
    for (const id of ['north', 'south']) {
      await api('POST', '/connections', { id, metadataXml: idp(id) });
      emitted[id]?.push('created');
    }
    for (let i = 1; i <= 4; i++) {
      for (const id of ['north', 'south']) {
        await api('PATCH', `/connections/${id}`, { displayName: `${id} v${i}` });
        emitted[id]?.push(`v${i}`);
      }
    }
    // Down for a while: the first message of each connection is retried with backoff, the rest wait behind it.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const pending = (await api<Delivery[]>('GET', '/webhooks/deliveries?status=pending')).body;
    expect(pending).toHaveLength(10);
    const heads = pending.filter((d) => d.attempts > 0);
    expect(heads.map((d) => d.connectionId).sort()).toEqual(['north', 'south']);
    for (const head of heads) {
      expect(head.attempts).toBeGreaterThanOrEqual(3);
      const log = (await api<Delivery>('GET', `/webhooks/deliveries/${head.id}`)).body.log ?? [];
      expect(log.every((a) => a.error === 'ECONNREFUSED' && a.statusCode === undefined)).toBe(true);
    }
    expect(receiver.received).toEqual([]);

    await receiver.start(); // same port
    await receiver.waitFor((r) => r.length >= 10, 30_000);
    expect(receiver.rejected).toEqual([]);
    for (const id of ['north', 'south']) {
      const got = receiver.received
        .filter((r) => (r.event.data as { connectionId?: string }).connectionId === id)
        .map((r) => r.event.type);
      expect(got).toEqual([
        'connection.created',
        'connection.updated',
        'connection.updated',
        'connection.updated',
        'connection.updated',
      ]);
    }
    // In order per connection: the order the events were emitted in (webhook-ids are in outbox order).
    const all = (await api<Delivery[]>('GET', '/webhooks/deliveries?limit=100')).body.reverse();
    for (const id of ['north', 'south']) {
      const expected = all.filter((d) => d.connectionId === id).map((d) => d.eventId);
      const actual = receiver.received
        .filter((r) => (r.event.data as { connectionId?: string }).connectionId === id)
        .map((r) => r.webhookId);
      expect(actual).toEqual(expected);
    }
    expect(all.every((d) => d.status === 'delivered')).toBe(true);
    // Messages held behind a failing one were never tried while the receiver was down.
    expect(all.filter((d) => d.attempts === 1)).toHaveLength(8);
  }, 90_000);
});
