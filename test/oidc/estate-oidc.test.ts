/**
 * examples/estate-oidc against the embedded dev IdP (issue #17, item 5): the real Django app (mozilla-django-oidc
 * from PyPI, in a virtual environment this test sets up) signs alice in through the bridge and SAML, calls the
 * Node API with its access token (verifyAccessToken: 200), uses its refresh token; then alice signs out at the
 * IdP (IdP-initiated SAML SLO): the bridge's back-channel logout ends the Django session, and the refresh token
 * is refused. The same flow runs against Keycloak in test/e2e/estate-oidc.test.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import path from 'node:path';
import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersApi } from '../../examples/estate-oidc/api.ts';
import { ensureVenv, type RunningDjango, startDjango } from '../../examples/estate-oidc/django.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';

const ADMIN_TOKEN = 'estate-oidc-admin-token-0123456789';
const API = 'https://orders.estate.test';
/** Reused between runs; rebuilt when requirements.txt changes. */
const VENV = path.resolve(import.meta.dirname, '../../node_modules/.cache/estate-oidc-venv');

let t: TestServer;
let api: Server;
let apiUrl: string;
let clientId: string;
let django: RunningDjango;

beforeAll(async () => {
  t = await startTestServer({ OIDC_BRIDGE: 'on', OIDC_RESOURCES: API, ADMIN_TOKEN });
  const apiPort = await freePort();
  api = createOrdersApi({ issuer: t.baseUrl, audience: API });
  await new Promise<void>((resolve) => api.listen(apiPort, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${apiPort}/orders`;
  const port = await freePort();
  const django_ = `http://127.0.0.1:${port}`;
  const created = await fetch(`${t.baseUrl}/admin/api/oidc-clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Estate (Django)',
      redirectUris: [`${django_}/oidc/callback/`],
      postLogoutRedirectUris: [`${django_}/signed-out/`],
      backchannelLogoutUri: `${django_}/oidc/backchannel-logout/`,
    }),
  });
  expect(created.status).toBe(201);
  const registered = (await created.json()) as { clientId: string; clientSecret: string };
  clientId = registered.clientId;
  const clientSecret = registered.clientSecret;
  const python = await ensureVenv(VENV);
  django = await startDjango(python, port, {
    issuer: t.baseUrl,
    clientId,
    clientSecret,
    apiUrl,
    apiResource: API,
    connection: 'dev',
    database: path.join(t.dir, 'django.sqlite3'),
  });
}, 900_000);

afterAll(async () => {
  await django?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await t?.close();
});

/** Drives a browser through redirects and forms (the dev IdP's login form gets alice's password). */
async function browse(b: TestBrowser, start: string, until: (page: Page) => boolean): Promise<Page> {
  let page = await b.get(start);
  for (let hops = 0; hops < 30; hops++) {
    if (until(page)) return page;
    const location = page.headers.get('location');
    if (page.status >= 300 && page.status < 400 && location) {
      page = await b.get(new URL(location, page.url).href);
      continue;
    }
    expect(page.status, `${page.url}: ${page.body.slice(0, 400)}`).toBe(200);
    const form = parseForm(page);
    page = await b.submit(
      form,
      'password' in form.fields ? { username: 'alice', password: 'alice-pass' } : {},
    );
  }
  throw new Error(`did not arrive (last: ${page.url})`);
}

const json = async (b: TestBrowser, url: string) => {
  const page = await b.get(url);
  return { status: page.status, body: page.status === 200 ? JSON.parse(page.body) : undefined, page };
};

describe('examples/estate-oidc with the embedded dev IdP', () => {
  it('Django signs in through the bridge, calls the API, and is signed out by an IdP-initiated SAML logout', async () => {
    const b = new TestBrowser();
    const home = await browse(b, `${django.url}/`, (p) => p.status === 200 && p.url === `${django.url}/`);
    expect(home.body).toContain('alice@example.com');
    expect(home.body).toContain('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');

    const orders = await json(b, `${django.url}/orders/`);
    expect(orders.body).toMatchObject({ apiStatus: 200, api: { orders: [expect.any(Object)] } });
    // The API refuses a call without the bridge's token.
    expect((await fetch(apiUrl)).status).toBe(401);
    const before = await django.refreshGrants();
    expect(before).toEqual([expect.objectContaining({ outcome: 'refreshed' })]);

    // Alice signs out at the IdP: it sends the SP a LogoutRequest (through the browser), the SP's session ends,
    // and the bridge tells Django over the back channel.
    await browse(b, `${t.baseUrl}/idp/logout`, (p) => p.status === 200 && !p.body.includes('<form'));
    const after = await b.get(`${django.url}/`);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toContain('/oidc/authenticate/');
    expect((await b.get(`${django.url}/orders/`)).status).toBe(302);
    expect(await django.refreshGrants()).toEqual([
      expect.objectContaining({ sid: before[0]!.sid, outcome: 'refused' }),
    ]);
  }, 120_000);
  it("Django's back-channel logout endpoint refuses what the spec says to refuse", async () => {
    const [signing] = await t.server.oidc!.bridge.keys.keys(new Date());
    const key = await importJWK(signing!.privateJwk as JWK, 'RS256');
    const logoutToken = (claims: Record<string, unknown>, typ = 'logout+jwt') =>
      new SignJWT({
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        sid: 'no-such-session',
        iss: t.baseUrl,
        aud: clientId,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: signing!.kid, typ })
        .setIssuedAt()
        .setExpirationTime('2m')
        .setJti(randomUUID())
        .sign(key);
    const post = (token: string) =>
      fetch(`${django.url}/oidc/backchannel-logout/`, {
        method: 'POST',
        body: new URLSearchParams({ logout_token: token }),
      });

    const good = await logoutToken({});
    expect(await (await post(good)).json()).toEqual({ ended: 0 });
    expect((await post(good)).status).toBe(400); // the same jti again
    expect((await post(await logoutToken({ nonce: 'n' }))).status).toBe(400);
    expect((await post(await logoutToken({ aud: 'another-client' }))).status).toBe(400);
    expect((await post(await logoutToken({ events: { other: {} } }))).status).toBe(400);
    expect((await post(await logoutToken({ sid: undefined }))).status).toBe(400);
    expect((await post(await logoutToken({}, 'JWT'))).status).toBe(400);
    const { privateKey: stranger } = await generateKeyPair('RS256');
    const forged = await new SignJWT({
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      sid: 's',
    })
      .setProtectedHeader({ alg: 'RS256', kid: signing!.kid })
      .setIssuer(t.baseUrl)
      .setAudience(clientId)
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(stranger);
    expect((await post(forged)).status).toBe(400);
    expect((await post('not a jwt')).status).toBe(400);
  }, 60_000);
});
