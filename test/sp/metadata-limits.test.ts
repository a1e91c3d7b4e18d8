/**
 * Issue #16 item 6: the metadata size limit is a per-connection setting (policy.metadataMaxBytes). The default
 * (1 MiB document, 5 MiB download) refuses a 15 MB federation aggregate with SAML_MESSAGE_TOO_LARGE and a hint
 * naming the setting; a connection that raises it imports one IdP from the aggregate and stores only that
 * entity. Downloads come from a real loopback HTTP server through the default fetchMetadata.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionService } from '../../src/sp/connection-service.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { aggregateEntityId, federationAggregateXml, TARGET_INDEX } from '../fixtures/federation-aggregate.ts';
import { idpMetadataXml } from './metadata-builder.ts';

const MIB = 1024 * 1024;
const FEED = federationAggregateXml(); // 10,000 entities, about 15 MB
const SMALL_FEED = federationAggregateXml({ entities: 1_000 }); // about 1.5 MB: over the default, under 5 MiB
const WANTED = aggregateEntityId(TARGET_INDEX);

let server: Server;
let base: string;
let service: ConnectionService;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(req.url === '/feed.xml' ? FEED : req.url === '/small-feed.xml' ? SMALL_FEED : idpMetadataXml());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => {
  const keys = testKeyPair('sp');
  const sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com',
    keys: { signing: keys, encryption: keys },
    stores: createMemoryStores(),
    now: () => new Date('2026-12-02T00:00:00Z'),
  });
  service = new ConnectionService({ sp });
});

async function refusal(
  p: Promise<unknown>,
): Promise<{ code: string; hint?: string; details?: Record<string, unknown> }> {
  return p.then(
    () => ({ code: 'accepted' }),
    (err: { code: string; hint?: string; details?: Record<string, unknown> }) => err,
  );
}

describe('the default limits', () => {
  it('refuse the 15 MB aggregate from a URL (download cap) and as text (document limit), naming the setting', async () => {
    const byUrl = await refusal(
      service.create({ id: 'a', metadataUrl: `${base}/feed.xml`, idpEntityId: WANTED }),
    );
    expect(byUrl.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(byUrl.hint).toContain('policy.metadataMaxBytes');
    expect(byUrl.details).toMatchObject({ maxBytes: 5 * MIB, setting: 'policy.metadataMaxBytes' });

    const byText = await refusal(service.create({ id: 'b', metadataXml: FEED, idpEntityId: WANTED }));
    expect(byText.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(byText.hint).toContain('policy.metadataMaxBytes');
    expect(byText.details).toMatchObject({ size: FEED.length, maxBytes: MIB });
    expect(await service.list()).toEqual([]);
  });

  it('refuse a 1.5 MB aggregate after downloading it (the document limit is 1 MiB)', async () => {
    const r = await refusal(
      service.create({ id: 'a', metadataUrl: `${base}/small-feed.xml`, idpEntityId: WANTED }),
    );
    expect(r.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(r.details).toMatchObject({ maxBytes: MIB, setting: 'policy.metadataMaxBytes' });
  });

  it('still accept ordinary metadata', async () => {
    const c = await service.create({ id: 'plain', metadataUrl: `${base}/idp.xml` });
    expect(c.policy.metadataMaxBytes).toBeUndefined();
    expect((await service.view(c)).metadata).toMatchObject({
      maxBytes: MIB,
      downloadBytes: 5 * MIB,
      aggregate: null,
    });
  });
});

describe('a raised limit', () => {
  it('imports one IdP from the 15 MB aggregate and keeps only that entity', async () => {
    const c = await service.create({
      id: 'fed',
      metadataUrl: `${base}/feed.xml`,
      idpEntityId: WANTED,
      policy: { metadataMaxBytes: 32 * MIB },
    });
    expect(c.idpEntityId).toBe(WANTED);
    expect(c.ssoEndpoints.map((e) => e.location)).toContain(
      `https://idp${TARGET_INDEX}.example.edu/idp/profile/SAML2/Redirect/SSO`,
    );
    expect(c.signingCertificates).toHaveLength(1);
    expect(c.metadataXml!.length).toBeLessThan(4000);
    expect(c.metadataStatus?.aggregate).toEqual({ bytes: FEED.length, entityCount: 10_000 });
    const view = await service.view(c);
    expect(view.metadata).toMatchObject({ maxBytes: 32 * MIB, downloadBytes: 32 * MIB });
    expect(view.lint.map((l) => l.id)).toContain('metadata-aggregate');

    // A refresh downloads the whole feed again under the same limit.
    const outcome = await service.refresh('fed');
    expect(outcome.ok).toBe(true);
    expect(outcome.connection.metadataXml!.length).toBeLessThan(4000);
  });

  it('can be set on an existing connection by PATCH, and null goes back to the default', async () => {
    await service.create({ id: 'later', displayName: 'Later' });
    const refused = await refusal(
      service.update('later', { metadataUrl: `${base}/small-feed.xml`, idpEntityId: WANTED }),
    );
    expect(refused.code).toBe('SAML_MESSAGE_TOO_LARGE');
    // The limit and the URL in one change: the new limit applies to that download.
    const raised = await service.update('later', {
      metadataUrl: `${base}/small-feed.xml`,
      idpEntityId: aggregateEntityId(500),
      policy: { metadataMaxBytes: 4 * MIB },
    });
    expect(raised.idpEntityId).toBe(aggregateEntityId(500));
    expect(raised.policy.metadataMaxBytes).toBe(4 * MIB);
    const reset = await service.update('later', { policy: { metadataMaxBytes: null } });
    expect(reset.policy.metadataMaxBytes).toBeUndefined();
    expect((await service.refresh('later')).error?.code).toBe('SAML_MESSAGE_TOO_LARGE');
  });

  it('a lowered limit caps the download too', async () => {
    const r = await refusal(
      service.create({
        id: 'tight',
        metadataUrl: `${base}/small-feed.xml`,
        idpEntityId: WANTED,
        policy: { metadataMaxBytes: 64 * 1024 },
      }),
    );
    expect(r.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(r.details).toMatchObject({ maxBytes: 64 * 1024 });
  });

  it('another entity of a stored excerpt needs the aggregate again', async () => {
    await service.create({
      id: 'fed',
      metadataUrl: `${base}/small-feed.xml`,
      idpEntityId: aggregateEntityId(500),
      policy: { metadataMaxBytes: 4 * MIB },
    });
    const r = await refusal(service.update('fed', { idpEntityId: aggregateEntityId(502) }));
    expect(r.code).toBe('ADMIN_INVALID_REQUEST');
    expect(r.hint).toContain('metadataUrl');
    const moved = await service.update('fed', {
      idpEntityId: aggregateEntityId(502),
      metadataUrl: `${base}/small-feed.xml`,
    });
    expect(moved.idpEntityId).toBe(aggregateEntityId(502));
  });
});

describe('bounds', () => {
  it.each([
    ['below 16 KiB', 1000],
    ['above 64 MiB', 64 * MIB + 1],
    ['not a whole number', 1.5 * 1024 * 1024 + 0.5],
    ['not a number', '64MiB'],
  ])('refuses %s with ADMIN_INVALID_REQUEST naming the field', async (_what, value) => {
    const r = await refusal(
      service.create({ id: 'x', displayName: 'X', policy: { metadataMaxBytes: value as number } }),
    );
    expect(r.code).toBe('ADMIN_INVALID_REQUEST');
    expect(JSON.stringify(r.details)).toContain('policy.metadataMaxBytes');
  });

  it('accepts both ends', async () => {
    expect(
      (await service.create({ id: 'lo', displayName: 'Lo', policy: { metadataMaxBytes: 16 * 1024 } })).policy
        .metadataMaxBytes,
    ).toBe(16 * 1024);
    expect(
      (await service.create({ id: 'hi', displayName: 'Hi', policy: { metadataMaxBytes: 64 * MIB } })).policy
        .metadataMaxBytes,
    ).toBe(64 * MIB);
  });
});
