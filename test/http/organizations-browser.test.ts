/**
 * Issue #12 items 1 and 5 in real Chromium. The app admin creates an organization on the admin page, publishes
 * its DNS record (a real DNS server on loopback), verifies the domain and gives it a connection; then users
 * type their work email on /saml/discover. alice@example.com (the dev organization's verified domain) is
 * signed in through the embedded dev IdP, with her username pre-filled from the login hint; typing
 * alice@wonderland.test leads to wonderland's connection, whose IdP asserts alice@example.com, outside
 * wonderland's verified domains: refused with SAML_EMAIL_DOMAIN_NOT_VERIFIED, and no session.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'browser-admin-token-0123456789';

let t: TestServer;
let dns: TestDnsServer;
let browser: Browser;

beforeAll(async () => {
  dns = await startDnsServer();
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, DNS_SERVERS: dns.server });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await dns?.close();
});

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

describe('organizations and sign-in by work email in Chromium', () => {
  it('the admin verifies a domain by DNS on the admin page', { timeout: 120_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);

    await page.click('nav >> text=Organizations');
    expect(await page.textContent('h1')).toBe('Organizations');
    // The dev organization exists from the start, with its test accounts' domain verified.
    expect(await page.textContent('#organizations')).toContain('example.com');

    await page.fill('#org-name', 'Wonderland');
    await page.fill('#org-id', 'wonderland');
    await page.fill('#org-domains', 'wonderland.test');
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/admin/organizations/wonderland`),
      page.click('button:has-text("Create")'),
    ]);
    const record = await page.textContent('#domains');
    const name = /(_saml-sp-kit-challenge\.wonderland\.test)/.exec(record ?? '')?.[1];
    const value = /(saml-sp-kit-verification=[A-Za-z0-9_-]+)/.exec(record ?? '')?.[1];
    expect(name && value).toBeTruthy();

    // Not published yet: the check fails and says what to publish.
    await page.click('button:has-text("Check DNS")');
    expect(await page.textContent('.flash')).toContain('DOMAIN_VERIFICATION_FAILED');

    dns.txt.set(name as string, [[value as string]]);
    await page.click('button:has-text("Check DNS")');
    expect(await page.textContent('.flash')).toContain('verified');
    expect(await page.textContent('#domains')).toContain('(dns, by admin)');
    expect(violations).toEqual([]);
    await context.close();

    // Wonderland's connection to the embedded IdP (its own SP entity ID, so the IdP tells the two apart).
    const created = await fetch(`${t.baseUrl}/admin/api/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'wonderland-idp',
        displayName: 'Wonderland IdP',
        organizationId: 'wonderland',
        metadataXml: await (await fetch(`${t.baseUrl}/idp/metadata`)).text(),
        preset: 'keycloak',
        ownSpEntityId: true,
      }),
    });
    expect(created.status).toBe(201);
  });

  it('alice types her work email on /saml/discover and is signed in through the dev IdP', {
    timeout: 120_000,
  }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);
    await page.goto(`${t.baseUrl}/saml/discover?returnTo=/me`);
    await page.fill('#email', 'alice@example.com');
    await Promise.all([page.waitForURL(/\/idp\//), page.click('#discover-submit')]);
    // The login hint reached the IdP: the username is already filled in.
    expect(await page.inputValue('#username')).toBe('alice');
    await page.fill('#password', 'alice-pass');
    await Promise.all([page.waitForURL(`${t.baseUrl}/me`), page.click('button[type=submit]')]);
    const me = JSON.parse((await page.textContent('body')) ?? '{}');
    expect(me).toMatchObject({ email: 'alice@example.com', connectionId: 'dev' });
    expect(violations).toEqual([]);
    await context.close();
  });

  it('an email outside the organization’s verified domains is refused with SAML_EMAIL_DOMAIN_NOT_VERIFIED', {
    timeout: 120_000,
  }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The home page offers the same form.
    await page.goto(`${t.baseUrl}/`);
    await page.fill('#email', 'alice@wonderland.test');
    await Promise.all([page.waitForURL(/\/idp\//), page.click('#discover-submit')]);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pass');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/saml/wonderland-idp/acs')),
      page.click('button[type=submit]'),
    ]);
    expect(answer.status()).toBe(403);
    expect(await page.textContent('body')).toContain('SAML_EMAIL_DOMAIN_NOT_VERIFIED');
    expect((await context.cookies()).map((c) => c.name)).not.toContain('saml_sp_session');
    await context.close();
  });

  it('an address without single sign-on gets the form back with SAML_NO_SSO_FOR_EMAIL', {
    timeout: 60_000,
  }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/saml/discover`);
    await page.fill('#email', 'someone@nowhere.test');
    await page.click('#discover-submit');
    expect(await page.textContent('#discover-error')).toContain('SAML_NO_SSO_FOR_EMAIL');
    expect(await page.inputValue('#email')).toBe('someone@nowhere.test');
    await context.close();
  });
});
