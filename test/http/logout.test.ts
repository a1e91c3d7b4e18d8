/**
 * Issue #4 acceptance: SAML Single Logout over real HTTP between the server (as `npm start` builds it) and the
 * embedded samlify IdP. SP-initiated logout ends both sessions; IdP-initiated logout over Redirect, POST and
 * SOAP ends the SP sessions it names in every browser, found through the session registry rather than the
 * cookie; and each refusal keeps the session alive and says why with its code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLogoutMessage } from '../../src/core/logout/encode.ts';
import { buildLogoutResponse, logoutStatusFor } from '../../src/core/logout/logout-response.ts';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import type { IdpLogoutDispatch, LogoutUserOptions } from '../../src/dev-idp/index.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const rogue = {
  privateKeyPem: readFileSync(new URL('../fixtures/keys/idp-rogue.key.pem', import.meta.url), 'utf8'),
  certificatePem: readFileSync(new URL('../fixtures/keys/idp-rogue.cert.pem', import.meta.url), 'utf8'),
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const idp = () => t.server.devIdp!;

/** Signs in through the embedded IdP (the password form when the browser has no IdP session). */
async function signIn(b: TestBrowser, username = 'alice'): Promise<void> {
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  let page = await b.follow(start);
  let form = parseForm(page);
  if ('password' in form.fields) {
    page = await b.submit(form, { username, password: `${username}-pass` });
    form = parseForm(page);
  }
  const landed = await b.submit(form);
  expect(landed.status).toBe(303);
  expect((await me(b)).status).toBe(200);
}

async function me(b: TestBrowser): Promise<Page> {
  return b.get(`${t.baseUrl}/me`, { accept: 'application/json' });
}

/** Whether starting a sign-in now shows the IdP's password form (no IdP session in this browser). */
async function idpAsksForPassword(b: TestBrowser): Promise<boolean> {
  const page = await b.follow(await b.get(`${t.baseUrl}/saml/dev/login`));
  return page.body.includes('name="password"');
}

/** Carries a front-channel IdP LogoutRequest in a browser; returns the SP's answer (not followed). */
async function deliver(
  b: TestBrowser,
  dispatch: IdpLogoutDispatch,
  headers: Record<string, string> = {},
): Promise<Page> {
  const { message } = dispatch;
  if (message.binding === 'redirect') return b.get(message.url, headers);
  if (message.binding === 'post') return b.post(message.action, message.fields, headers);
  return b.request(message.url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', ...headers },
    body: message.body,
  });
}

async function oneRequest(options: LogoutUserOptions): Promise<IdpLogoutDispatch> {
  const dispatches = await idp().logoutUser('alice', options);
  expect(dispatches).toHaveLength(1);
  return dispatches[0]!;
}

/** Delivers a forged request asking for JSON; asserts the refusal code and that the session is still alive. */
async function expectRefused(b: TestBrowser, dispatch: IdpLogoutDispatch, code: string): Promise<void> {
  const answer = await deliver(b, dispatch, { accept: 'application/json' });
  expect(answer.status).toBe(400);
  const body = JSON.parse(answer.body) as { error: { code: string; hint: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.hint.length).toBeGreaterThan(10);
  expect((await me(b)).status).toBe(200);
}

describe('SP-initiated logout', () => {
  it('ends the SP session and the IdP session over the Redirect binding; signing in again asks for the password', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const sessionIndex = JSON.parse((await me(b)).body).sessionIndex as string;
    expect(idp().sessionsOf('alice').length).toBeGreaterThan(0);

    const out = await b.post(`${t.baseUrl}/logout?returnTo=/bye`, {});
    expect(out.status).toBe(303);
    const location = new URL(out.headers.get('location')!);
    expect(location.pathname).toBe('/idp/slo');
    expect(location.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(location.searchParams.get('RelayState')).toBe('/bye');
    const request = decodeAndInflate(location.searchParams.get('SAMLRequest')!);
    expect(request).toContain(
      '<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID>',
    );
    expect(request).toContain(`<samlp:SessionIndex>${sessionIndex}</samlp:SessionIndex>`);
    // The local session is gone before the IdP even answers.
    expect((await me(b)).status).toBe(401);

    const atIdp = await b.get(location.toString());
    expect(atIdp.status).toBe(302);
    const back = new URL(atIdp.headers.get('location')!);
    expect(back.pathname).toBe('/saml/dev/slo');
    expect(back.searchParams.get('RelayState')).toBe('/bye');
    const landed = await b.get(back.toString());
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/bye');

    expect(await idpAsksForPassword(b)).toBe(true);
  });

  it('uses the POST binding when that is the only SLO binding the IdP offers', async () => {
    const stores = t.server.stores;
    const original = (await stores.connections.get('dev'))!;
    await stores.connections.put({
      ...original,
      sloEndpoints: original.sloEndpoints.filter((e) => e.binding === 'post'),
    });
    try {
      const b = new TestBrowser();
      await signIn(b);
      const out = await b.post(`${t.baseUrl}/logout?returnTo=/bye`, {});
      expect(out.status).toBe(200);
      const form = parseForm(out);
      expect(form.action).toBe(`${t.baseUrl}/idp/slo`);
      const xml = Buffer.from(form.fields.SAMLRequest!, 'base64').toString('utf8');
      expect(xml).toContain('<ds:SignatureValue>');
      // The IdP answers over POST too; the SP then lands on returnTo.
      const answer = await b.submit(form);
      expect(answer.status).toBe(200);
      const landed = await b.submit(parseForm(answer));
      expect(landed.status).toBe(303);
      expect(landed.headers.get('location')).toBe('/bye');
      expect((await me(b)).status).toBe(401);
      expect(await idpAsksForPassword(b)).toBe(true);
    } finally {
      await stores.connections.put(original);
    }
  });

  it('logs out locally and says so when the connection has no SLO endpoint', async () => {
    const stores = t.server.stores;
    const original = (await stores.connections.get('dev'))!;
    await stores.connections.put({ ...original, sloEndpoints: [] });
    try {
      const b = new TestBrowser();
      await signIn(b);
      const out = await b.post(`${t.baseUrl}/logout?returnTo=/bye`, {});
      expect(out.status).toBe(200);
      expect(out.body).toContain('does not support Single Logout');
      expect(out.body).toContain('href="/bye"');
      expect((await me(b)).status).toBe(401);
      // The IdP session lives on: the next sign-in needs no password.
      expect(await idpAsksForPassword(b)).toBe(false);
    } finally {
      await stores.connections.put(original);
    }
  });

  it('refuses a LogoutResponse whose InResponseTo this browser never sent, and keeps its session', async () => {
    // Browser A logs out; its IdP's LogoutResponse is delivered to browser B instead (a logout CSRF).
    const a = new TestBrowser();
    await signIn(a);
    const out = await a.post(`${t.baseUrl}/logout`, {});
    const atIdp = await a.get(out.headers.get('location')!);
    const responseUrl = atIdp.headers.get('location')!;
    const b = new TestBrowser();
    await signIn(b);
    const refused = await b.get(responseUrl, { accept: 'application/json' });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).error.code).toBe('SAML_IN_RESPONSE_TO_UNKNOWN');
    expect((await me(b)).status).toBe(200);

    // A LogoutResponse signed by the IdP key that answers no request of this browser at all.
    const idpKey = {
      privateKeyPem: readFileSync(path.join(t.dir, 'certs', 'dev-idp.key.pem'), 'utf8'),
      certificatePem: readFileSync(path.join(t.dir, 'certs', 'dev-idp.cert.pem'), 'utf8'),
    };
    const { xml } = buildLogoutResponse({
      issuer: idp().entityId,
      inResponseTo: '_never-sent',
      destination: `${t.baseUrl}/saml/dev/slo`,
      status: logoutStatusFor('success'),
      now: new Date(),
    });
    const forged = encodeLogoutMessage({
      binding: 'post',
      location: `${t.baseUrl}/saml/dev/slo`,
      key: 'SAMLResponse',
      xml,
      signing: idpKey,
    });
    if (forged.binding !== 'post') throw new Error('post expected');
    const refused2 = await b.post(forged.action, forged.fields, { accept: 'application/json' });
    expect(JSON.parse(refused2.body).error.code).toBe('SAML_IN_RESPONSE_TO_UNKNOWN');
    expect((await me(b)).status).toBe(200);

    // The genuine owner still completes its logout.
    const landed = await a.get(responseUrl);
    expect(landed.status).toBe(303);
  });
});

describe('IdP-initiated logout', () => {
  it('over the Redirect binding ends the SP session in two browsers of the same user, and answers Success', async () => {
    const b1 = new TestBrowser();
    const b2 = new TestBrowser();
    await signIn(b1);
    await signIn(b2);
    const dispatch = await oneRequest({ binding: 'redirect', relayState: 'idp-state-1' });
    const answer = await deliver(b1, dispatch);
    expect(answer.status).toBe(303);
    expect((await me(b1)).status).toBe(401);
    expect((await me(b2)).status).toBe(401);
    // The cookie of the browser that carried the request is cleared too.
    expect(answer.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session=;'))).toBe(true);

    const toIdp = new URL(answer.headers.get('location')!);
    expect(toIdp.pathname).toBe('/idp/slo');
    expect(toIdp.searchParams.get('RelayState')).toBe('idp-state-1');
    const response = decodeAndInflate(toIdp.searchParams.get('SAMLResponse')!);
    expect(response).toContain(`InResponseTo="${dispatch.requestId}"`);
    const idpPage = await b1.get(toIdp.toString());
    expect(idpPage.body).toContain('id="logout-status">urn:oasis:names:tc:SAML:2.0:status:Success<');
    expect(idp().logoutResponses().at(-1)).toMatchObject({
      inResponseTo: dispatch.requestId,
      statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Success'],
      verified: true,
      binding: 'redirect',
    });
    expect(await idpAsksForPassword(b2)).toBe(true);
  });

  it('over the POST binding ends the sessions of both browsers even when a third, cookieless browser carries it', async () => {
    const b1 = new TestBrowser();
    const b2 = new TestBrowser();
    await signIn(b1);
    await signIn(b2);
    const dispatch = await oneRequest({ binding: 'post', relayState: 'idp-state-2' });
    const carrier = new TestBrowser();
    const answer = await deliver(carrier, dispatch);
    expect(answer.status).toBe(200);
    expect((await me(b1)).status).toBe(401);
    expect((await me(b2)).status).toBe(401);
    const form = parseForm(answer);
    expect(form.action).toBe(`${t.baseUrl}/idp/slo`);
    expect(form.fields.RelayState).toBe('idp-state-2');
    const idpPage = await carrier.submit(form);
    expect(idpPage.body).toContain('id="logout-status">urn:oasis:names:tc:SAML:2.0:status:Success<');
    expect(idp().logoutResponses().at(-1)).toMatchObject({
      inResponseTo: dispatch.requestId,
      verified: true,
      binding: 'post',
    });
  });

  it("reads samlify's own LogoutRequest template (one SessionIndex, IssueInstant with milliseconds)", async () => {
    const b = new TestBrowser();
    await signIn(b);
    const dispatch = await oneRequest({ binding: 'redirect', overrides: { samlifyTemplate: true } });
    if (dispatch.message.binding !== 'redirect') throw new Error('redirect expected');
    const xml = decodeAndInflate(new URL(dispatch.message.url).searchParams.get('SAMLRequest')!);
    expect(xml).toMatch(/IssueInstant="[^"]+\.\d{3}Z"/);
    expect(xml.match(/<samlp:SessionIndex>/g)).toHaveLength(1);
    const answer = await deliver(b, dispatch);
    expect(answer.status).toBe(303);
    expect((await me(b)).status).toBe(401);
  });

  it("as Keycloak's form-encoded back-channel POST (no cookie, BACK_CHANNEL_LOGOUT) ends the session", async () => {
    const b = new TestBrowser();
    await signIn(b);
    const dispatch = await oneRequest({ binding: 'post' });
    if (dispatch.message.binding !== 'post') throw new Error('post expected');
    const server = new TestBrowser();
    const answer = await server.post(dispatch.message.action, {
      SAMLRequest: dispatch.message.fields.SAMLRequest!,
      BACK_CHANNEL_LOGOUT: 'BACK_CHANNEL_LOGOUT',
    });
    expect(answer.status).toBe(200);
    expect((await me(b)).status).toBe(401);
  });

  it('without SessionIndex ends every session of the NameID', async () => {
    const b1 = new TestBrowser();
    const b2 = new TestBrowser();
    await signIn(b1);
    await signIn(b2);
    const dispatch = await oneRequest({ binding: 'redirect', sessionIndexes: 'none' });
    expect((await deliver(new TestBrowser(), dispatch)).status).toBe(303);
    expect((await me(b1)).status).toBe(401);
    expect((await me(b2)).status).toBe(401);
  });

  it('over the SOAP back channel, with no cookie at all, ends the session and answers a signed SOAP LogoutResponse', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const dispatch = await oneRequest({ binding: 'soap' });
    expect(dispatch.soapAnswer).toMatchObject({
      httpStatus: 200,
      response: {
        inResponseTo: dispatch.requestId,
        statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Success'],
        verified: true,
      },
    });
    expect(dispatch.soapAnswer!.body).toContain('<soap:Envelope');
    expect(dispatch.soapAnswer!.body).toContain('<ds:SignatureValue>');
    expect((await me(b)).status).toBe(401);
  });
});

describe('the SLO endpoint refuses, and the session stays alive:', () => {
  it('an unsigned LogoutRequest (Redirect and POST)', async () => {
    const b = new TestBrowser();
    await signIn(b);
    for (const binding of ['redirect', 'post'] as const) {
      await expectRefused(
        b,
        await oneRequest({ binding, dryRun: true, overrides: { unsigned: true } }),
        'SAML_SIGNATURE_MISSING',
      );
    }
  });

  it('an unsigned SOAP LogoutRequest, with a SOAP fault carrying the code', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const dispatch = await oneRequest({ binding: 'soap', dryRun: true, overrides: { unsigned: true } });
    const answer = await deliver(new TestBrowser(), dispatch);
    expect(answer.status).toBe(500);
    expect(answer.headers.get('content-type')).toContain('text/xml');
    expect(answer.body).toContain('<soap:Fault>');
    expect(answer.body).toContain('<code>SAML_SIGNATURE_MISSING</code>');
    expect((await me(b)).status).toBe(200);
  });

  it('a LogoutRequest signed by the wrong key', async () => {
    const b = new TestBrowser();
    await signIn(b);
    await expectRefused(
      b,
      await oneRequest({ binding: 'post', dryRun: true, overrides: { signingKey: rogue } }),
      'SAML_SIGNATURE_UNTRUSTED',
    );
    await expectRefused(
      b,
      await oneRequest({ binding: 'redirect', dryRun: true, overrides: { signingKey: rogue } }),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('a LogoutRequest for another Destination', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const dispatch = await oneRequest({
      binding: 'redirect',
      dryRun: true,
      overrides: { destination: 'https://other.example/saml/dev/slo' },
    });
    await expectRefused(b, dispatch, 'SAML_DESTINATION_MISMATCH');
  });

  it('an expired LogoutRequest (NotOnOrAfter passed, or issued too long ago)', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const past = new Date(Date.now() - 3600_000);
    await expectRefused(
      b,
      await oneRequest({ binding: 'redirect', dryRun: true, overrides: { notOnOrAfter: past } }),
      'SAML_RESPONSE_EXPIRED',
    );
    await expectRefused(
      b,
      await oneRequest({ binding: 'post', dryRun: true, overrides: { issueInstant: past } }),
      'SAML_RESPONSE_EXPIRED',
    );
  });

  it('a replayed LogoutRequest', async () => {
    const b = new TestBrowser();
    await signIn(b);
    // dryRun keeps the IdP session, so signing in again reuses the same SessionIndex the request names.
    const dispatch = await oneRequest({ binding: 'redirect', dryRun: true });
    expect((await deliver(b, dispatch)).status).toBe(303);
    expect((await me(b)).status).toBe(401);
    await signIn(b);
    await expectRefused(b, dispatch, 'SAML_REPLAYED');
  });

  it('a LogoutRequest from an Issuer that is not the connection IdP', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const dispatch = await oneRequest({
      binding: 'redirect',
      dryRun: true,
      overrides: { issuer: 'https://evil.example/idp' },
    });
    await expectRefused(b, dispatch, 'SAML_ISSUER_MISMATCH');
  });
});
