/**
 * Issue #2 acceptance: the real server (as `npm start` builds it) on an ephemeral port, full sign-ins over HTTP
 * against the embedded samlify IdP, and every refusal the ACS owes, each asserting its code and that no session
 * was created.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import type { ResponseOverrides } from '../../src/dev-idp/index.ts';
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

/** Starts SP-initiated SSO; returns the AuthnRequest ID and the IdP's login page. */
async function startLogin(
  b: TestBrowser,
  returnTo = '/after',
): Promise<{ requestId: string; loginPage: Page }> {
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location') ?? '');
  const xml = decodeAndInflate(location.searchParams.get('SAMLRequest') ?? '');
  const requestId = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!requestId) throw new Error(`no ID in AuthnRequest: ${xml}`);
  const loginPage = await b.follow(start);
  expect(loginPage.status).toBe(200);
  return { requestId, loginPage };
}

/** Logs in at the IdP and returns the auto-post form that would go to the ACS (not yet submitted). */
async function idpLogin(b: TestBrowser, loginPage: Page, username = 'alice', password = `${username}-pass`) {
  const form = parseForm(loginPage);
  const answer = await b.submit(form, { username, password });
  expect(answer.status).toBe(200);
  return parseForm(answer);
}

async function signIn(b: TestBrowser, returnTo = '/after'): Promise<Page> {
  const { loginPage } = await startLogin(b, returnTo);
  const acsForm = await idpLogin(b, loginPage);
  return b.submit(acsForm);
}

async function me(b: TestBrowser): Promise<Page> {
  return b.get(`${t.baseUrl}/me`, { accept: 'application/json' });
}

function spEntityId(): string {
  return t.server.sp.spIdentity({ id: 'dev' }).entityId;
}

/** Posts a response to the ACS asking for JSON; asserts a refusal with `code` and no session. */
async function expectRefused(
  b: TestBrowser,
  samlResponse: string,
  code: string,
  status = 400,
): Promise<void> {
  const answer = await b.post(
    `${t.baseUrl}/saml/dev/acs`,
    { SAMLResponse: samlResponse },
    { accept: 'application/json' },
  );
  const body = JSON.parse(answer.body) as { error: { code: string; hint: string; traceId: string } };
  expect(body.error.code).toBe(code);
  expect(answer.status).toBe(status);
  expect(body.error.hint.length).toBeGreaterThan(10);
  expect(body.error.traceId).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
  expect(answer.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session='))).toBe(false);
  expect((await me(b)).status).toBe(401);
}

/** A response the embedded IdP issues for the browser's pending request, with some fields forged. */
async function forged(b: TestBrowser, overrides: ResponseOverrides, options: { solicited?: boolean } = {}) {
  const { requestId } = await startLogin(b);
  const { samlResponse } = await t.server.devIdp!.issueResponse({
    spEntityId: spEntityId(),
    username: 'alice',
    ...(options.solicited === false ? {} : { inResponseTo: requestId }),
    overrides,
  });
  return { samlResponse, requestId };
}

describe('sign-in against the embedded IdP', () => {
  it('signs alice in and maps her profile', async () => {
    const b = new TestBrowser();
    const landed = await signIn(b, '/after?x=1');
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/after?x=1');
    const cookie = landed.headers.getSetCookie().find((c) => c.startsWith('saml_sp_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const profile = JSON.parse((await me(b)).body);
    expect(profile).toMatchObject({
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      displayName: 'Alice Liddell',
      groups: ['engineering', 'admins'],
      connectionId: 'dev',
      nameId: 'alice@example.com',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    });
    expect(profile.sessionIndex).toEqual(expect.any(String));
    expect(profile.attributes.groups).toEqual(['engineering', 'admins']);
    const home = await b.get(`${t.baseUrl}/`);
    expect(home.body).toContain('Alice Liddell');
  });

  it('updates the same user on a second sign-in, keyed by connection and NameID', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const first = JSON.parse((await me(b)).body);
    const b2 = new TestBrowser();
    await signIn(b2);
    const second = JSON.parse((await me(b2)).body);
    expect(second.id).toBe(first.id);
  });

  it('accepts an encrypted assertion (AES-256-GCM, RSA-OAEP)', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { encrypt: true });
    const answer = await b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse });
    expect(answer.status).toBe(303);
    expect(JSON.parse((await me(b)).body).email).toBe('alice@example.com');
  });

  it('never redirects off-site: returnTo=https://evil.example/ lands on /', async () => {
    const b = new TestBrowser();
    const landed = await signIn(b, 'https://evil.example/');
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/');
    for (const evil of ['//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const again = await signIn(new TestBrowser(), evil);
      expect(again.headers.get('location')).toBe('/');
    }
  });

  it('logs out locally', async () => {
    const b = new TestBrowser();
    await signIn(b);
    expect((await me(b)).status).toBe(200);
    const out = await b.post(`${t.baseUrl}/logout?returnTo=/bye`, {});
    expect(out.status).toBe(303);
    expect((await me(b)).status).toBe(401);
  });

  it('serves signed SP metadata', async () => {
    const page = await new TestBrowser().get(`${t.baseUrl}/saml/dev/metadata`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('application/samlmetadata+xml');
    expect(page.body).toContain(`entityID="${spEntityId()}"`);
    expect(page.body).toContain('<ds:SignatureValue>');
  });
});

describe('the ACS refuses', () => {
  it('a tampered signature', async () => {
    const b = new TestBrowser();
    const { loginPage } = await startLogin(b);
    const acsForm = await idpLogin(b, loginPage);
    const xml = Buffer.from(acsForm.fields.SAMLResponse ?? '', 'base64').toString('utf8');
    expect(xml).toContain('>engineering<');
    const tampered = Buffer.from(xml.replace('>engineering<', '>finance<')).toString('base64');
    await expectRefused(b, tampered, 'SAML_SIGNATURE_INVALID');
  });

  it('an unsigned assertion', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { signAssertion: false, signResponse: false });
    await expectRefused(b, samlResponse, 'SAML_SIGNATURE_MISSING');
  });

  it('an assertion signed by an untrusted key that carries its own certificate in KeyInfo', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { signingKey: rogue });
    await expectRefused(b, samlResponse, 'SAML_SIGNATURE_UNTRUSTED');
  });

  it('a wrong audience', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { audience: `${spEntityId()}.evil.example` });
    await expectRefused(b, samlResponse, 'SAML_AUDIENCE_MISMATCH');
  });

  it('a wrong recipient', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { recipient: 'https://other.example/acs' });
    await expectRefused(b, samlResponse, 'SAML_RECIPIENT_MISMATCH');
  });

  it('a wrong destination', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { destination: 'https://other.example/acs' });
    await expectRefused(b, samlResponse, 'SAML_DESTINATION_MISMATCH');
  });

  it('an expired response', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { now: new Date(Date.now() - 3600_000) });
    await expectRefused(b, samlResponse, 'SAML_RESPONSE_EXPIRED');
  });

  it('a response that is not yet valid', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { notBefore: new Date(Date.now() + 600_000) });
    await expectRefused(b, samlResponse, 'SAML_RESPONSE_NOT_YET_VALID');
  });

  it('a replayed response', async () => {
    const b = new TestBrowser();
    const { loginPage } = await startLogin(b);
    const acsForm = await idpLogin(b, loginPage);
    expect((await b.submit(acsForm)).status).toBe(303);
    await b.post(`${t.baseUrl}/logout`, {});
    await expectRefused(b, acsForm.fields.SAMLResponse ?? '', 'SAML_REPLAYED');
  });

  it('an unsolicited response when the connection does not allow IdP-initiated SSO', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, {}, { solicited: false });
    await expectRefused(b, samlResponse, 'SAML_UNSOLICITED');
  });

  it('an InResponseTo issued to another browser, without burning it for its owner', async () => {
    const owner = new TestBrowser();
    const { requestId, loginPage } = await startLogin(owner);
    const attacker = new TestBrowser();
    await startLogin(attacker);
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId: spEntityId(),
      username: 'bob',
      inResponseTo: requestId,
    });
    await expectRefused(attacker, samlResponse, 'SAML_IN_RESPONSE_TO_UNKNOWN');
    // The owner's genuine answer still works: the failed attempt consumed nothing.
    const acsForm = await idpLogin(owner, loginPage);
    expect((await owner.submit(acsForm)).status).toBe(303);
    expect(JSON.parse((await me(owner)).body).email).toBe('alice@example.com');
  });

  it('a forged response naming a pending request does not burn it', async () => {
    const b = new TestBrowser();
    const { requestId, loginPage } = await startLogin(b);
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId: spEntityId(),
      username: 'alice',
      inResponseTo: requestId,
      overrides: { signingKey: rogue },
    });
    await expectRefused(b, samlResponse, 'SAML_SIGNATURE_UNTRUSTED');
    const acsForm = await idpLogin(b, loginPage);
    expect((await b.submit(acsForm)).status).toBe(303);
  });

  it('SHA-1 signatures when the connection does not opt in', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, { signatureAlgorithm: 'rsa-sha1' });
    await expectRefused(b, samlResponse, 'SAML_ALGORITHM_FORBIDDEN');
  });

  it('a DTD or entity declaration', async () => {
    const b = new TestBrowser();
    const { samlResponse } = await forged(b, {});
    const xml = Buffer.from(samlResponse, 'base64')
      .toString('utf8')
      .replace(/^(<\?xml[^>]*\?>)?/, '');
    const withDtd = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>${xml}`;
    await expectRefused(b, Buffer.from(withDtd).toString('base64'), 'SAML_DTD_FORBIDDEN');
  });

  it('an oversized body', async () => {
    const b = new TestBrowser();
    await expectRefused(b, 'A'.repeat(600 * 1024), 'SAML_MESSAGE_TOO_LARGE', 413);
    const bigXml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${'<!-- pad -->'.repeat(30_000)}</samlp:Response>`;
    await expectRefused(b, Buffer.from(bigXml).toString('base64'), 'SAML_MESSAGE_TOO_LARGE', 413);
  });

  it('answers browsers with an HTML page carrying the code and the trace ID (no operator hint)', async () => {
    const b = new TestBrowser();
    const answer = await b.post(
      `${t.baseUrl}/saml/dev/acs`,
      { SAMLResponse: 'not base64!' },
      { accept: 'text/html' },
    );
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('text/html');
    expect(answer.body).toContain('SAML_MALFORMED');
    expect(answer.body).toContain('Trace ID');
  });
});
