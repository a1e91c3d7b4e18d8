/**
 * Issue #3 acceptance: a connection on a metadata URL (served by a small local HTTP server). The IdP rolls its
 * signing certificate over; after a refresh, sign-in works with the new key and the old one stays trusted for
 * the grace period. With the URL down, the connection keeps working on the last good copy and shows the
 * failure. Responses are signed by the test fixture builder with the test keys.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCertificate } from '../../src/core/keys.ts';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { buildResponse, IDP_ENTITY_ID, type KeyName } from '../fixtures/build-response.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { idpMetadataXml } from '../sp/metadata-builder.ts';

const TOKEN = 'metadata-url-admin-token-0123456789';
const fp = (name: 'idp' | 'idp-next') =>
  describeCertificate(testKeyPair(name).certificatePem).fingerprintSha256;

let t: TestServer;
let idpServer: Server;
let metadataUrl: string;
let published: ('idp' | 'idp-next')[] = ['idp'];
let requests = 0;

beforeAll(async () => {
  idpServer = createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(
      idpMetadataXml({ entityId: IDP_ENTITY_ID, keys: published, ssoUrl: 'https://idp.example.com/sso' }),
    );
  });
  await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
  metadataUrl = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/metadata`;
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, DEV_IDP: 'off' });
});

afterAll(async () => {
  await t?.close();
  idpServer?.closeAllConnections();
  await new Promise((resolve) => idpServer?.close(resolve));
});

type Json = Record<string, unknown> & { error?: { code: string; hint: string } };

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

/** SP-initiated sign-in whose response the IdP signs with `key`; returns the ACS answer. */
async function signInWith(key: KeyName): Promise<{ status: number; code?: string; signedIn: boolean }> {
  const b = new TestBrowser();
  const start = await b.get(`${t.baseUrl}/saml/rollover/login?returnTo=/done`);
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location') ?? '');
  expect(location.origin).toBe('https://idp.example.com');
  const requestId = /\bID="([^"]+)"/.exec(
    decodeAndInflate(location.searchParams.get('SAMLRequest') ?? ''),
  )?.[1];
  const acsUrl = `${t.baseUrl}/saml/rollover/acs`;
  const samlResponse = await buildResponse({
    now: new Date(),
    issuer: IDP_ENTITY_ID,
    inResponseTo: requestId ?? null,
    // The connection's own SP entity ID, as its SP values give it to the IdP (issue #12).
    audience: `${t.baseUrl}/saml/rollover/metadata`,
    destination: acsUrl,
    recipient: acsUrl,
    signingKey: key,
    // Fresh IDs each time: the replay cache remembers assertion IDs.
    responseId: `_r${randomUUID()}`,
    assertionId: `_a${randomUUID()}`,
  });
  const answer = await b.post(acsUrl, { SAMLResponse: samlResponse }, { accept: 'application/json' });
  const signedIn =
    answer.status === 303 && (await b.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status === 200;
  const code = answer.status >= 400 ? (JSON.parse(answer.body) as Json).error?.code : undefined;
  return { status: answer.status, ...(code ? { code } : {}), signedIn };
}

describe('a connection on a metadata URL', () => {
  it('is created from the URL and signs in with the published key', async () => {
    const { status, json } = await api('POST', '/connections', {
      id: 'rollover',
      displayName: 'Rollover IdP',
      metadataUrl,
      preset: 'generic',
    });
    expect(status).toBe(201);
    expect(json.metadata).toMatchObject({ source: 'url', url: metadataUrl, lastError: null });
    expect((json.metadata as { nextRefreshAt: string }).nextRefreshAt).toBeTruthy();
    expect(await signInWith('idp')).toMatchObject({ status: 303, signedIn: true });
    expect(await signInWith('idp-next')).toMatchObject({ code: 'SAML_SIGNATURE_UNTRUSTED', signedIn: false });
  });

  it('picks up a certificate rollover on refresh, keeping the old certificate for the grace period', async () => {
    published = ['idp-next'];
    const { status, json } = await api('POST', '/connections/rollover/metadata/refresh');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      refreshed: true,
      changed: true,
      added: [fp('idp-next')],
      retained: [fp('idp')],
    });
    expect(await signInWith('idp-next')).toMatchObject({ status: 303, signedIn: true });
    expect(await signInWith('idp')).toMatchObject({ status: 303, signedIn: true });
    const certs = (
      json.connection as {
        signingCertificates: {
          fingerprintSha256: string;
          retired: boolean;
          firstSeenAt: string;
          lastSeenAt: string;
        }[];
      }
    ).signingCertificates;
    expect(certs.map((c) => [c.fingerprintSha256, c.retired])).toEqual([
      [fp('idp-next'), false],
      [fp('idp'), true],
    ]);
  });

  it('keeps working on the last good copy while the URL is down, and shows the failure', async () => {
    const before = requests;
    idpServer.closeAllConnections();
    await new Promise((resolve) => idpServer.close(resolve));
    const { status, json } = await api('POST', '/connections/rollover/metadata/refresh');
    expect(status).toBe(502);
    expect(json.error?.code).toBe('SAML_METADATA_INVALID');
    expect(json.error?.hint).toMatch(/reachable/);
    expect(requests).toBe(before);

    const { json: view } = await api('GET', '/connections/rollover');
    expect(view.metadata).toMatchObject({
      consecutiveFailures: 1,
      lastError: { code: 'SAML_METADATA_INVALID' },
    });
    expect((view.lint as { id: string }[]).map((l) => l.id)).toContain('metadata-refresh-failing');
    expect(view.health).toMatchObject({ status: 'warning' });
    expect((view.signingCertificates as unknown[]).length).toBe(2);
    expect(await signInWith('idp-next')).toMatchObject({ status: 303, signedIn: true });

    // The failure shows on the admin page too.
    const login = await fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN }),
    });
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const page = await (
      await fetch(`${t.baseUrl}/admin/connections/rollover`, { headers: { cookie } })
    ).text();
    expect(page).toContain('refresh failing');
    expect(page).toContain('SAML_METADATA_INVALID');
  });
});
