/**
 * Issue #3: the admin API on the real server (CONTRACT.md): bearer token compared in constant time, refusal
 * without ADMIN_TOKEN, zod-validated bodies with coded 4xx errors, the connection JSON, and health recorded
 * from real sign-ins against the embedded IdP.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/metadata/${name}`, import.meta.url), 'utf8');

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

type Json = Record<string, unknown> & { error?: { code: string; message: string; hint: string } };

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json };
}

async function devIdpMetadata(): Promise<string> {
  return (await fetch(`${t.baseUrl}/idp/metadata`)).text();
}

describe('admin API authentication', () => {
  it('refuses a missing or wrong token with 401 ADMIN_UNAUTHORIZED', async () => {
    for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const { status, json } = await api('GET', '/connections', undefined, token);
      expect(status).toBe(401);
      expect(json.error?.code).toBe('ADMIN_UNAUTHORIZED');
      expect(json.error?.hint).toMatch(/Authorization: Bearer/);
    }
  });

  it('refuses every call with 503 ADMIN_TOKEN_NOT_SET when no token is configured', async () => {
    const bare = await startTestServer({ DEV_IDP: 'off' });
    try {
      for (const [method, path] of [
        ['GET', '/connections'],
        ['POST', '/connections'],
        ['DELETE', '/connections/dev'],
      ] as const) {
        const response = await fetch(`${bare.baseUrl}/admin/api${path}`, {
          method,
          headers: { authorization: 'Bearer anything-at-all-here' },
        });
        const json = (await response.json()) as Json;
        expect(response.status).toBe(503);
        expect(json.error?.code).toBe('ADMIN_TOKEN_NOT_SET');
        expect(json.error?.message).toMatch(/ADMIN_TOKEN is not set/);
      }
      const page = await fetch(`${bare.baseUrl}/admin`);
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/ADMIN_TOKEN is not set/);
    } finally {
      await bare.close();
    }
  });
});

describe('admin API: connections', () => {
  it('creates a connection from metadata and returns the contract fields', async () => {
    const { status, json } = await api('POST', '/connections', {
      id: 'acme',
      displayName: 'Acme <Corp>',
      metadataXml: fixture('keycloak-realm.xml'),
      preset: 'keycloak',
      attributeMapping: { email: ['mail'] },
      allowIdpInitiated: true,
    });
    expect(status).toBe(201);
    expect(json).toMatchObject({
      id: 'acme',
      displayName: 'Acme <Corp>',
      idpEntityId: 'http://localhost:8080/realms/sp-kit',
      ssoUrl: 'http://localhost:8080/realms/sp-kit/protocol/saml',
      sloUrl: 'http://localhost:8080/realms/sp-kit/protocol/saml',
      preset: 'keycloak',
      attributeMapping: { email: ['mail'] },
      allowIdpInitiated: true,
      // Its own SP entity ID by default (issue #12): the metadata URL.
      spEntityId: `${t.baseUrl}/saml/acme/metadata`,
      spEntityIdMode: 'connection',
      acsUrl: `${t.baseUrl}/saml/acme/acs`,
      metadataUrl: `${t.baseUrl}/saml/acme/metadata`,
      // Created with metadata by the app admin: active at once, recorded as theirs.
      status: 'active',
      activation: { via: 'created', actor: { kind: 'admin-token' } },
      policy: {
        allowIdpInitiated: true,
        allowSha1: false,
        clockSkewSeconds: 120,
        wantSigned: 'response-or-assertion',
      },
      health: { status: expect.any(String), lastSignInAt: null },
    });
    const certs = json.signingCertificates as {
      fingerprintSha256: string;
      notAfter: string;
      expiresAt: string;
    }[];
    expect(certs).toHaveLength(2);
    expect(certs[0]?.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(certs[0]?.expiresAt).toBe(certs[0]?.notAfter);
    expect(JSON.stringify(json)).not.toContain('metadataXml');
    expect((json.lint as { id: string }[]).map((l) => l.id)).toContain('idp-initiated-allowed');
  });

  it('lists, reads, changes and deletes', async () => {
    const list = await api('GET', '/connections');
    expect(list.status).toBe(200);
    expect((list.json as unknown as { id: string }[]).map((c) => c.id)).toEqual(['acme', 'dev']);
    const patched = await api('PATCH', '/connections/acme', {
      displayName: 'Acme',
      policy: { clockSkewSeconds: 60, allowSha1: true },
      attributeMapping: { email: ['email'], groups: ['memberOf'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      displayName: 'Acme',
      policy: { clockSkewSeconds: 60, allowSha1: true, allowIdpInitiated: true },
      attributeMapping: { email: ['email'], groups: ['memberOf'] },
    });
    expect(patched.json.acceptedSignatureAlgorithms).toContain('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    expect((await api('GET', '/connections/acme')).json.displayName).toBe('Acme');
    expect((await api('DELETE', '/connections/acme')).status).toBe(204);
    const gone = await api('GET', '/connections/acme');
    expect(gone.status).toBe(404);
    expect(gone.json.error?.code).toBe('SAML_CONNECTION_NOT_FOUND');
    expect((await api('DELETE', '/connections/acme')).status).toBe(404);
  });

  it.each([
    ['no name', {}, 400, 'ADMIN_INVALID_REQUEST'],
    [
      'an unknown field',
      { displayName: 'X', metadataXml: '<x/>', colour: 'red' },
      400,
      'ADMIN_INVALID_REQUEST',
    ],
    ['a bad id', { id: '../etc', displayName: 'X', metadataXml: '<x/>' }, 400, 'ADMIN_INVALID_REQUEST'],
    [
      'an unknown preset',
      { displayName: 'X', metadataXml: '<x/>', preset: 'ping' },
      400,
      'ADMIN_INVALID_REQUEST',
    ],
    [
      'a non-http metadata URL',
      { displayName: 'X', metadataUrl: 'file:///etc/passwd' },
      400,
      'ADMIN_INVALID_REQUEST',
    ],
    [
      'a DTD',
      { displayName: 'X', metadataXml: fixture('hostile-billion-laughs.xml') },
      400,
      'SAML_DTD_FORBIDDEN',
    ],
    ['not XML', { displayName: 'X', metadataXml: 'hello' }, 400, 'SAML_MALFORMED'],
    [
      'SP metadata',
      {
        displayName: 'X',
        metadataXml:
          '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>',
      },
      400,
      'SAML_METADATA_INVALID',
    ],
    [
      'an aggregate without a choice',
      { displayName: 'X', metadataXml: fixture('aggregate-two-idps.xml') },
      400,
      'SAML_METADATA_INVALID',
    ],
    [
      'an unreachable URL',
      { displayName: 'X', metadataUrl: 'http://127.0.0.1:9/metadata' },
      400,
      'SAML_METADATA_INVALID',
    ],
  ])('refuses %s', async (_name, body, status, code) => {
    const { status: got, json } = await api('POST', '/connections', body);
    expect(json.error?.code).toBe(code);
    expect(got).toBe(status);
    expect(json.error?.hint.length).toBeGreaterThan(10);
  });

  it('refuses malformed JSON, a non-JSON body, a 50 MB body, and a duplicate id', async () => {
    expect((await api('POST', '/connections', '{"displayName":')).json.error?.code).toBe(
      'ADMIN_INVALID_REQUEST',
    );
    const form = await fetch(`${t.baseUrl}/admin/api/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(form.status).toBe(415);
    const huge = await api('POST', '/connections', {
      displayName: 'X',
      metadataXml: 'A'.repeat(50 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.json.error?.code).toBe('ADMIN_INVALID_REQUEST');
    const dup = await api('POST', '/connections', {
      id: 'dev',
      displayName: 'X',
      metadataXml: await devIdpMetadata(),
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error?.code).toBe('CONNECTION_EXISTS');
  });

  it('refreshing a file connection is a 409; an unknown route is a coded 404', async () => {
    const { status, json } = await api('POST', '/connections/dev/metadata/refresh');
    expect(status).toBe(409);
    expect(json.error?.code).toBe('CONNECTION_NOT_REFRESHABLE');
    expect((await api('GET', '/nope')).json.error?.code).toBe('ADMIN_NOT_FOUND');
  });

  it('shows the last successful sign-in and the last failure with its code and hint', async () => {
    const b = new TestBrowser();
    const start = await b.follow(await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/`));
    const answer = await b.submit(parseForm(start), { username: 'alice', password: 'alice-pass' });
    const acs = await b.submit(parseForm(answer));
    expect(acs.status).toBe(303);
    // A forged response is anybody's POST: refused and traced, but no health record (issue #13).
    await b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: Buffer.from('<nope/>').toString('base64') });
    await b.post(`${t.baseUrl}/saml/unknown-connection/acs`, { SAMLResponse: 'eA==' });
    expect((await api('GET', '/connections/dev')).json.health).toMatchObject({
      failureCount: 0,
      status: 'ok',
    });
    // A response the IdP signed for this browser's request, refused (expired): recorded with its trace.
    const start2 = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/`);
    const request = decodeAndInflate(
      new URL(start2.headers.get('location') ?? '').searchParams.get('SAMLRequest') ?? '',
    );
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
      username: 'alice',
      inResponseTo: /\bID="([^"]+)"/.exec(request)?.[1] ?? '',
      overrides: { now: new Date(Date.now() - 3600_000) },
    });
    await b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse });
    const { json } = await api('GET', '/connections/dev');
    expect(json.health).toMatchObject({
      lastSignInNameId: expect.stringContaining('alice'),
      successCount: 1,
      failureCount: 1,
      lastFailure: { code: 'SAML_RESPONSE_EXPIRED', hint: expect.any(String), traceId: expect.any(String) },
      status: 'warning',
    });
    expect((await api('GET', '/connections/unknown-connection')).status).toBe(404);
  });
});
