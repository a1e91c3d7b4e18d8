/**
 * Issue #13 below HTTP: what the ConnectionService records in the audit log (and what it leaves out), the
 * redaction of secrets, the admin identities (bootstrap, named, revoked, last use), the metadata refresh
 * counter on a real OpenTelemetry SDK, and the trace ID in log lines.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { beforeEach, describe, expect, it } from 'vitest';
import { AdminIdentities, AuditLog, REDACTED, redactForAudit } from '../../src/audit/index.ts';
import { SamlSpError } from '../../src/core/errors.ts';
import { logContext, setTraceId } from '../../src/http/log-context.ts';
import { createLogger } from '../../src/http/logger.ts';
import { createSpMetrics } from '../../src/metrics/index.ts';
import type { Actor } from '../../src/sp/change-context.ts';
import { ConnectionService } from '../../src/sp/connection-service.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { idpMetadataXml } from '../sp/metadata-builder.ts';

const URL_A = 'https://idp.acme.test/metadata';
const alice: Actor = { kind: 'admin-token', name: 'alice' };

/** A reader we collect from on demand. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let clock: Date;
let served: string | Error;
let audit: AuditLog;
let reader: CollectingReader;
let service: ConnectionService;

beforeEach(() => {
  clock = new Date('2027-01-01T00:00:00Z');
  served = idpMetadataXml({ keys: ['idp'] });
  reader = new CollectingReader();
  const keys = testKeyPair('sp');
  const sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com',
    keys: { signing: keys, encryption: keys },
    stores: createMemoryStores(),
    now: () => clock,
    metrics: createSpMetrics(new MeterProvider({ readers: [reader] })),
  });
  audit = new AuditLog({ now: () => clock });
  service = new ConnectionService({
    sp,
    audit,
    fetchMetadata: async (url) => {
      if (url !== URL_A) throw new SamlSpError('SAML_METADATA_INVALID', `unknown ${url}`);
      if (served instanceof Error) throw served;
      return served;
    },
  });
});

describe('ConnectionService records admin actions', () => {
  it('create, update, remove: actor, target, before and after', async () => {
    await service.create(
      { id: 'acme', metadataUrl: URL_A, attributeMapping: { email: ['mail'] } },
      { actor: alice },
    );
    await service.update('acme', { attributeMapping: { email: ['emailAddress'] } }, { actor: alice });
    await service.remove('acme');
    const entries = await audit.list();
    expect(entries.map((e) => [e.action, e.actor.name])).toEqual([
      ['connection.created', 'alice'],
      ['connection.updated', 'alice'],
      // No context: recorded anyway, under the unknown system actor.
      ['connection.removed', 'unknown'],
    ]);
    const [created, updated, removed] = entries;
    expect(created?.before).toBeUndefined();
    expect(created?.after).toMatchObject({ id: 'acme', metadataUrl: URL_A });
    expect(updated?.before).toMatchObject({ attributeMapping: { email: ['mail'] } });
    expect(updated?.after).toMatchObject({ attributeMapping: { email: ['emailAddress'] } });
    expect(removed?.before).toMatchObject({ attributeMapping: { email: ['emailAddress'] } });
    expect(removed?.after).toBeUndefined();
    expect(entries.every((e) => e.target.type === 'connection' && e.target.id === 'acme')).toBe(true);
  });

  it('a failed change records nothing', async () => {
    await expect(service.update('nope', { displayName: 'x' }, { actor: alice })).rejects.toThrow();
    await expect(service.remove('nope', { actor: alice })).rejects.toThrow();
    expect(await audit.list()).toEqual([]);
  });

  it('records refreshes an actor asked for, not the scheduler’s own; counts every refresh', async () => {
    await service.create({ id: 'acme', metadataUrl: URL_A });
    await service.refresh('acme');
    served = idpMetadataXml({ keys: ['idp', 'idp-next'] });
    await service.refresh('acme', { actor: alice });
    served = new Error('down');
    await service.refresh('acme', { actor: alice });
    const refreshes = (await audit.list()).filter((e) => e.action === 'connection.metadata_refreshed');
    expect(refreshes).toHaveLength(2);
    expect(refreshes[0]?.after).toMatchObject({ ok: true, changed: true });
    expect(refreshes[1]?.after).toMatchObject({ ok: false });

    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'saml_sp.metadata.refreshes');
    const points = (metric?.dataPoints ?? []).map((p) => [p.attributes, p.value]);
    expect(points).toEqual(
      expect.arrayContaining([
        [{ connection: 'acme', outcome: 'success', changed: false }, 1],
        [{ connection: 'acme', outcome: 'success', changed: true }, 1],
        [{ connection: 'acme', outcome: 'failure', changed: false }, 1],
      ]),
    );
  });
});

describe('the events room’s hooks', () => {
  it('counts webhook deliveries and reads the outbox depth at each collection until unregistered', async () => {
    const hookReader = new CollectingReader();
    const metrics = createSpMetrics(new MeterProvider({ readers: [hookReader] }));
    let depth = 7;
    const stop = metrics.observeOutboxDepth(async () => depth);
    metrics.webhookDeliveries.add(1, { event_type: 'connection.updated', outcome: 'delivered' });
    const read = async (name: string) =>
      (await hookReader.collect()).resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .find((m) => m.descriptor.name === name)
        ?.dataPoints.map((p) => p.value);
    expect(await read('saml_sp.webhook.outbox_depth')).toEqual([7]);
    depth = 2;
    expect(await read('saml_sp.webhook.outbox_depth')).toEqual([2]);
    expect(await read('saml_sp.webhook.deliveries')).toEqual([1]);
    stop();
    depth = 9;
    // The SDK may repeat the last value it saw; the reader is no longer asked.
    expect((await read('saml_sp.webhook.outbox_depth')) ?? []).not.toContain(9);
  });
});

describe('redactForAudit', () => {
  it('hides secrets at any depth, digests bulky texts, keeps the rest', () => {
    const out = redactForAudit({
      name: 'acme',
      clientSecret: 's3cret',
      nested: [{ token: 't', password: 'p', privateKeyPem: 'k', keep: 1 }],
      metadataXml: '<EntityDescriptor/>',
      signingCertificates: [{ pem: '-----BEGIN CERTIFICATE-----', fingerprintSha256: 'AA:BB' }],
      at: new Date('2027-01-01T00:00:00Z'),
      gone: undefined,
    });
    expect(out).toEqual({
      name: 'acme',
      clientSecret: REDACTED,
      nested: [{ token: REDACTED, password: REDACTED, privateKeyPem: REDACTED, keep: 1 }],
      metadataXml: expect.stringMatching(/^\[19 chars, sha256 [0-9a-f]{16}…\]$/),
      signingCertificates: [{ pem: expect.stringMatching(/^\[27 chars/), fingerprintSha256: 'AA:BB' }],
      at: '2027-01-01T00:00:00.000Z',
    });
    expect(JSON.stringify(out)).not.toMatch(/s3cret|BEGIN/);
  });
});

describe('AdminIdentities', () => {
  it('knows the bootstrap and live named tokens, refuses revoked ones, and notes the last use sparingly', async () => {
    let now = new Date('2027-01-01T00:00:00Z');
    const identities = new AdminIdentities({
      bootstrapToken: 'bootstrap-token-0123456789',
      audit,
      now: () => now,
    });
    expect(await identities.authenticate('bootstrap-token-0123456789')).toEqual({
      actor: { kind: 'admin-token', name: 'bootstrap' },
    });
    expect(await identities.authenticate(undefined)).toBeUndefined();
    expect(await identities.authenticate('')).toBeUndefined();

    const ci = await identities.create({ name: 'ci' }, { actor: alice });
    expect(ci.createdBy).toBe('alice');
    expect(await identities.authenticate(ci.token)).toEqual({
      actor: { kind: 'admin-token', name: 'ci' },
      tokenId: ci.id,
    });
    expect((await identities.list())[0]?.lastUsedAt).toBe(now.toISOString());
    const first = now;
    now = new Date(first.getTime() + 30_000);
    await identities.authenticate(ci.token);
    expect((await identities.list())[0]?.lastUsedAt).toBe(first.toISOString());
    now = new Date(first.getTime() + 61_000);
    await identities.authenticate(ci.token);
    expect((await identities.list())[0]?.lastUsedAt).toBe(now.toISOString());

    expect(await identities.isLive(ci.id)).toBe(true);
    await identities.revoke(ci.id, { actor: alice });
    expect(await identities.authenticate(ci.token)).toBeUndefined();
    expect(await identities.isLive(ci.id)).toBe(false);
    // A revoked name may be given to a new token.
    expect((await identities.create({ name: 'ci' })).name).toBe('ci');
  });

  it('refuses bad names with ADMIN_INVALID_REQUEST, and is unconfigured with neither bootstrap nor a live token', async () => {
    const identities = new AdminIdentities();
    expect(await identities.configured()).toBe(false);
    await expect(identities.create({ name: '<script>' })).rejects.toMatchObject({
      code: 'ADMIN_INVALID_REQUEST',
    });
    await expect(identities.create({ name: '' })).rejects.toMatchObject({ code: 'ADMIN_INVALID_REQUEST' });
    const t = await identities.create({ name: 'ops' });
    expect(await identities.configured()).toBe(true);
    await identities.revoke(t.id);
    expect(await identities.configured()).toBe(false);
  });
});

describe('log lines carry the request’s trace ID', () => {
  it('inside a request context once set, and not outside', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    logger.info('outside');
    await new Promise<void>((resolve) => {
      logContext()({} as never, {} as never, () => {
        logger.info('before');
        setTraceId('trace-123');
        setTimeout(() => {
          logger.warn('later, in a callback');
          logger.info('own', { traceId: 'explicit' });
          resolve();
        }, 1);
      });
    });
    setTraceId('ignored outside a request');
    logger.info('after');
    expect(lines.map((l) => [l.event, l.traceId])).toEqual([
      ['outside', undefined],
      ['before', undefined],
      ['later, in a callback', 'trace-123'],
      ['own', 'explicit'],
      ['after', undefined],
    ]);
  });
});
