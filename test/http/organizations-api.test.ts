/**
 * Issue #12 item 1: the organizations admin API on the real server: CRUD, domains (one organization per
 * domain), an admin marking a domain verified (recorded with the actor), deletion refused while connections
 * remain, and connections that name their organization (the dev connection, a new one without an
 * organization, one created into an existing organization).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field.
type Json = any;

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
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

async function devIdpMetadata(): Promise<string> {
  return (await fetch(`${t.baseUrl}/idp/metadata`)).text();
}

describe('organizations admin API', () => {
  it('needs the admin token', async () => {
    const { status, json } = await api('GET', '/organizations', undefined, null);
    expect(status).toBe(401);
    expect(json.error.code).toBe('ADMIN_UNAUTHORIZED');
  });

  it('creates, reads, lists, changes and removes an organization', async () => {
    const created = await api('POST', '/organizations', { name: 'Acme Corp', domains: ['Acme.TEST.'] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: 'acme-corp',
      name: 'Acme Corp',
      policy: { ssoRequired: false, restrictToVerifiedDomains: true, jit: true },
      connections: [],
      enforcement: { restrictToVerifiedDomains: 'waiting-for-verified-domain' },
    });
    const [domain] = created.json.domains;
    expect(domain).toMatchObject({ domain: 'acme.test', verified: false });
    expect(domain.challenge).toEqual({
      name: '_saml-sp-kit-challenge.acme.test',
      type: 'TXT',
      value: `saml-sp-kit-verification=${domain.verificationToken}`,
    });
    expect(domain.verificationToken).toMatch(/^[A-Za-z0-9_-]{22}$/);

    expect((await api('GET', '/organizations/acme-corp')).json.name).toBe('Acme Corp');
    expect((await api('GET', '/organizations')).json.map((o: Json) => o.id)).toContain('acme-corp');

    const changed = await api('PATCH', '/organizations/acme-corp', {
      name: 'Acme Corporation',
      policy: { ssoRequired: true, jit: false },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      name: 'Acme Corporation',
      policy: { ssoRequired: true, restrictToVerifiedDomains: true, jit: false },
    });
    expect(changed.json.domains[0].verificationToken).toBe(domain.verificationToken);

    expect((await api('DELETE', '/organizations/acme-corp')).status).toBe(204);
    const gone = await api('GET', '/organizations/acme-corp');
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('ORGANIZATION_NOT_FOUND');
  });

  it('refuses a duplicate id, an invalid body and a domain that is not one', async () => {
    expect((await api('POST', '/organizations', { id: 'dup', name: 'One' })).status).toBe(201);
    const again = await api('POST', '/organizations', { id: 'dup', name: 'Two' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('ORGANIZATION_EXISTS');
    const typo = await api('POST', '/organizations', { name: 'X', ssoRequried: true });
    expect(typo.status).toBe(400);
    expect(typo.json.error.code).toBe('ADMIN_INVALID_REQUEST');
    for (const bad of ['https://acme.test/', 'localhost', 'alice@acme.test', '10.0.0.1', 'a..b']) {
      const refused = await api('POST', '/organizations', { name: 'Bad', domains: [bad] });
      expect(refused.status, bad).toBe(400);
      expect(refused.json.error.code, bad).toBe('DOMAIN_INVALID');
    }
  });

  it('keeps a domain in one organization only', async () => {
    await api('POST', '/organizations', { id: 'initech', name: 'Initech', domains: ['initech.test'] });
    const grab = await api('POST', '/organizations', {
      id: 'other',
      name: 'Other',
      domains: ['initech.test'],
    });
    expect(grab.status).toBe(409);
    expect(grab.json.error.code).toBe('DOMAIN_TAKEN');
    expect(grab.json.error.details).toEqual({ domain: 'initech.test', organizationId: 'initech' });
    expect((await api('GET', '/organizations/other')).status).toBe(404);

    await api('POST', '/organizations', { id: 'other', name: 'Other' });
    const add = await api('POST', '/organizations/other/domains', { domain: 'INITECH.test' });
    expect(add.status).toBe(409);
    expect(add.json.error.code).toBe('DOMAIN_TAKEN');
    const patch = await api('PATCH', '/organizations/other', { domains: ['initech.test'] });
    expect(patch.json.error.code).toBe('DOMAIN_TAKEN');

    // Given up by one, it can be claimed by the other.
    expect((await api('DELETE', '/organizations/initech/domains/initech.test')).status).toBe(200);
    const claimed = await api('POST', '/organizations/other/domains', { domain: 'initech.test' });
    expect(claimed.status).toBe(201);
    expect(claimed.json.domains.map((d: Json) => d.domain)).toEqual(['initech.test']);
  });

  it('records an admin marking a domain verified, with the actor and the time', async () => {
    await api('POST', '/organizations', { id: 'hooli', name: 'Hooli', domains: ['hooli.test'] });
    const verified = await api('POST', '/organizations/hooli/domains/hooli.test/verify', { method: 'admin' });
    expect(verified.status).toBe(200);
    const [domain] = verified.json.domains;
    expect(domain).toMatchObject({
      domain: 'hooli.test',
      verified: true,
      verificationMethod: 'admin',
      // The identity behind the bearer token: ADMIN_TOKEN acts as "bootstrap" (named tokens by their name).
      verifiedBy: 'bootstrap',
    });
    expect(Date.now() - Date.parse(domain.verifiedAt)).toBeLessThan(60_000);
    expect(verified.json.enforcement.restrictToVerifiedDomains).toBe('active');
    const missing = await api('POST', '/organizations/hooli/domains/nope.test/verify', { method: 'admin' });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('DOMAIN_NOT_FOUND');
  });

  it('gives connections an organization: the dev one, a new one of its own, or the one named', async () => {
    const dev = await api('GET', '/connections/dev');
    expect(dev.json.organizationId).toBe('dev');
    expect((await api('GET', '/organizations/dev')).json.connections).toEqual(['dev']);

    const own = await api('POST', '/connections', { id: 'solo', metadataXml: await devIdpMetadata() });
    expect(own.status).toBe(201);
    expect(own.json.organizationId).toBe('solo');
    expect((await api('GET', '/organizations/solo')).json).toMatchObject({
      name: 'solo',
      connections: ['solo'],
    });

    await api('POST', '/organizations', { id: 'umbrella', name: 'Umbrella' });
    const named = await api('POST', '/connections', {
      id: 'umbrella-okta',
      organizationId: 'umbrella',
      metadataXml: await devIdpMetadata(),
    });
    expect(named.json.organizationId).toBe('umbrella');
    const unknown = await api('POST', '/connections', {
      id: 'ghost-conn',
      organizationId: 'ghost',
      metadataXml: await devIdpMetadata(),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('ORGANIZATION_NOT_FOUND');
    expect((await api('GET', '/connections/ghost-conn')).status).toBe(404);

    // Removing an organization that still owns connections is refused, with the connections named.
    const refused = await api('DELETE', '/organizations/umbrella');
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('ORGANIZATION_HAS_CONNECTIONS');
    expect(refused.json.error.details).toEqual({ connections: ['umbrella-okta'] });

    // Moving the connection elsewhere frees the organization.
    const moved = await api('PATCH', '/connections/umbrella-okta', { organizationId: 'solo' });
    expect(moved.json.organizationId).toBe('solo');
    expect((await api('GET', '/organizations/solo')).json.connections).toEqual(['solo', 'umbrella-okta']);
    expect((await api('DELETE', '/organizations/umbrella')).status).toBe(204);
  });
});

describe('configuration', () => {
  it('HOME_LISTS_CONNECTIONS=true puts a button per connection on the home page', async () => {
    const listing = await startTestServer({ HOME_LISTS_CONNECTIONS: 'true' });
    try {
      const home = await (await fetch(`${listing.baseUrl}/`)).text();
      expect(home).toContain('href="/saml/dev/login?returnTo=/"');
      expect(home).toContain('id="discover-form"');
    } finally {
      await listing.close();
    }
    const home = await (await fetch(`${t.baseUrl}/`)).text();
    expect(home).not.toContain('/saml/dev/login');
  });

  it('DNS_SERVERS takes addresses with optional ports, and refuses names', () => {
    expect(loadConfig({ DNS_SERVERS: '127.0.0.1:5353, [::1]:53,10.0.0.2' }).dnsServers).toEqual([
      '127.0.0.1:5353',
      '[::1]:53',
      '10.0.0.2',
    ]);
    expect(loadConfig({}).dnsServers).toBeUndefined();
    for (const bad of ['dns.example.com', '127.0.0.1:99999', '1.2.3']) {
      expect(() => loadConfig({ DNS_SERVERS: bad }), bad).toThrow(/DNS_SERVERS/);
    }
  });
});
