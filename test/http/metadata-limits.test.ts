/**
 * Issue #16 item 6 over HTTP: the admin API and the admin page set a connection's metadata size limit
 * (policy.metadataMaxBytes). The real server on SQLite; the aggregate (1,000 entities, about 1.5 MB: over the
 * 1 MiB default) comes from a loopback HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateEntityId, federationAggregateXml } from '../fixtures/federation-aggregate.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'metadata-limits-admin-token-0123456789';
const MIB = 1024 * 1024;
const FEED = federationAggregateXml({ entities: 1_000 });
const WANTED = aggregateEntityId(500);

let t: TestServer;
let feedServer: Server;
let feedUrl: string;

beforeAll(async () => {
  feedServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(FEED);
  });
  await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/feed.xml`;
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, DEV_IDP: 'off' });
}, 60_000);

afterAll(async () => {
  await t?.close();
  feedServer?.closeAllConnections();
  await new Promise((resolve) => feedServer?.close(resolve));
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers read field by field
type Json = Record<string, any>;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

describe('admin API', () => {
  it('the default refuses the aggregate with 413, the stable code and a hint naming the setting', async () => {
    const r = await api('POST', '/connections', { id: 'fed', metadataUrl: feedUrl, idpEntityId: WANTED });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(r.json.error.hint).toContain('policy.metadataMaxBytes');
  });

  it('a raised limit imports the IdP; the view shows the limit and the aggregate', async () => {
    const r = await api('POST', '/connections', {
      id: 'fed',
      metadataUrl: feedUrl,
      idpEntityId: WANTED,
      policy: { metadataMaxBytes: 4 * MIB },
    });
    expect(r.status).toBe(201);
    expect(r.json.idpEntityId).toBe(WANTED);
    expect(r.json.policy.metadataMaxBytes).toBe(4 * MIB);
    expect(r.json.metadata).toMatchObject({
      maxBytes: 4 * MIB,
      downloadBytes: 4 * MIB,
      aggregate: { bytes: FEED.length, entityCount: 1_000 },
    });
    const refreshed = await api('POST', '/connections/fed/metadata/refresh');
    expect(refreshed.status).toBe(200);
  });

  it('PATCH validates the bounds, and null goes back to the default', async () => {
    const low = await api('PATCH', '/connections/fed', { policy: { metadataMaxBytes: 100 } });
    expect(low.status).toBe(400);
    expect(low.json.error.code).toBe('ADMIN_INVALID_REQUEST');
    expect(low.json.error.message).toContain('policy.metadataMaxBytes');
    const high = await api('PATCH', '/connections/fed', { policy: { metadataMaxBytes: 65 * MIB } });
    expect(high.status).toBe(400);
    const reset = await api('PATCH', '/connections/fed', { policy: { metadataMaxBytes: null } });
    expect(reset.status).toBe(200);
    expect(reset.json.policy.metadataMaxBytes).toBeUndefined();
    expect(reset.json.metadata.maxBytes).toBe(MIB);
    const refused = await api('POST', '/connections/fed/metadata/refresh');
    // The IdP side failed (502); the connection keeps its last good copy.
    expect(refused.status).toBe(502);
    expect(refused.json.error.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(refused.json.connection.idpEntityId).toBe(WANTED);
  });
});

describe('admin page', () => {
  async function signIn(): Promise<{ cookie: string; csrf: string }> {
    const login = await fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await (await fetch(`${t.baseUrl}/admin/connections/fed`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    return { cookie, csrf };
  }

  it('the metadata form sets the limit in MiB together with the URL and the entity', async () => {
    const { cookie, csrf } = await signIn();
    const page = await (await fetch(`${t.baseUrl}/admin/connections/fed`, { headers: { cookie } })).text();
    expect(page).toContain('name="metadataMaxMiB"');
    const saved = await fetch(`${t.baseUrl}/admin/connections/fed/metadata`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        _csrf: csrf,
        source: 'url',
        metadataUrl: feedUrl,
        idpEntityId: aggregateEntityId(502),
        metadataMaxMiB: '8',
      }).toString(),
    });
    expect(saved.status).toBe(303);
    const after = await api('GET', '/connections/fed');
    expect(after.json.policy.metadataMaxBytes).toBe(8 * MIB);
    expect(after.json.idpEntityId).toBe(aggregateEntityId(502));
    const shown = await (await fetch(`${t.baseUrl}/admin/connections/fed`, { headers: { cookie } })).text();
    expect(shown).toMatch(/name="metadataMaxMiB"[^>]*value="8"/);
    expect(shown).toContain('Read from an aggregate of 1000 entities');
  });
});
