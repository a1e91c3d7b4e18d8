/**
 * Issue #3: the admin page over HTTP: session cookie attributes, strict CSP, CSRF on every change, escaping
 * of IdP-supplied text, the upload form (multipart) with its errors, mapping and policy forms, the test-run
 * result page's same-site hop, sign-out, and the sign-in throttle.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { idpMetadataXml } from '../sp/metadata-builder.ts';

const TOKEN = 'page-admin-token-0123456789abcdef';
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/metadata/${name}`, import.meta.url), 'utf8');

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function request(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Answer> {
  const { cookie, ...rest } = init;
  const response = await fetch(`${t.baseUrl}${path}`, {
    redirect: 'manual',
    ...rest,
    headers: { ...(cookie ? { cookie } : {}), ...(rest.headers as Record<string, string> | undefined) },
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const login = await request('/admin/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN }).toString(),
  });
  expect(login.status).toBe(303);
  const setCookie = login.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  expect(setCookie).toMatch(/Path=\/admin/);
  const cookie = setCookie.split(';')[0] ?? '';
  const list = await request('/admin', { cookie });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(list.body)?.[1] ?? '';
  expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { cookie, csrf };
}

function postForm(
  path: string,
  cookie: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return request(path, {
    method: 'POST',
    cookie,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('admin page', () => {
  it('serves pages with a strict CSP and no caching; signed-out visitors get the sign-in form', async () => {
    const page = await request('/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('name="token"');
    expect(page.body).not.toMatch(/<script/i);
    expect((await request('/admin/connections/dev')).status).toBe(303);
    expect((await request('/admin/assets/admin.css')).headers.get('content-type')).toMatch(/text\/css/);
  });

  it('escapes every IdP-supplied text', async () => {
    const evil = idpMetadataXml({
      entityId: 'https://idp.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
      ssoUrl: 'https://idp.example/sso?x=&quot;&gt;&lt;img src=x onerror=alert(2)&gt;',
    });
    await api('POST', '/connections', {
      id: 'evil',
      displayName: '<img src=x onerror=alert(3)>',
      metadataXml: evil,
    });
    const { cookie } = await signIn();
    for (const path of ['/admin', '/admin/connections/evil']) {
      const page = await request(path, { cookie });
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('<script>alert(1)');
      expect(page.body).not.toContain('<img src=x');
      expect(page.body).toContain('&lt;img src=x onerror=alert(3)&gt;');
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  it('refuses changes without the session CSRF token or from another origin', async () => {
    const { cookie, csrf } = await signIn();
    const missing = await postForm('/admin/connections/dev/mapping', cookie, { email: 'mail' });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('ADMIN_CSRF_FAILED');
    const other = await signIn();
    const foreign = await postForm('/admin/connections/dev/mapping', cookie, {
      email: 'mail',
      _csrf: other.csrf,
    });
    expect(foreign.status).toBe(403);
    const crossOrigin = await postForm(
      '/admin/connections/dev/delete',
      cookie,
      { _csrf: csrf },
      { origin: 'https://evil.example' },
    );
    expect(crossOrigin.status).toBe(403);
    expect(((await api('GET', '/connections/dev')) as { id: string }).id).toBe('dev');
    // No cookie at all: back to the sign-in form, nothing changed.
    expect((await postForm('/admin/connections/dev/delete', '', { _csrf: csrf })).status).toBe(303);
  });

  it('saves the attribute mapping and the policy through the forms', async () => {
    const { cookie, csrf } = await signIn();
    const saved = await postForm('/admin/connections/dev/mapping', cookie, {
      _csrf: csrf,
      preset: 'keycloak',
      email: 'mail, email',
      groups: 'memberOf',
      firstName: '',
    });
    expect(saved.status).toBe(303);
    const policy = await postForm('/admin/connections/dev/policy', cookie, {
      _csrf: csrf,
      wantSigned: 'assertion',
      clockSkewSeconds: '90',
      allowIdpInitiated: 'on',
    });
    expect(policy.status).toBe(303);
    const view = (await api('GET', '/connections/dev')) as {
      attributeMapping: unknown;
      policy: Record<string, unknown>;
    };
    expect(view.attributeMapping).toEqual({ email: ['mail', 'email'], groups: ['memberOf'] });
    expect(view.policy).toMatchObject({ clockSkewSeconds: 90, allowIdpInitiated: true, allowSha1: false });
    const detail = await request('/admin/connections/dev', { cookie });
    expect(detail.body).toContain('Policy saved.');
    const bad = await postForm('/admin/connections/dev/policy', cookie, {
      _csrf: csrf,
      clockSkewSeconds: '99999',
    });
    expect(bad.status).toBe(303);
    expect((await request('/admin/connections/dev', { cookie })).body).toContain('ADMIN_INVALID_REQUEST');
  });

  it('creates a connection from an uploaded file, and explains a refused upload', async () => {
    const { cookie, csrf } = await signIn();
    const form = new FormData();
    form.set('_csrf', csrf);
    form.set('displayName', 'Entra tenant');
    form.set('preset', 'entra');
    form.set(
      'metadataFile',
      new Blob([fixture('entra-app.xml')], { type: 'text/xml' }),
      'federationmetadata.xml',
    );
    const created = await request('/admin/connections', { method: 'POST', cookie, body: form });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/admin/connections/entra-tenant');
    const detail = await request('/admin/connections/entra-tenant', { cookie });
    expect(detail.body).toContain('data-lint="metadata-bom"');
    expect(detail.body).toMatch(/<details open><summary>Microsoft Entra ID/);

    const aggregate = new FormData();
    aggregate.set('_csrf', csrf);
    aggregate.set('displayName', 'Federation');
    aggregate.set('metadataXml', fixture('aggregate-two-idps.xml'));
    const refused = await request('/admin/connections', { method: 'POST', cookie, body: aggregate });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('SAML_METADATA_INVALID');
    expect(refused.body).toContain('https://idp.college-b.example/saml');
    expect(refused.body).toContain('value="Federation"');

    const noCsrf = new FormData();
    noCsrf.set('displayName', 'X');
    noCsrf.set('metadataXml', fixture('keycloak-realm.xml'));
    expect((await request('/admin/connections', { method: 'POST', cookie, body: noCsrf })).status).toBe(403);
  });

  it('creates a connection whose metadata must verify against a pasted signing certificate', async () => {
    const { cookie, csrf } = await signIn();
    const pem = readFileSync(new URL('../fixtures/keys/idp.cert.pem', import.meta.url), 'utf8');
    const rogue = readFileSync(new URL('../fixtures/keys/idp-rogue.cert.pem', import.meta.url), 'utf8');
    const submit = (id: string, certificate: string) => {
      const form = new FormData();
      form.set('_csrf', csrf);
      form.set('displayName', 'ADFS');
      form.set('id', id);
      form.set('preset', 'adfs');
      form.set('metadataXml', fixture('adfs-signed.xml'));
      form.set('metadataSigningCertificate', certificate);
      return request('/admin/connections', { method: 'POST', cookie, body: form });
    };
    const refused = await submit('adfs-rogue', rogue);
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('SAML_SIGNATURE_UNTRUSTED');
    expect((await submit('adfs', pem)).status).toBe(303);
    const detail = await request('/admin/connections/adfs', { cookie });
    expect(detail.body).toContain('signature verified with pinned certificate');
  });

  it('signs out, and throttles repeated wrong tokens', async () => {
    const { cookie, csrf } = await signIn();
    expect((await postForm('/admin/logout', cookie, { _csrf: csrf })).status).toBe(303);
    expect((await request('/admin/connections/dev', { cookie })).status).toBe(303);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await postForm('/admin/login', '', { token: `wrong-${i}` })).status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});
