/**
 * The dev IdP over real HTTP: metadata, a signed Redirect AuthnRequest, the login form, the auto-posted
 * SAMLResponse (verified by xmlsec1), the IdP session, and the requests it must refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpMetadata } from '../../src/core/metadata/sp-metadata.ts';
import { NAMEID_FORMATS, NS } from '../../src/core/xml/namespaces.ts';
import { parseXml } from '../../src/core/xml/parse.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import {
  all,
  attributesOf,
  authnRequestXml,
  certBase64,
  decodeResponse,
  KEYS,
  one,
  type RunningIdp,
  redirectUrl,
  requestId,
  SIG,
  signXml,
  spMetadataFixture,
  startDevIdp,
  xmlsec1,
} from './helpers.ts';

const SP = 'https://sp.example.test/saml/dev/metadata';
const ACS = 'https://sp.example.test/saml/dev/acs';

let running: RunningIdp;
let sso: string;

beforeAll(async () => {
  // The SP's real metadata builder, read by samlify: a sign-in only works if another implementation can read it.
  const spMetadata = buildSpMetadata({
    entityId: SP,
    acsUrl: ACS,
    sloUrl: 'https://sp.example.test/saml/dev/slo',
    metadataUrl: SP,
    signing: KEYS.sp,
    encryption: KEYS.sp,
  });
  running = await startDevIdp([spMetadata]);
  sso = `${running.baseUrl}/sso`;
});
afterAll(async () => {
  await running.close();
});

/** Sends a signed Redirect AuthnRequest from `browser`; returns the request ID and the IdP's answer. */
async function startSignIn(
  browser: TestBrowser,
  options: { relayState?: string; acsUrl?: string; forceAuthn?: boolean } = {},
): Promise<{ id: string; page: Page }> {
  const id = requestId();
  const xml = authnRequestXml({ id, issuer: SP, destination: sso, ...options });
  const page = await browser.get(
    redirectUrl(sso, xml, { key: KEYS.sp, relayState: options.relayState ?? '/after' }),
  );
  return { id, page };
}

async function signInAsAlice(browser: TestBrowser): Promise<{ id: string; page: Page }> {
  const { id, page } = await startSignIn(browser);
  const login = parseForm(page);
  return { id, page: await browser.submit(login, { username: 'alice', password: 'alice-pass' }) };
}

describe('GET /metadata', () => {
  it('serves IdP metadata with SSO and SLO over both bindings, the signing certificate and signed requests wanted', async () => {
    const res = await fetch(`${running.baseUrl}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const doc = parseXml(await res.text());
    const entity = doc.documentElement;
    expect(entity?.getAttribute('entityID')).toBe(`${running.baseUrl}/metadata`);
    expect(running.idp.entityId).toBe(`${running.baseUrl}/metadata`);
    const descriptor = one(doc, NS.metadata, 'IDPSSODescriptor');
    expect(descriptor.getAttribute('WantAuthnRequestsSigned')).toBe('true');
    const endpoints = (name: string) =>
      Array.from(doc.getElementsByTagNameNS(NS.metadata, name)).map(
        (e) => `${e.getAttribute('Binding')?.split(':').pop()} ${e.getAttribute('Location')}`,
      );
    expect(endpoints('SingleSignOnService').sort()).toEqual([`HTTP-POST ${sso}`, `HTTP-Redirect ${sso}`]);
    expect(endpoints('SingleLogoutService').sort()).toEqual([
      `HTTP-POST ${running.baseUrl}/slo`,
      `HTTP-Redirect ${running.baseUrl}/slo`,
    ]);
    expect(one(doc, NS.dsig, 'X509Certificate').textContent).toBe(certBase64(KEYS.idp.certificatePem));
    const formats = Array.from(doc.getElementsByTagNameNS(NS.metadata, 'NameIDFormat')).map(
      (e) => e.textContent,
    );
    expect(formats).toContain(NAMEID_FORMATS.emailAddress);
  });
});

describe('SP-initiated sign-in over the Redirect binding', () => {
  it('shows a login form that carries only an opaque pending id, and hints the test users', async () => {
    const { page } = await startSignIn(new TestBrowser());
    expect(page.status).toBe(200);
    const form = parseForm(page);
    expect(form.method.toUpperCase()).toBe('POST');
    expect(form.action).toBe(`${running.baseUrl}/login`);
    expect(Object.keys(form.fields).sort()).toEqual(['password', 'pending', 'username']);
    expect(form.fields.pending).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.body).toContain('alice-pass');
    expect(page.body).toContain('bob-pass');
  });

  it('answers a wrong password with 401 and the form again, and sets no session', async () => {
    const browser = new TestBrowser();
    const { page } = await startSignIn(browser);
    const again = await browser.submit(parseForm(page), { username: 'alice', password: 'wrong' });
    expect(again.status).toBe(401);
    expect(again.body).toContain('Wrong username or password');
    expect(parseForm(again).fields.pending).toBe(parseForm(page).fields.pending);
    expect(browser.cookie('127.0.0.1', 'idp_session')).toBeUndefined();
  });

  it('signs alice in and auto-posts a signed response with her attributes to the ACS URL', async () => {
    const browser = new TestBrowser();
    const { id, page } = await signInAsAlice(browser);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<noscript>');
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith('idp_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/idp(;|$)/);
    const form = parseForm(page);
    expect(form.method.toUpperCase()).toBe('POST');
    expect(form.action).toBe(ACS);
    expect(form.fields.RelayState).toBe('/after');
    const { xml, doc } = decodeResponse(form.fields.SAMLResponse ?? '');

    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );
    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.rogue.certificatePem })).ok).toBe(
      false,
    );
    const assertion = one(doc, NS.assertion, 'Assertion');
    expect(one(assertion, NS.dsig, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIG.rsaSha256);
    expect(one(assertion, NS.dsig, 'DigestMethod').getAttribute('Algorithm')).toBe(SIG.sha256);
    expect(one(assertion, NS.dsig, 'CanonicalizationMethod').getAttribute('Algorithm')).toBe(SIG.excC14n);

    const response = doc.documentElement;
    expect(response?.getAttribute('InResponseTo')).toBe(id);
    expect(response?.getAttribute('Destination')).toBe(ACS);
    const nameId = one(doc, NS.assertion, 'NameID');
    expect(nameId.textContent).toBe('alice@example.com');
    expect(nameId.getAttribute('Format')).toBe(NAMEID_FORMATS.emailAddress);
    const confirmation = one(doc, NS.assertion, 'SubjectConfirmationData');
    expect(confirmation.getAttribute('InResponseTo')).toBe(id);
    expect(confirmation.getAttribute('Recipient')).toBe(ACS);
    expect(one(doc, NS.assertion, 'Audience').textContent).toBe(SP);
    const issuers = all(doc, NS.assertion, 'Issuer').map((e) => e.textContent);
    expect(issuers).toEqual([running.idp.entityId, running.idp.entityId]);
    expect(one(doc, NS.assertion, 'AuthnStatement').getAttribute('SessionIndex')).toMatch(/^_[0-9a-f]{32}$/);
    expect(attributesOf(doc)).toEqual({
      email: ['alice@example.com'],
      firstName: ['Alice'],
      lastName: ['Liddell'],
      groups: ['engineering', 'admins'],
    });
  });

  it('signs the same browser in again without asking for the password, in the same IdP session', async () => {
    const browser = new TestBrowser();
    const first = await signInAsAlice(browser);
    const firstIndex = one(
      decodeResponse(parseForm(first.page).fields.SAMLResponse ?? '').doc,
      NS.assertion,
      'AuthnStatement',
    ).getAttribute('SessionIndex');

    const second = await startSignIn(browser, { relayState: '/second' });
    const form = parseForm(second.page);
    expect(form.action).toBe(ACS);
    expect(form.fields.password).toBeUndefined();
    expect(form.fields.RelayState).toBe('/second');
    const { doc } = decodeResponse(form.fields.SAMLResponse ?? '');
    expect(doc.documentElement?.getAttribute('InResponseTo')).toBe(second.id);
    expect(one(doc, NS.assertion, 'AuthnStatement').getAttribute('SessionIndex')).toBe(firstIndex);
  });

  it('asks for the password again when the request says ForceAuthn', async () => {
    const browser = new TestBrowser();
    await signInAsAlice(browser);
    const { page } = await startSignIn(browser, { forceAuthn: true });
    expect(Object.keys(parseForm(page).fields)).toContain('password');
  });

  it('ends the IdP session at /logout, so the next request asks for the password', async () => {
    const browser = new TestBrowser();
    await signInAsAlice(browser);
    const out = await browser.get(`${running.baseUrl}/logout`);
    // Single Logout goes on to the SP that took part in the session (front channel, issue #6).
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toMatch(/^https:\/\/sp\.example\.test\/saml\/dev\/slo\?SAMLRequest=/);
    expect(browser.cookie('127.0.0.1', 'idp_session')).toBeUndefined();
    const { page } = await startSignIn(browser);
    expect(Object.keys(parseForm(page).fields)).toContain('password');
  });

  it('refuses a login form whose pending id it does not know', async () => {
    const browser = new TestBrowser();
    const page = await browser.post(`${running.baseUrl}/login`, {
      pending: 'forged',
      username: 'alice',
      password: 'alice-pass',
    });
    expect(page.status).toBe(400);
    expect(browser.cookie('127.0.0.1', 'idp_session')).toBeUndefined();
  });

  it('posts to the default ACS when the request names an ACS URL the SP metadata does not list', async () => {
    const { page } = await startSignIn(new TestBrowser(), { acsUrl: 'https://evil.example.test/acs' });
    const done = await new TestBrowser().submit(parseForm(page), { username: 'bob', password: 'bob-pass' });
    expect(parseForm(done).action).toBe(ACS);
  });
});

describe('AuthnRequests the dev IdP refuses', () => {
  async function expectRefused(url: string, code: string): Promise<void> {
    const page = await new TestBrowser().get(url);
    expect(page.status).toBe(400);
    expect(page.body).toContain(code);
    expect(page.body).not.toMatch(/name="password"/);
  }

  it('refuses an unsigned request from an SP whose metadata says AuthnRequestsSigned', async () => {
    const xml = authnRequestXml({ id: requestId(), issuer: SP, destination: sso });
    await expectRefused(redirectUrl(sso, xml), 'SAML_SIGNATURE_MISSING');
  });

  it('refuses a request signed with a key that is not in the SP metadata', async () => {
    const xml = authnRequestXml({ id: requestId(), issuer: SP, destination: sso });
    await expectRefused(redirectUrl(sso, xml, { key: KEYS.rogue }), 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a request whose RelayState was changed after signing', async () => {
    const xml = authnRequestXml({ id: requestId(), issuer: SP, destination: sso });
    const url = redirectUrl(sso, xml, { key: KEYS.sp, relayState: '/a' }).replace(
      'RelayState=%2Fa',
      'RelayState=%2Fb',
    );
    await expectRefused(url, 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a request from an unknown SP', async () => {
    const xml = authnRequestXml({
      id: requestId(),
      issuer: 'https://unknown.example.test',
      destination: sso,
    });
    await expectRefused(redirectUrl(sso, xml, { key: KEYS.sp }), 'SAML_CONNECTION_NOT_FOUND');
  });

  it('refuses a request addressed to another IdP endpoint', async () => {
    const xml = authnRequestXml({
      id: requestId(),
      issuer: SP,
      destination: 'https://other-idp.example.test/sso',
    });
    await expectRefused(redirectUrl(sso, xml, { key: KEYS.sp }), 'SAML_DESTINATION_MISMATCH');
  });

  it('refuses an oversized POST body with 413, not a server error', async () => {
    const page = await new TestBrowser().post(sso, { SAMLRequest: 'A'.repeat(600_000) });
    expect(page.status).toBe(413);
  });

  it('refuses a query without SAMLRequest', async () => {
    await expectRefused(`${sso}?RelayState=x`, 'SAML_MESSAGE_MISSING');
  });
});

describe('the POST binding and SPs added later', () => {
  const LATER_SP = 'https://later.example.test/sp';
  const LATER_ACS = ['https://later.example.test/acs', 'https://later.example.test/acs-2'];

  it('serves an SP whose metadata arrives after start, and accepts its signed POST request', async () => {
    const browser = new TestBrowser();
    const id = requestId();
    const signed = signXml(
      authnRequestXml({ id, issuer: LATER_SP, destination: sso, acsUrl: LATER_ACS[1] }),
      KEYS.sp,
    );
    const body = { SAMLRequest: Buffer.from(signed).toString('base64'), RelayState: 'rs' };
    expect((await browser.post(sso, body)).status).toBe(400);

    running.spDocuments.push(spMetadataFixture({ entityId: LATER_SP, acsUrls: LATER_ACS }));
    const page = await browser.post(sso, body);
    expect(page.status).toBe(200);
    const done = await browser.submit(parseForm(page), { username: 'bob', password: 'bob-pass' });
    const form = parseForm(done);
    // The requested ACS URL is listed in the SP metadata, so it is honoured.
    expect(form.action).toBe(LATER_ACS[1]);
    expect(form.fields.RelayState).toBe('rs');
    const { doc } = decodeResponse(form.fields.SAMLResponse ?? '');
    expect(doc.documentElement?.getAttribute('InResponseTo')).toBe(id);
    expect(attributesOf(doc).groups).toEqual(['sales']);
  });

  it('refuses a POST request whose signature covers another element than the AuthnRequest', async () => {
    const id = requestId();
    const extensions = `<samlp:Extensions><x:Decoy xmlns:x="urn:example:decoy" ID="_decoy"/></samlp:Extensions>`;
    const xml = authnRequestXml({ id, issuer: SP, destination: sso, extensions });
    const wrapped = signXml(xml, KEYS.sp, "//*[@ID='_decoy']");
    const page = await new TestBrowser().post(sso, { SAMLRequest: Buffer.from(wrapped).toString('base64') });
    expect(page.status).toBe(400);
    expect(page.body).toContain('SAML_SIGNATURE_INVALID');
  });

  it('accepts an unsigned request only from an SP whose metadata does not promise signed requests', async () => {
    const entityId = 'https://unsigned.example.test/sp';
    running.spDocuments.push(
      spMetadataFixture({
        entityId,
        acsUrls: ['https://unsigned.example.test/acs'],
        authnRequestsSigned: false,
      }),
    );
    const xml = authnRequestXml({ id: requestId(), issuer: entityId, destination: sso });
    const page = await new TestBrowser().post(sso, { SAMLRequest: Buffer.from(xml).toString('base64') });
    expect(page.status).toBe(200);
    expect(Object.keys(parseForm(page).fields)).toContain('password');
  });
});
