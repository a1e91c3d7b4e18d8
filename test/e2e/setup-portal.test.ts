/**
 * Issue #12, the first Done-when scenario, as far as main has its pieces: a Chromium test that plays both people.
 * The app admin creates a setup link through the admin API; the customer's IT admin, in another browser
 * context with no admin token, opens it, picks Keycloak, reads the values off the page, creates the client in
 * the real Keycloak through its admin REST API with exactly those values (and the SP certificate downloaded
 * from the page), gives Keycloak's metadata URL, runs the test sign-in with their own account (passes) and
 * activates. Then a user types their work email on /saml/discover (the domain the IT admin verified) and signs
 * in through the new connection, and the revoked link gets a clear page.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REALM } from '../../dev-idp/runner/realm.ts';
import { certificateBase64 } from '../../src/core/keys.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import {
  type E2eSp,
  keycloakAdminHeaders,
  launchChromium,
  me,
  startSp,
  submitKeycloakLogin,
  USERS,
} from './helpers.ts';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const ORGANIZATION = 'acme-kc';

let sp: E2eSp;
let dns: TestDnsServer;
let browser: Browser;
let clientsUrl: string;
let clientUuid: string | undefined;

/** The app admin's side: the admin API with the bearer token. */
async function adminApi(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sp.baseUrl}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Clicks something that navigates, and waits for the new page to load. */
async function navigate(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated'), page.click(selector)]);
  await page.waitForLoadState('load');
}

beforeAll(async () => {
  dns = await startDnsServer();
  sp = await startSp({ ADMIN_TOKEN, DNS_SERVERS: dns.server });
  browser = await launchChromium();
  clientsUrl = `${inject('keycloak').keycloakUrl}/admin/realms/${REALM}/clients`;
});

afterAll(async () => {
  if (clientUuid) {
    await fetch(`${clientsUrl}/${clientUuid}`, { method: 'DELETE', headers: await keycloakAdminHeaders() });
  }
  await browser?.close();
  await sp?.close();
  await dns?.close();
});

describe('the customer’s IT admin sets up Keycloak alone through a setup link', () => {
  let link: { id: string; url: string; expiresAt: string };
  let itAdmin: BrowserContext;
  let portal: Page;
  let connectionId: string;
  /** Every Referer the IT admin's browser sent, to any site. */
  const referers: string[] = [];

  it('the app admin creates the organization and its link through the admin API', async () => {
    const organization = await adminApi('POST', '/organizations', {
      id: ORGANIZATION,
      name: 'Acme (Keycloak)',
    });
    expect(organization.status).toBe(201);
    const { status, json } = await adminApi('POST', `/organizations/${ORGANIZATION}/setup-links`, {
      expiresInDays: 3,
    });
    expect(status).toBe(201);
    link = json as typeof link;
    expect(link.url).toMatch(/\/setup\/[A-Za-z0-9_-]{43}$/);
  });

  it('the IT admin opens it without an account: the token leaves the address bar', async () => {
    itAdmin = await browser.newContext();
    itAdmin.on('request', (request) => {
      const referer = request.headers().referer;
      if (referer) referers.push(referer);
    });
    await itAdmin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sp.baseUrl });
    portal = await itAdmin.newPage();
    await portal.goto(link.url);
    expect(portal.url()).toBe(`${sp.baseUrl}/setup/portal`);
    expect(await portal.textContent('h1')).toContain('Set up single sign-on for Acme (Keycloak)');
  });

  it('picks Keycloak, reads the values off the page and creates the client in Keycloak with exactly those', async () => {
    await navigate(portal, 'a[data-vendor="keycloak"]');
    const value = async (name: string) => ((await portal.textContent(`[data-sp="${name}"]`)) ?? '').trim();
    const entityId = await value('entityId');
    const acsUrl = await value('acsUrl');
    const sloUrl = await value('sloUrl');
    connectionId = /\/saml\/([^/]+)\/acs$/.exec(acsUrl)?.[1] ?? '';
    expect(connectionId).toMatch(new RegExp(`^${ORGANIZATION}-[0-9a-f]{8}$`));
    // The Keycloak steps on the page name the same values.
    const steps = (await portal.textContent('ol[data-steps="keycloak"]')) ?? '';
    expect(steps).toContain(`Client ID ${entityId}`);
    expect(steps).toContain(acsUrl);
    expect(steps).toContain(sloUrl);
    // The copy button puts the value on the clipboard.
    await portal.click(`button[data-copy="${entityId}"]`);
    expect(await portal.evaluate(() => navigator.clipboard.readText())).toBe(entityId);
    // The SP certificate from the page's download ("import the SP certificate").
    const download = await itAdmin.request.get(`${sp.baseUrl}/setup/portal/sp-certificate.pem`);
    expect(download.status()).toBe(200);
    const certificatePem = await download.text();

    const created = await fetch(clientsUrl, {
      method: 'POST',
      headers: await keycloakAdminHeaders(),
      body: JSON.stringify({
        clientId: entityId,
        name: `saml-sp-kit setup link ${ORGANIZATION}`,
        protocol: 'saml',
        redirectUris: [acsUrl],
        attributes: {
          saml_assertion_consumer_url_post: acsUrl,
          saml_single_logout_service_url_post: sloUrl,
          saml_single_logout_service_url_redirect: sloUrl,
          'saml.client.signature': 'true',
          'saml.signing.certificate': certificateBase64(certificatePem),
          'saml.assertion.signature': 'true',
          'saml.signature.algorithm': 'RSA_SHA256',
        },
        protocolMappers: [
          ...['email', 'firstName', 'lastName'].map((name) => ({
            name,
            protocol: 'saml',
            protocolMapper: 'saml-user-property-mapper',
            config: { 'user.attribute': name, 'attribute.name': name, 'attribute.nameformat': 'Basic' },
          })),
          {
            name: 'groups',
            protocol: 'saml',
            protocolMapper: 'saml-group-membership-mapper',
            config: {
              'attribute.name': 'groups',
              'attribute.nameformat': 'Basic',
              single: 'false',
              'full.path': 'false',
            },
          },
        ],
      }),
    });
    expect(created.status).toBe(201);
    clientUuid = (created.headers.get('location') ?? '').split('/').pop();
  });

  it('gives Keycloak’s metadata URL and sees it accepted, with the lint in plain words', async () => {
    const descriptor = `${inject('keycloak').realmUrl}/protocol/saml/descriptor`;
    await portal.fill('#metadataUrl', descriptor);
    await navigate(portal, '#metadata button[type="submit"]');
    expect(await portal.textContent('#flash')).toContain('Metadata saved');
    expect((await portal.textContent('#idp-entity-id'))?.trim()).toBe(inject('keycloak').realmUrl);
    // Keycloak in dev mode serves http: the lint says so, as a severity in words.
    const lint = await portal.locator('#metadata .lint li').allTextContents();
    expect(lint.length).toBeGreaterThan(0);
    expect(lint.join('\n')).toMatch(/Must fix|Worth checking|Good to know/);
    expect(await portal.isDisabled('#activate-button')).toBe(true);
  });

  it('verifies the email domain: the TXT record read off the page, published on the loopback DNS server', async () => {
    const domain = USERS.alice.email.split('@')[1] as string;
    await portal.fill('#domain-name', domain);
    await navigate(portal, '#domain form:not(.inline) button[type="submit"]');
    const name = ((await portal.textContent('#domain [data-sp="txtName"]')) ?? '').trim();
    const value = ((await portal.textContent('#domain [data-sp="txtValue"]')) ?? '').trim();
    expect(name).toBe(`_saml-sp-kit-challenge.${domain}`);
    dns.txt.set(name.toLowerCase(), [[value]]);
    await navigate(portal, `#domain tr[data-domain="${domain}"] button[type="submit"]`);
    expect(await portal.textContent('#flash')).toContain(`${domain} is verified.`);
    expect(await portal.textContent(`#domain tr[data-domain="${domain}"]`)).toContain('verified');
  });

  it('runs the test sign-in with their own Keycloak account: it passes, and Keycloak never learns the portal URL', async () => {
    const toKeycloak: (string | undefined)[] = [];
    const fromPortal = (request: { url(): string; headers(): Record<string, string> }) => {
      if (request.url().startsWith(inject('keycloak').keycloakUrl))
        toKeycloak.push(request.headers().referer);
    };
    portal.on('request', fromPortal);
    await navigate(portal, '#start-test');
    await submitKeycloakLogin(portal, USERS.alice);
    await portal.waitForSelector('[data-test="passed"]');
    expect(portal.url()).toBe(`${sp.baseUrl}/setup/portal#test`);
    expect((await portal.textContent('#test-name-id'))?.trim()).toBe(USERS.alice.username);
    expect(await portal.textContent('#test')).toContain(USERS.alice.email);
    portal.off('request', fromPortal);
    expect(toKeycloak.length).toBeGreaterThan(0);
    // Keycloak's own pages refer to themselves; nothing it receives names a page of ours.
    expect(toKeycloak.filter((r) => r?.startsWith(sp.baseUrl))).toEqual([]);
  });

  it('activates after the passing test', async () => {
    expect(await portal.isDisabled('#activate-button')).toBe(false);
    await navigate(portal, '#activate-button');
    await portal.waitForSelector('[data-activated="true"]');
    const { json } = await adminApi('GET', `/organizations/${ORGANIZATION}/setup-links/${link.id}`);
    expect(json.connectionId).toBe(connectionId);
    expect(json.activatedAt).not.toBeNull();
    const actions = (json.uses as { action: string }[]).map((u) => u.action);
    expect(actions).toEqual([
      'open',
      'vendor:keycloak',
      'metadata',
      'domain-add',
      'domain-verify',
      'test-start',
      'test-result',
      'activate',
    ]);
  });

  it('a user then types their work email on /saml/discover and signs in through the new connection', async () => {
    const user = await browser.newContext();
    const page = await user.newPage();
    await page.goto(`${sp.baseUrl}/saml/discover?returnTo=/me`);
    await page.fill('#email', USERS.bob.email);
    await Promise.all([page.waitForURL(/\/realms\//), page.click('#discover-submit')]);
    await submitKeycloakLogin(page, USERS.bob);
    await page.waitForURL(`${sp.baseUrl}/me`);
    const { status, body } = await me(user, sp);
    expect(status).toBe(200);
    expect(body).toMatchObject({ connectionId, email: USERS.bob.email, groups: USERS.bob.groups });
    await user.close();
  });

  it('once revoked, the link gets a clear page and no access, in the open portal and when opened again', async () => {
    expect((await adminApi('DELETE', `/organizations/${ORGANIZATION}/setup-links/${link.id}`)).status).toBe(
      200,
    );
    await portal.goto(`${sp.baseUrl}/setup/portal`);
    expect(await portal.textContent('h1')).toBe('This setup link was revoked');
    expect(await portal.textContent('main')).toContain('for a new link');
    const fresh = await browser.newContext();
    const page = await fresh.newPage();
    const response = await page.goto(link.url);
    expect(response?.status()).toBe(410);
    expect(await page.locator('#start-test').count()).toBe(0);
    await fresh.close();
    await itAdmin.close();
    // Across the whole setup, no Referer carried the link's token (no-referrer on every portal answer).
    const token = link.url.slice(link.url.lastIndexOf('/') + 1);
    expect(referers.filter((r) => r.includes(token))).toEqual([]);
    expect(referers.filter((r) => r.startsWith(`${sp.baseUrl}/setup`))).toEqual([]);
  });
});
