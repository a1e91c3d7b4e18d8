/**
 * Issue #6 over real HTTP (a cookie-jar browser, every hop checked): the estate's two apps on one embedded IdP.
 * Single sign-on from the IdP session; Single Logout propagated to the other app through the browser (front
 * channel: each hop named) or over SOAP (back channel); PartialLogout when the other app does not confirm;
 * propagation off; and sign-out at the IdP itself reaching both apps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestEstate, type TestEstate } from './helpers.ts';

let estate: TestEstate | undefined;
afterEach(async () => {
  await estate?.close();
  estate = undefined;
});

/** SP-initiated sign-in at an app; tells whether the IdP asked for the password. */
async function signIn(b: TestBrowser, appUrl: string): Promise<{ askedPassword: boolean }> {
  let page = await b.follow(await b.get(`${appUrl}/saml/idp/login?returnTo=/`));
  let form = parseForm(page);
  const askedPassword = 'password' in form.fields;
  if (askedPassword) {
    page = await b.submit(form, { username: 'alice', password: 'alice-pass' });
    form = parseForm(page);
  }
  const landed = await b.submit(form);
  expect(landed.status).toBe(303);
  return { askedPassword };
}

async function meStatus(b: TestBrowser, appUrl: string): Promise<number> {
  return (await b.get(`${appUrl}/me`, { accept: 'application/json' })).status;
}

/** Follows a redirect chain, naming each hop as "<app> <path> <SAML message>". */
async function followChain(
  b: TestBrowser,
  start: Page,
  e: TestEstate,
): Promise<{ hops: string[]; last: Page }> {
  const names = new Map(Object.entries(e.url).map(([name, url]) => [new URL(url).host, name]));
  const hops: string[] = [];
  let page = start;
  for (let i = 0; i < 12 && page.status >= 300 && page.status < 400; i++) {
    const next = new URL(page.headers.get('location') ?? '', page.url);
    const message = next.searchParams.has('SAMLRequest')
      ? ' LogoutRequest'
      : next.searchParams.has('SAMLResponse')
        ? ' LogoutResponse'
        : '';
    hops.push(`${names.get(next.host)} ${next.pathname}${message}`);
    page = await b.get(next.toString());
  }
  return { hops, last: page };
}

async function signedInAtBoth(b: TestBrowser, e: TestEstate): Promise<void> {
  expect(await signIn(b, e.url.website)).toEqual({ askedPassword: true });
  expect(await signIn(b, e.url.billing)).toEqual({ askedPassword: false });
  expect(await meStatus(b, e.url.website)).toBe(200);
  expect(await meStatus(b, e.url.billing)).toBe(200);
  expect(e.devIdp?.sessionsOf('alice')[0]?.participants.size).toBe(2);
}

describe('estate: one login across website and billing (embedded IdP)', () => {
  it('front channel: logout at website travels website → IdP → billing → IdP → website, ending both sessions', async () => {
    estate = await startTestEstate('front-channel');
    const b = new TestBrowser();
    await signedInAtBoth(b, estate);

    const { hops, last } = await followChain(
      b,
      await b.post(`${estate.url.website}/logout?returnTo=/`, {}),
      estate,
    );
    expect(hops).toEqual([
      'idp /idp/slo LogoutRequest',
      'billing /saml/idp/slo LogoutRequest',
      'idp /idp/slo LogoutResponse',
      'website /saml/idp/slo LogoutResponse',
      'website /',
    ]);
    expect(last.body).toContain('Not signed in.');
    expect(await meStatus(b, estate.url.website)).toBe(401);
    expect(await meStatus(b, estate.url.billing)).toBe(401);
    expect(b.cookie('localhost', 'billing_session')).toBeUndefined();
    const billingAnswer = estate.devIdp?.logoutResponses().at(-1);
    expect(billingAnswer).toMatchObject({
      spEntityId: estate.url.billing,
      binding: 'redirect',
      verified: true,
    });
    expect(await signIn(b, estate.url.billing)).toEqual({ askedPassword: true });
  });

  it('back channel: the IdP tells billing over SOAP; the browser only goes website → IdP → website', async () => {
    estate = await startTestEstate('back-channel');
    const b = new TestBrowser();
    await signedInAtBoth(b, estate);

    const { hops } = await followChain(
      b,
      await b.post(`${estate.url.website}/logout?returnTo=/`, {}),
      estate,
    );
    expect(hops).toEqual(['idp /idp/slo LogoutRequest', 'website /saml/idp/slo LogoutResponse', 'website /']);
    expect(await meStatus(b, estate.url.website)).toBe(401);
    // The browser still carries billing's cookie, but the session behind it ended server to server.
    expect(b.cookie('localhost', 'billing_session')).toBeDefined();
    expect(await meStatus(b, estate.url.billing)).toBe(401);
    expect(estate.devIdp?.logoutResponses().at(-1)).toMatchObject({
      spEntityId: estate.url.billing,
      binding: 'soap',
      statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Success'],
      verified: true,
    });
    expect(await signIn(b, estate.url.website)).toEqual({ askedPassword: true });
  });

  it('back channel: when billing does not confirm, website hears PartialLogout and tells the user', async () => {
    estate = await startTestEstate('back-channel');
    const b = new TestBrowser();
    await signedInAtBoth(b, estate);
    // Billing forgets the IdP: its SLO endpoint now answers a SOAP fault.
    await estate.apps.find((a) => a.name === 'billing')?.stores.connections.delete('idp');

    const { last } = await followChain(
      b,
      await b.post(`${estate.url.website}/logout?returnTo=/`, {}),
      estate,
    );
    expect(last.url).toMatch(/\/saml\/idp\/slo\?SAMLResponse=/);
    expect(last.status).toBe(200);
    expect(last.body).toContain('Signed out, but not everywhere');
    expect(await meStatus(b, estate.url.website)).toBe(401);
  });

  it('propagation off: only website and the IdP session end; billing keeps its session', async () => {
    estate = await startTestEstate('off');
    const b = new TestBrowser();
    await signedInAtBoth(b, estate);
    const { hops } = await followChain(
      b,
      await b.post(`${estate.url.website}/logout?returnTo=/`, {}),
      estate,
    );
    expect(hops).toEqual(['idp /idp/slo LogoutRequest', 'website /saml/idp/slo LogoutResponse', 'website /']);
    expect(await meStatus(b, estate.url.website)).toBe(401);
    expect(await meStatus(b, estate.url.billing)).toBe(200);
  });

  it('sign-out at the IdP itself (front channel) visits both apps and ends on the IdP page', async () => {
    estate = await startTestEstate('front-channel');
    const b = new TestBrowser();
    await signedInAtBoth(b, estate);
    const { hops, last } = await followChain(b, await b.get(`${estate.url.idp}/idp/logout`), estate);
    expect(hops).toEqual([
      'website /saml/idp/slo LogoutRequest',
      'idp /idp/slo LogoutResponse',
      'billing /saml/idp/slo LogoutRequest',
      'idp /idp/slo LogoutResponse',
    ]);
    expect(last.body).toContain('Signed out');
    expect(last.body).not.toContain('did not confirm');
    expect(await meStatus(b, estate.url.website)).toBe(401);
    expect(await meStatus(b, estate.url.billing)).toBe(401);
  });
});
