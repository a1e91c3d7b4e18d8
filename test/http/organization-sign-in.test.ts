/**
 * Issue #12 items 1 and 5 over HTTP on the real server with the embedded dev IdP and a real DNS server on
 * loopback: domain verification by DNS TXT, the organization's policy at sign-in (verified email domains,
 * JIT), sign-in by work email (page and JSON API, one connection or a chooser, the same answer for every
 * "no"), the login hint per preset, and sp.requiresSso.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';

let t: TestServer;
let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startDnsServer();
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, DNS_SERVERS: dns.server });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await dns?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field.
type Json = any;

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json };
}

/** A connection to the embedded IdP in `organizationId`, with its own SP entity ID (so the IdP tells it apart). */
async function devConnection(id: string, organizationId: string, preset = 'keycloak') {
  const metadataXml = await (await fetch(`${t.baseUrl}/idp/metadata`)).text();
  const created = await api('POST', '/connections', {
    id,
    displayName: `${id} IdP`,
    organizationId,
    metadataXml,
    preset,
    ownSpEntityId: true,
  });
  expect(created.status).toBe(201);
  return created.json;
}

/** Signs in through `connectionId` as a dev IdP user; returns the ACS answer. */
async function signIn(b: TestBrowser, connectionId: string, username = 'alice'): Promise<Page> {
  const loginPage = await b.follow(await b.get(`${t.baseUrl}/saml/${connectionId}/login?returnTo=/after`));
  const posted = await b.submit(parseForm(loginPage), { username, password: `${username}-pass` });
  return b.submit(parseForm(posted));
}

function sessionCookie(b: TestBrowser): string | undefined {
  return b.cookie('localhost', 'saml_sp_session');
}

describe('domain verification by DNS TXT record (real DNS server on loopback)', () => {
  it('verifies only when the record carries this claim’s value; says what to publish otherwise', async () => {
    const created = await api('POST', '/organizations', {
      id: 'dns-co',
      name: 'DNS Co',
      domains: ['dns-co.test'],
    });
    const { challenge } = created.json.domains[0];
    expect(challenge.name).toBe('_saml-sp-kit-challenge.dns-co.test');

    const missing = await api('POST', '/organizations/dns-co/domains/dns-co.test/verify', {});
    expect(missing.status).toBe(422);
    expect(missing.json.error.code).toBe('DOMAIN_VERIFICATION_FAILED');
    expect(missing.json.error.hint).toContain(challenge.value);
    expect(dns.questions).toContain('_saml-sp-kit-challenge.dns-co.test');

    // Another organization's value (or a stale one) does not verify this claim.
    dns.txt.set(challenge.name, [['v=spf1 -all'], ['saml-sp-kit-verification=someone-elses-token']]);
    const wrong = await api('POST', '/organizations/dns-co/domains/dns-co.test/verify', {});
    expect(wrong.json.error.code).toBe('DOMAIN_VERIFICATION_FAILED');
    expect(wrong.json.error.message).toContain('someone-elses-token');

    // A long value split into several strings of one record is joined, as resolvers do for SPF.
    const value: string = challenge.value;
    dns.txt.set(challenge.name, [['v=spf1 -all'], [value.slice(0, 20), value.slice(20)]]);
    const verified = await api('POST', '/organizations/dns-co/domains/dns-co.test/verify', {});
    expect(verified.status).toBe(200);
    expect(verified.json.domains[0]).toMatchObject({
      domain: 'dns-co.test',
      verified: true,
      verificationMethod: 'dns',
      verifiedBy: 'bootstrap',
    });
  });

  it('answers 503 DNS_UNAVAILABLE when the resolver fails, and changes nothing', async () => {
    await api('POST', '/organizations', { id: 'flaky', name: 'Flaky', domains: ['flaky.test'] });
    dns.failing = true;
    try {
      const answer = await api('POST', '/organizations/flaky/domains/flaky.test/verify', {});
      expect(answer.status).toBe(503);
      expect(answer.json.error.code).toBe('DNS_UNAVAILABLE');
    } finally {
      dns.failing = false;
    }
    expect((await api('GET', '/organizations/flaky')).json.domains[0].verified).toBe(false);
  });
});

describe('organization policy at sign-in', () => {
  beforeAll(async () => {
    await api('POST', '/organizations', { id: 'acme', name: 'Acme', domains: ['acme.test'] });
    await api('POST', '/organizations/acme/domains/acme.test/verify', { method: 'admin' });
    await devConnection('acme-idp', 'acme');
  });

  it('refuses an email outside the verified domains with SAML_EMAIL_DOMAIN_NOT_VERIFIED, and creates no session', async () => {
    const b = new TestBrowser();
    const answer = await signIn(b, 'acme-idp');
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('SAML_EMAIL_DOMAIN_NOT_VERIFIED');
    expect(sessionCookie(b)).toBeUndefined();
    const users = await t.server.stores.users.list({ connectionId: 'acme-idp' });
    expect(users).toEqual([]);
    const health = await api('GET', '/connections/acme-idp');
    expect(health.json.health.lastFailure.code).toBe('SAML_EMAIL_DOMAIN_NOT_VERIFIED');
    expect(health.json.health.lastFailure.hint).toContain('acme');
  });

  it('accepts the address once its domain is verified by this organization; turning the restriction off lets any address in', async () => {
    // example.com is the dev organization's (verified at startup): a domain belongs to one organization only.
    const taken = await api('POST', '/organizations/acme/domains', { domain: 'example.com' });
    expect(taken.status).toBe(409);
    expect(taken.json.error.details).toEqual({ domain: 'example.com', organizationId: 'dev' });

    // Given up by the dev organization and claimed by acme, but not verified yet: still refused.
    await api('DELETE', '/organizations/dev/domains/example.com');
    await api('POST', '/organizations/acme/domains', { domain: 'example.com' });
    expect((await signIn(new TestBrowser(), 'acme-idp')).status).toBe(403);
    const verified = await api('POST', '/organizations/acme/domains/example.com/verify', { method: 'admin' });
    expect(verified.json.enforcement.restrictToVerifiedDomains).toBe('active');
    expect((await signIn(new TestBrowser(), 'acme-idp')).status).toBe(303);
    // Back to the dev organization, for the discovery tests below.
    await api('DELETE', '/organizations/acme/domains/example.com');
    await api('POST', '/organizations/dev/domains', { domain: 'example.com' });
    await api('POST', '/organizations/dev/domains/example.com/verify', { method: 'admin' });

    await api('PATCH', '/organizations/acme', { policy: { restrictToVerifiedDomains: false } });
    const b = new TestBrowser();
    const answer = await signIn(b, 'acme-idp');
    expect(answer.status).toBe(303);
    expect(sessionCookie(b)).toBeDefined();
    await api('PATCH', '/organizations/acme', { policy: { restrictToVerifiedDomains: true } });
  });

  it('without JIT, refuses a user who does not exist yet with SAML_JIT_DISABLED, and lets an existing one in', async () => {
    await api('POST', '/organizations', { id: 'nojit', name: 'No JIT', policy: { jit: false } });
    await devConnection('nojit-idp', 'nojit');
    const b = new TestBrowser();
    const refused = await signIn(b, 'nojit-idp', 'bob');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('SAML_JIT_DISABLED');
    expect(sessionCookie(b)).toBeUndefined();
    expect(await t.server.stores.users.list({ connectionId: 'nojit-idp' })).toEqual([]);

    // Alice exists (provisioned while JIT was on): she may sign in after it is switched off.
    await api('PATCH', '/organizations/nojit', { policy: { jit: true } });
    expect((await signIn(new TestBrowser(), 'nojit-idp', 'alice')).status).toBe(303);
    await api('PATCH', '/organizations/nojit', { policy: { jit: false } });
    const again = new TestBrowser();
    expect((await signIn(again, 'nojit-idp', 'alice')).status).toBe(303);
    expect(sessionCookie(again)).toBeDefined();
  });
});

describe('sign in by work email', () => {
  it('the dev organization owns example.com: alice@example.com goes straight to the dev IdP with a login hint', async () => {
    const b = new TestBrowser();
    const form = parseForm(await b.get(`${t.baseUrl}/saml/discover?returnTo=/me`));
    expect(form.fields).toMatchObject({ email: '', returnTo: '/me' });
    const answer = await b.submit(form, { email: 'Alice@Example.com' });
    expect(answer.status).toBe(303);
    const login = new URL(answer.headers.get('location') ?? '', t.baseUrl);
    expect(login.pathname).toBe('/saml/dev/login');
    expect(login.searchParams.get('returnTo')).toBe('/me');

    // The dev connection uses the keycloak preset: the hint travels as the AuthnRequest's Subject NameID.
    const redirect = await b.get(login.toString());
    const request = decodeAndInflate(
      new URL(redirect.headers.get('location') ?? '').searchParams.get('SAMLRequest') ?? '',
    );
    expect(request).toContain(
      '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">Alice@Example.com</saml:NameID></saml:Subject>',
    );
    const loginPage = await b.follow(redirect);
    const posted = await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
    const done = await b.submit(parseForm(posted));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/me');
  });

  it('answers JSON with every usable connection of the organization, and offers a chooser page', async () => {
    await api('POST', '/organizations', { id: 'multi', name: 'Multi', domains: ['multi.test'] });
    await api('POST', '/organizations/multi/domains/multi.test/verify', { method: 'admin' });
    await devConnection('multi-b', 'multi');
    await devConnection('multi-a', 'multi', 'entra');
    const response = await fetch(`${t.baseUrl}/saml/discover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'carol@multi.test', returnTo: '/x' }),
    });
    expect(response.status).toBe(200);
    const { connections } = (await response.json()) as Json;
    expect(connections.map((c: Json) => c.id)).toEqual(['multi-a', 'multi-b']);
    expect(connections[0].loginUrl).toBe('/saml/multi-a/login?returnTo=%2Fx&login_hint=carol%40multi.test');

    const b = new TestBrowser();
    const chooser = await b.post(`${t.baseUrl}/saml/discover`, { email: 'carol@multi.test', returnTo: '/' });
    expect(chooser.status).toBe(200);
    expect(chooser.body).toContain('multi-a IdP');
    expect(chooser.body).toContain('multi-b IdP');

    // The entra preset: a login_hint query parameter on the Redirect URL, no Subject in the request.
    const start = await b.get(`${t.baseUrl}${connections[0].loginUrl}`);
    const idpUrl = new URL(start.headers.get('location') ?? '');
    expect(idpUrl.searchParams.get('login_hint')).toBe('carol@multi.test');
    expect(decodeAndInflate(idpUrl.searchParams.get('SAMLRequest') ?? '')).not.toContain('Subject');
  });

  it('gives the same answer for an unknown domain, an unverified claim and an organization without a usable connection', async () => {
    await api('POST', '/organizations', { id: 'pending', name: 'Pending', domains: ['pending.test'] });
    await devConnection('pending-idp', 'pending');
    await api('POST', '/organizations', { id: 'empty', name: 'Empty', domains: ['empty.test'] });
    await api('POST', '/organizations/empty/domains/empty.test/verify', { method: 'admin' });
    const answers: { status: number; body: unknown }[] = [];
    const pages: string[] = [];
    for (const email of ['x@unknown.test', 'x@pending.test', 'x@empty.test', 'not-an-email']) {
      const json = await fetch(`${t.baseUrl}/saml/discover`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      const body = (await json.json()) as Json;
      expect(body.error.code).toBe('SAML_NO_SSO_FOR_EMAIL');
      answers.push({
        status: json.status,
        body: { code: body.error.code, message: body.error.message, hint: body.error.hint },
      });
      const page = await new TestBrowser().post(`${t.baseUrl}/saml/discover`, { email, returnTo: '/' });
      expect(page.status).toBe(404);
      pages.push(page.body.replace(/value="[^"]*"/g, ''));
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(new Set(pages).size).toBe(1);
    expect(pages[0]).not.toContain('Pending');
    expect(pages[0]).not.toContain('Empty');
  });

  it('sp.requiresSso: true only for a verified domain of an organization with ssoRequired and a usable connection', async () => {
    const sp = t.server.sp;
    expect(await sp.requiresSso('carol@multi.test')).toBe(false);
    await api('PATCH', '/organizations/multi', { policy: { ssoRequired: true } });
    expect(await sp.requiresSso('carol@multi.test')).toBe(true);
    expect(await sp.requiresSso('carol@MULTI.test')).toBe(true);
    expect(await sp.requiresSso('carol@sub.multi.test')).toBe(false);
    await api('PATCH', '/organizations/pending', { policy: { ssoRequired: true } });
    expect(await sp.requiresSso('x@pending.test')).toBe(false);
    await api('PATCH', '/organizations/empty', { policy: { ssoRequired: true } });
    expect(await sp.requiresSso('x@empty.test')).toBe(false);
  });

  it('the home page offers the email form and lists no connection by default', async () => {
    const home = await new TestBrowser().get(`${t.baseUrl}/`);
    expect(home.body).toContain('id="discover-form"');
    expect(home.body).toContain('alice@example.com');
    expect(home.body).not.toContain('/saml/acme-idp/login');
    expect(home.body).not.toContain('/saml/dev/login');
  });
});
