/**
 * Issue #12 item 3 over HTTP on the real server: setup links through the admin API (create, list, revoke,
 * the 7-day default and 30-day maximum), the token kept only as a hash, expiry on an injected clock,
 * revocation that ends a portal already open, scope (one organization), the portal's headers, CSRF and rate
 * limit, and the portal's steps against the embedded development IdP: metadata with its lint, a test sign-in
 * that passes, activation gated on it.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';
import { tokenKey } from '../../src/sp/tokens.ts';
import { type HtmlForm, type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { freePort } from '../helpers/server.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';
const DAY = 86_400_000;

/** A clock the test moves. */
let offsetMs = 0;
let server: AppServer;
let baseUrl: string;
let dir: string;
let dns: TestDnsServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-setup-'));
  dns = await startDnsServer();
  const port = await freePort();
  const config = loadConfig(
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${path.join(dir, 'test.db')}`,
      CERTS_DIR: path.join(dir, 'certs'),
      DEV_IDP: 'on',
      ADMIN_TOKEN: TOKEN,
      DNS_SERVERS: dns.server,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    { cwd: dir },
  );
  server = await createAppServer(config, { now: () => new Date(Date.now() + offsetMs) });
  await server.listen(port, '127.0.0.1');
  baseUrl = config.baseUrl;
});
afterAll(async () => {
  await server?.close();
  await dns?.close();
  await rm(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown> & { error?: { code: string; message: string; hint: string } };

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const response = await fetch(`${baseUrl}/admin/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json };
}

/** The app admin's first step: the organization (once per id). */
async function createOrganization(id: string) {
  const { status } = await api('POST', '/organizations', { id, name: `${id} Inc.` });
  expect([201, 409]).toContain(status);
}

async function createLink(org: string, body: unknown = {}) {
  await createOrganization(org);
  const { status, json } = await api('POST', `/organizations/${org}/setup-links`, body);
  expect(status).toBe(201);
  return json as { id: string; url: string; expiresAt: string; organizationId: string };
}

/** The page's form that posts to `action` (a path under the base URL). */
function formFor(page: Page, action: string): HtmlForm {
  for (let i = 0; ; i++) {
    const form = parseForm(page, i);
    if (form.action === `${baseUrl}${action}`) return form;
  }
}

/** Opens a link in a fresh browser; returns the browser (holding the portal cookie) and the portal page. */
async function openPortal(url: string) {
  const browser = new TestBrowser();
  const opened = await browser.get(url);
  return { browser, opened, page: await browser.follow(opened) };
}

describe('setup links: admin API', () => {
  it('creates a link for 7 days by default: 201 { url, expiresAt }, the URL holding a 256-bit token', async () => {
    const before = Date.now();
    const link = await createLink('acme');
    expect(link.url).toMatch(new RegExp(`^${baseUrl}/setup/[A-Za-z0-9_-]{43}$`));
    expect(link.id).toMatch(/^sl_/);
    const expires = Date.parse(link.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);
  });

  it('takes expiresInDays up to 30 and refuses more, less, and unknown fields with ADMIN_INVALID_REQUEST', async () => {
    const link = await createLink('acme', { expiresInDays: 30 });
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(29.9 * DAY);
    for (const body of [{ expiresInDays: 31 }, { expiresInDays: 0 }, { expiresInDays: 1.5 }, { days: 3 }]) {
      const { status, json } = await api('POST', '/organizations/acme/setup-links', body);
      expect(status).toBe(400);
      expect(json.error?.code).toBe('ADMIN_INVALID_REQUEST');
    }
  });

  it('refuses without the admin token', async () => {
    const { status, json } = await api('POST', '/organizations/acme/setup-links', {}, null);
    expect(status).toBe(401);
    expect(json.error?.code).toBe('ADMIN_UNAUTHORIZED');
  });

  it('keeps only the hash of the token: not in the list, not in the database file', async () => {
    const link = await createLink('hashco');
    const token = link.url.slice(link.url.lastIndexOf('/') + 1);
    const { json } = await api('GET', '/organizations/hashco/setup-links');
    const list = json as unknown as Record<string, unknown>[];
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(token);
    expect(list[0]).toMatchObject({ id: link.id, organizationId: 'hashco', status: 'active' });
    expect(list[0]?.createdBy).toMatch(/^admin-token:/);
    // The audit log has the creation, with the link as it was (never its token).
    const audit = await api('GET', '/audit');
    const entries = (audit.json.entries ?? []) as { action: string; target: { type: string; id: string } }[];
    const created = entries.find((e) => e.action === 'setup_link.created' && e.target.id === link.id);
    expect(created?.target.type).toBe('setup-link');
    expect(JSON.stringify(audit.json)).not.toContain(token);
    const stored = await server.stores.setupLinks?.get(link.id);
    expect(stored?.tokenHash).toBe(tokenKey(token));
    // The database on disk (file and write-ahead log): the hash is there, the token nowhere.
    const bytes = ['test.db', 'test.db-wal']
      .map((file) => {
        try {
          return readFileSync(path.join(dir, file)).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(bytes).toContain(tokenKey(token));
    expect(bytes).not.toContain(token);
  });

  it('revokes: the link is refused with a clear page, and so is a portal already open with it', async () => {
    const link = await createLink('revokeco');
    const { browser, page } = await openPortal(link.url);
    expect(page.status).toBe(200);
    const { status, json } = await api('DELETE', `/organizations/revokeco/setup-links/${link.id}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ id: link.id, status: 'revoked' });
    // The open portal is refused on its next request.
    const after = await browser.get(`${baseUrl}/setup/portal`);
    expect(after.status).toBe(410);
    expect(after.body).toContain('data-closed="revoked"');
    expect(after.body).toMatch(/Ask localhost:\d+ for a new link/);
    expect(after.body).not.toContain('revokeco');
    // Opening the link again: the same page, no session.
    const again = await openPortal(link.url);
    expect(again.opened.status).toBe(410);
    expect(again.opened.headers.get('set-cookie')).toBeNull();
    expect(again.opened.body).toContain('This setup link was revoked');
    // The refusals are in the use log.
    const detail = await api('GET', `/organizations/revokeco/setup-links/${link.id}`);
    const actions = (detail.json.uses as { action: string }[]).map((u) => u.action);
    expect(actions).toEqual(['open', 'refused-revoked', 'refused-revoked']);
  });

  it('is scoped to its organization: another organization cannot read or revoke it', async () => {
    const link = await createLink('scopeco');
    expect((await api('GET', `/organizations/otherco/setup-links/${link.id}`)).status).toBe(404);
    const revoke = await api('DELETE', `/organizations/otherco/setup-links/${link.id}`);
    expect(revoke.status).toBe(404);
    expect(revoke.json.error?.code).toBe('SETUP_LINK_NOT_FOUND');
    expect((await api('GET', `/organizations/scopeco/setup-links/${link.id}`)).json.status).toBe('active');
  });
});

describe('setup links: expiry (injected clock)', () => {
  it('works until expiresAt and gives the expired page from then on, even to an open portal', async () => {
    const link = await createLink('expireco', { expiresInDays: 1 });
    try {
      offsetMs = DAY - 60_000;
      const { browser, page } = await openPortal(link.url);
      expect(page.status).toBe(200);
      offsetMs = DAY;
      const after = await browser.get(`${baseUrl}/setup/portal`);
      expect(after.status).toBe(410);
      expect(after.body).toContain('data-closed="expired"');
      expect(after.body).toContain('SETUP_LINK_EXPIRED');
      expect(after.body).toContain('This setup link has expired');
      const again = await openPortal(link.url);
      expect(again.opened.status).toBe(410);
      expect(again.opened.body).toContain('for a new link');
      const { json } = await api('GET', '/organizations/expireco/setup-links');
      expect((json as unknown as { status: string }[])[0]?.status).toBe('expired');
    } finally {
      offsetMs = 0;
    }
  });
});

describe('setup portal', () => {
  it('an unknown token gets the not-found page; the portal without a session gets "open your link again"', async () => {
    const unknown = await new TestBrowser().get(`${baseUrl}/setup/${'x'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('data-closed="not-found"');
    const bare = await new TestBrowser().get(`${baseUrl}/setup/portal`);
    expect(bare.status).toBe(401);
    expect(bare.body).toContain('data-closed="no-session"');
  });

  it('takes the token out of the address bar at once, and never sends a Referer', async () => {
    const link = await createLink('headerco');
    const { opened, page } = await openPortal(link.url);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/setup/portal');
    for (const answer of [opened, page]) {
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(page.body).toContain('<meta name="referrer" content="no-referrer">');
    const cookie = opened.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Path=\/setup/);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('refuses a form without the session CSRF token, or from another origin', async () => {
    const link = await createLink('csrfco');
    const { browser, page } = await openPortal(link.url);
    const form = formFor(page, '/setup/portal/metadata');
    const noToken = await browser.post(form.action, { metadataUrl: 'https://idp.example.com/metadata' });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain('ADMIN_CSRF_FAILED');
    const foreign = await browser.post(
      form.action,
      { ...form.fields, metadataUrl: 'https://x.test/m' },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
  });

  it('verifies a domain by the TXT record the page shows, against a DNS server on loopback', async () => {
    const link = await createLink('dnsco');
    const { browser, page } = await openPortal(link.url);
    const add = formFor(page, '/setup/portal/domains');
    let portal = await browser.follow(
      await browser.post(add.action, { ...add.fields, domain: 'DNSco.example' }),
    );
    expect(portal.body).toContain('Domain added');
    const name = /data-sp="txtName">([^<]+)</.exec(portal.body)?.[1] as string;
    const value = /data-sp="txtValue">([^<]+)</.exec(portal.body)?.[1] as string;
    expect(name).toBe('_saml-sp-kit-challenge.dnsco.example');
    const verify = formFor(portal, '/setup/portal/domains/verify');
    expect(verify.fields.domain).toBe('dnsco.example');
    // Not published yet: refused in words, still unverified.
    portal = await browser.follow(await browser.post(verify.action, verify.fields));
    expect(portal.body).toContain('role="alert"');
    expect(portal.body).toContain('not verified');
    // Published: verified.
    dns.txt.set(name.toLowerCase(), [[value.replaceAll('&#x3D;', '=').replaceAll('&#39;', "'")]]);
    portal = await browser.follow(await browser.post(verify.action, verify.fields));
    expect(portal.body).toContain('dnsco.example is verified.');
    expect(portal.body).toMatch(/data-domain="dnsco\.example">[\s\S]*?badge ok">verified/);
    expect(dns.questions).toContain(name);
    const organization = await api('GET', '/organizations/dnsco');
    expect((organization.json.domains as { domain: string; verified: boolean }[])[0]).toMatchObject({
      domain: 'dnsco.example',
      verified: true,
    });
    // Another organization's domain cannot be verified from this link.
    const foreign = await browser.follow(
      await browser.post(verify.action, { ...verify.fields, domain: 'other.example' }),
    );
    expect(foreign.body).toContain('is not one of this organization’s domains');
  });

  it('walks the steps with the embedded IdP: vendor, SP values, metadata and lint, test sign-in, activation', async () => {
    const events: { type: string; data: unknown }[] = [];
    const stop = server.events.on('*', (event) => {
      if (event.type.startsWith('setup_link.')) events.push({ type: event.type, data: event.data });
    });
    const link = await createLink('devco');
    const { browser, page } = await openPortal(link.url);
    expect(page.body).toContain('Set up single sign-on for devco Inc.');
    // Activation is refused before a passing test.
    const early = formFor(page, '/setup/portal/activate');
    expect((await browser.post(early.action, early.fields)).status).toBe(409);

    let portal = await browser.follow(await browser.get(`${baseUrl}/setup/portal/vendor/keycloak`));
    expect(portal.body).toContain('Configure Keycloak');
    const value = (name: string) => new RegExp(`data-sp="${name}">([^<]+)<`).exec(portal.body)?.[1];
    const stored = await server.stores.setupLinks?.get(link.id);
    const connectionId = stored?.connectionId as string;
    expect(connectionId).toMatch(/^devco-[0-9a-f]{8}$/);
    expect(value('entityId')).toBe(`${baseUrl}/saml/${connectionId}/metadata`);
    expect(value('acsUrl')).toBe(`${baseUrl}/saml/${connectionId}/acs`);
    // The Keycloak steps name the same values.
    expect(portal.body).toMatch(
      new RegExp(`Client ID <code>${baseUrl}/saml/${connectionId}/metadata</code>`),
    );
    const spMetadata = await browser.get(`${baseUrl}/setup/portal/sp-metadata.xml`);
    expect(spMetadata.headers.get('content-disposition')).toContain('attachment');
    expect(spMetadata.body).toContain(`entityID="${baseUrl}/saml/${connectionId}/metadata"`);
    const certificate = await browser.get(`${baseUrl}/setup/portal/sp-certificate.pem`);
    expect(certificate.body).toContain('-----BEGIN CERTIFICATE-----');

    // Broken metadata: the refusal in plain words, nothing created.
    const metadataForm = formFor(portal, '/setup/portal/metadata');
    portal = await browser.follow(
      await browser.post(metadataForm.action, { ...metadataForm.fields, metadataFile: '<not-metadata/>' }),
    );
    expect(portal.body).toContain('role="alert"');
    expect(portal.body).toMatch(/SAML_METADATA_INVALID/);
    // The connection is a draft of the link's organization, made by the link (its actor in the history).
    const draft = await server.stores.connections.get(connectionId);
    expect(draft?.status).toBe('draft');
    expect(draft?.organizationId).toBe('devco');
    expect(draft?.history?.[0]?.actor).toEqual({ kind: 'setup-link', name: link.id });

    // The dev IdP's metadata URL: the draft gets its IdP, with the lint shown inline.
    portal = await browser.follow(
      await browser.post(metadataForm.action, {
        ...metadataForm.fields,
        metadataUrl: `${baseUrl}/idp/metadata`,
      }),
    );
    expect(portal.body).toContain('Metadata saved');
    expect(portal.body).toContain('id="idp-entity-id"');
    // The lint, in plain words (the dev IdP serves plain http).
    expect(portal.body).toMatch(
      /<li data-lint="[a-z0-9-]+"><span class="badge \w+">(Must fix|Worth checking|Good to know)<\/span>/,
    );
    const created = await server.stores.connections.get(connectionId);
    expect(created?.preset).toBe('keycloak');
    expect(created?.status).toBe('testing');
    expect(created?.spEntityIdMode).toBe('connection');
    // Not live yet: a real sign-in through it is refused until activation.
    const early2 = await new TestBrowser().get(`${baseUrl}/saml/${connectionId}/login`);
    expect(early2.status).toBe(403);

    // The test sign-in at the dev IdP, then back to the portal with the result.
    const start = await browser.get(`${baseUrl}/setup/portal/test`);
    expect(start.status).toBe(303);
    let idp = await browser.follow(start);
    const login = parseForm(idp);
    idp = await browser.submit(login, { username: 'alice', password: 'alice-pass' });
    const acs = await browser.submit(parseForm(idp));
    portal = await browser.follow(acs);
    expect(portal.body).toContain('data-test="passed"');
    expect(portal.body).toContain('id="test-name-id"');
    // The isolated test: no app session in the IT admin's browser, no user created.
    expect((await browser.get(`${baseUrl}/me`)).status).not.toBe(200);
    expect((await server.connections.get(connectionId)).lastTest?.actor).toEqual({
      kind: 'setup-link',
      name: link.id,
    });

    const activate = formFor(portal, '/setup/portal/activate');
    portal = await browser.follow(await browser.post(activate.action, activate.fields));
    expect(portal.body).toContain('data-activated="true"');
    const detail = await api('GET', `/organizations/devco/setup-links/${link.id}`);
    expect(detail.json.activatedAt).not.toBeNull();
    const active = await server.stores.connections.get(connectionId);
    expect(active?.status).toBe('active');
    expect(active?.activation).toMatchObject({ via: 'test', actor: { kind: 'setup-link', name: link.id } });
    const actions = (detail.json.uses as { action: string; ip: string; userAgent: string | null }[]).map(
      (u) => u.action,
    );
    expect(actions).toEqual([
      'open',
      'vendor:keycloak',
      'metadata-refused',
      'metadata',
      'test-start',
      'test-result',
      'activate',
    ]);
    expect((detail.json.uses as { ip: string }[])[0]?.ip).toMatch(/127\.0\.0\.1/);
    // The catalogue's events, with its payloads (webhooks).
    await server.events.settled();
    stop();
    expect(events[0]).toEqual({
      type: 'setup_link.created',
      data: {
        setupLinkId: link.id,
        organizationId: 'devco',
        expiresAt: link.expiresAt,
        actor: expect.any(String),
      },
    });
    expect(events.filter((e) => e.type === 'setup_link.used').at(-1)?.data).toEqual({
      setupLinkId: link.id,
      organizationId: 'devco',
      connectionId,
    });
  });
});

describe('setup links: admin page', () => {
  it('creates a link (its URL shown once), lists and revokes it', async () => {
    await createOrganization('pageco');
    const admin = new TestBrowser();
    const signIn = await admin.post(`${baseUrl}/admin/login`, { token: TOKEN });
    expect(signIn.status).toBe(303);
    let page = await admin.get(`${baseUrl}/admin/setup-links?organization=pageco`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('No setup links yet.');
    const create = parseForm(page, 1);
    expect(create.action).toBe(`${baseUrl}/admin/organizations/pageco/setup-links`);
    page = await admin.follow(await admin.post(create.action, { ...create.fields, expiresInDays: '3' }));
    const url = new RegExp(`${baseUrl}/setup/[A-Za-z0-9_-]{43}`).exec(page.body)?.[0];
    expect(url).toBeDefined();
    expect(page.body).toContain('it is not shown again');
    // Shown once: a reload lists the link without its URL.
    page = await admin.get(`${baseUrl}/admin/setup-links?organization=pageco`);
    expect(page.body).not.toContain(url);
    const id = /data-link="(sl_[A-Za-z0-9_-]+)"/.exec(page.body)?.[1];
    expect(page.body).toContain('>active<');
    const revoke = parseForm(page, 2);
    expect(revoke.action).toBe(`${baseUrl}/admin/organizations/pageco/setup-links/${id}/revoke`);
    // Without the CSRF token: refused.
    expect((await admin.post(revoke.action, {})).status).toBe(403);
    page = await admin.follow(await admin.post(revoke.action, revoke.fields));
    expect(page.body).toContain(`Setup link ${id} revoked.`);
    expect(page.body).toContain('>revoked<');
    expect((await new TestBrowser().get(url as string)).status).toBe(410);
  });
});

// Last: it locks this test's address out of the portal for a while.
describe('setup portal: rate limit', () => {
  it('rate-limits guessing: after 20 bad tokens an address gets 429 for a while', async () => {
    const limited = await new TestBrowser().get(`${baseUrl}/setup/${'y'.repeat(43)}`);
    // Earlier tests spent a few misses; spend the rest.
    let last = limited;
    for (let i = 0; i < 25 && last.status !== 429; i++)
      last = await new TestBrowser().get(`${baseUrl}/setup/${'z'.repeat(43)}`);
    expect(last.status).toBe(429);
    expect(last.body).toContain('data-closed="rate-limited"');
    expect(last.body).toContain('SETUP_RATE_LIMITED');
    expect(last.headers.get('retry-after')).toBe('60');
  });
});
