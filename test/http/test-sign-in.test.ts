/**
 * Issue #12 items 2 and 4 over HTTP, against the embedded samlify IdP: a connection created with only a name
 * is a draft with its own SP values; metadata makes it ready to test; a test sign-in runs its own flow (no
 * session, no user, no health counter), lands on its result page with the whole checklist, reports "passed
 * with warnings" for fields the preset expects but left unmapped, maps an attribute in one click, recognises a
 * response that reached another connection's ACS URL, and a passing test lets the connection be activated.
 * Real sign-ins are refused until then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../../src/sp/connection-view.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'test-sign-in-admin-token-0123456789';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

type ApiJson = Partial<ConnectionView> & { error?: { code: string } };

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as ApiJson };
}

/** An admin browser: signed in to the admin page, with its CSRF token. */
async function adminBrowser(): Promise<{ b: TestBrowser; csrf: string }> {
  const b = new TestBrowser();
  const login = await b.post(`${t.baseUrl}/admin/login`, { token: TOKEN });
  expect(login.status).toBe(303);
  const list = await b.get(`${t.baseUrl}/admin`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(list.body)?.[1] ?? '';
  return { b, csrf };
}

/** Runs a test sign-in from the admin page as alice at the dev IdP; returns where the ACS sent the browser. */
async function runTest(b: TestBrowser, connectionId: string): Promise<{ acs: Page; result: Page }> {
  const start = await b.get(`${t.baseUrl}/admin/connections/${connectionId}/test`);
  expect(start.status).toBe(303);
  expect(start.headers.get('location')).toContain('/idp/sso?SAMLRequest=');
  const atIdp = await b.follow(start);
  // The dev IdP remembers alice after the first run (single sign-on): then it answers at once.
  const answer = parseForm(atIdp).fields.SAMLResponse
    ? atIdp
    : await b.submit(parseForm(atIdp), { username: 'alice', password: 'alice-pass' });
  expect(answer.status).toBe(200);
  const acs = await b.submit(parseForm(answer));
  expect(acs.status).toBe(303);
  const result = await b.follow(acs);
  return { acs, result };
}

function devIdpMetadata(): Promise<string> {
  return fetch(`${t.baseUrl}/idp/metadata`).then((r) => r.text());
}

const sessionCookieOf = (b: TestBrowser) => b.cookie('localhost', 'saml_sp_session');

describe('create first, metadata later', () => {
  it('a name is enough: a draft with its own SP entity ID, metadata and certificate, refusing sign-ins', async () => {
    const created = await api('POST', '/connections', { displayName: 'Acme Draft', preset: 'keycloak' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.json).toMatchObject({
      status: 'draft',
      spEntityIdMode: 'connection',
      spEntityId: `${t.baseUrl}/saml/${id}/metadata`,
      acsUrl: `${t.baseUrl}/saml/${id}/acs`,
      lint: [],
    });
    const metadata = await fetch(`${t.baseUrl}/saml/${id}/metadata`);
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toContain(`entityID="${t.baseUrl}/saml/${id}/metadata"`);
    const pem = await fetch(`${t.baseUrl}/saml/${id}/certificate.pem`);
    expect(pem.status).toBe(200);
    expect(await pem.text()).toContain('-----BEGIN CERTIFICATE-----');
    const login = await fetch(`${t.baseUrl}/saml/${id}/login`, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
    });
    expect(login.status).toBe(403);
    expect(((await login.json()) as { error: { code: string } }).error.code).toBe(
      'SAML_CONNECTION_NOT_ACTIVE',
    );

    // Duplicate names warn instead of becoming acme-draft-2 silently.
    const again = await api('POST', '/connections', { displayName: 'acme draft' });
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'CONNECTION_NAME_EXISTS' } } });

    // The metadata arrives later: ready to test, still no real sign-in.
    const patched = await api('PATCH', `/connections/${id}`, { metadataXml: await devIdpMetadata() });
    expect(patched.json).toMatchObject({ status: 'testing', idpEntityId: `${t.baseUrl}/idp/metadata` });
    expect(patched.json.history?.map((h) => h.action)).toEqual(['created', 'updated']);
    expect(patched.json.history?.[1]).toMatchObject({
      actor: { kind: 'admin-token' },
      fields: ['metadataXml'],
    });
    const stillRefused = await fetch(`${t.baseUrl}/saml/${id}/login`, { redirect: 'manual' });
    expect(stillRefused.status).toBe(403);
    expect((await api('POST', `/connections/${id}/activate`, {})).json.error?.code).toBe(
      'CONNECTION_TEST_REQUIRED',
    );
  });
});

describe('test sign-in', () => {
  it('never creates a session or a user, lands on its result page, and gates activation', async () => {
    await api('POST', '/connections', {
      id: 'acme',
      displayName: 'Acme',
      preset: 'keycloak',
      metadataXml: await devIdpMetadata(),
      requireTest: true,
      // firstName read from an attribute the dev IdP does not send: the test must warn, not succeed plainly.
      attributeMapping: { firstName: ['givenNameNotSent'] },
    });
    const usersBefore = (await t.server.stores.users.list()).length;
    const { b, csrf } = await adminBrowser();

    const { acs, result } = await runTest(b, 'acme');
    expect(acs.headers.get('location')).toMatch(/^\/admin\/connections\/acme\/test\/result\?run=/);
    expect(acs.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session='))).toBe(false);
    expect(sessionCookieOf(b)).toBeUndefined();
    expect((await b.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status).toBe(401);
    expect(await t.server.stores.users.list()).toHaveLength(usersBefore);
    expect((await t.server.connections.health.get('acme'))?.successCount ?? 0).toBe(0);

    expect(result.status).toBe(200);
    expect(result.body).toContain('data-result="passed-with-warnings"');
    expect(result.body).toContain('data-missing="firstName"');
    expect(result.body).toContain('data-check="audience" data-status="pass"');
    expect(result.body).toContain('nobody was signed in');
    // The one-click mapping the page suggests.
    expect(result.body).toContain('data-map="firstName:firstName"');
    const run = /run=([A-Za-z0-9_-]{43})/.exec(acs.headers.get('location') ?? '')?.[1] ?? '';
    const mapped = await b.post(`${t.baseUrl}/admin/connections/acme/mapping/add`, {
      _csrf: csrf,
      field: 'firstName',
      attribute: 'firstName',
      run,
    });
    expect(mapped.status).toBe(303);
    expect((await t.server.connections.get('acme')).attributeMapping.firstName).toEqual([
      'firstName',
      'givenNameNotSent',
    ]);

    const second = await runTest(b, 'acme');
    expect(second.result.body).toContain('data-result="passed"');
    expect(second.result.body).toContain('id="activate"');
    expect((await t.server.connections.get('acme')).lastTest).toMatchObject({
      outcome: 'passed',
      actor: { kind: 'admin-session' },
    });

    const activated = await b.post(`${t.baseUrl}/admin/connections/acme/activate`, { _csrf: csrf });
    expect(activated.status).toBe(303);
    const connection = await t.server.connections.get('acme');
    expect(connection.status).toBe('active');
    expect(connection.activation).toMatchObject({ via: 'test', actor: { kind: 'admin-session' } });

    // Now a real sign-in works and creates the user and the session.
    const user = new TestBrowser();
    const start = await user.get(`${t.baseUrl}/saml/acme/login?returnTo=/after`);
    expect(start.status).toBe(302);
    const loginPage = await user.follow(start);
    const answer = await user.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
    const signedIn = await user.submit(parseForm(answer));
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/after');
    expect(sessionCookieOf(user)).toBeDefined();
    expect(await t.server.stores.users.list()).toHaveLength(usersBefore + 1);
  });

  it('shows a response that reached another connection, and why', async () => {
    // "other" shares the SP entity ID with `dev`: the dev IdP answers with dev's ACS URL.
    await api('POST', '/connections', {
      id: 'other',
      displayName: 'Other',
      metadataXml: await devIdpMetadata(),
      spEntityIdMode: 'shared',
      requireTest: true,
    });
    const { b } = await adminBrowser();
    const { acs, result } = await runTest(b, 'other');
    expect(acs.url).toBe(`${t.baseUrl}/saml/dev/acs`);
    expect(acs.headers.get('location')).toMatch(/^\/admin\/connections\/other\/test\/result\?run=/);
    expect(result.body).toContain('data-result="failed"');
    expect(result.body).toContain('SAML_TEST_WRONG_CONNECTION');
    expect(result.body).toContain('id="wrong-connection"');
    expect(result.body).toContain('shared with dev');
    expect(result.body).toContain('data-check="destination" data-status="fail"');
    expect(sessionCookieOf(b)).toBeUndefined();
    expect((await t.server.connections.get('other')).status).toBe('testing');
    expect((await t.server.connections.health.get('dev'))?.failureCount ?? 0).toBe(0);
  });

  it('belongs to the admin session that started it; the result page hops once for its Strict cookie', async () => {
    const { b } = await adminBrowser();
    const { acs } = await runTest(b, 'acme');
    const resultPath = acs.headers.get('location') ?? '';
    const anonymous = new TestBrowser();
    const hop = await anonymous.get(`${t.baseUrl}${resultPath}`);
    expect(hop.body).toContain('hop=1');
    const other = await adminBrowser();
    expect((await other.b.get(`${t.baseUrl}${resultPath}`)).status).toBe(404);
  });

  it('is looked for only in a browser marked by its start: without the mark the answer meets the real ACS', async () => {
    const { b } = await adminBrowser();
    const start = await b.get(`${t.baseUrl}/admin/connections/acme/test`);
    expect(start.status).toBe(303);
    const mark = start.headers.getSetCookie().find((c) => c.startsWith('saml_sp_session_test='));
    // As long as the run stays readable (30 min), sent wherever the browser key is (Path=/).
    expect(mark).toMatch(
      /^saml_sp_session_test=1; Max-Age=1800; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/,
    );
    const atIdp = await b.follow(start);
    const answer = parseForm(atIdp).fields.SAMLResponse
      ? atIdp
      : await b.submit(parseForm(atIdp), { username: 'alice', password: 'alice-pass' });
    b.cookies.get('localhost')?.delete('saml_sp_session_test');
    const form = parseForm(answer);
    const acs = await b.post(form.action, form.fields, { accept: 'application/json' });
    // The real ACS: the test request answers no sign-in, and nobody is signed in.
    expect(acs.status).toBe(400);
    expect((JSON.parse(acs.body) as { error: { code: string } }).error.code).toMatch(/^SAML_/);
    expect(sessionCookieOf(b)).toBeUndefined();
  });
});

describe('safe admin actions', () => {
  it('deletes only with the id typed back (page), and checks ?confirm= when an API client sends it', async () => {
    await api('POST', '/connections', { id: 'doomed', displayName: 'Doomed' });
    const { b, csrf } = await adminBrowser();
    const wrong = await b.post(`${t.baseUrl}/admin/connections/doomed/delete`, {
      _csrf: csrf,
      confirm: 'doom',
    });
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/admin/connections/doomed');
    expect(await t.server.stores.connections.get('doomed')).toBeDefined();
    const page = await b.get(`${t.baseUrl}/admin/connections/doomed`);
    expect(page.body).toContain('Not deleted: type the connection id');
    expect(page.body).toContain('name="confirm"');

    expect((await api('DELETE', '/connections/doomed?confirm=other')).json.error?.code).toBe(
      'ADMIN_CONFIRMATION_REQUIRED',
    );
    const ok = await b.post(`${t.baseUrl}/admin/connections/doomed/delete`, {
      _csrf: csrf,
      confirm: 'doomed',
    });
    expect(ok.headers.get('location')).toBe('/admin');
    expect(await t.server.stores.connections.get('doomed')).toBeUndefined();
  });

  it('edits name, SP entity ID and metadata source through the page, each recorded', async () => {
    await api('POST', '/connections', { id: 'editme', displayName: 'Edit Me' });
    const { b, csrf } = await adminBrowser();
    await b.post(`${t.baseUrl}/admin/connections/editme/edit`, {
      _csrf: csrf,
      displayName: 'Edited',
      spEntityIdMode: 'custom',
      spEntityId: 'urn:example:edited',
    });
    let c = await t.server.connections.get('editme');
    expect(c).toMatchObject({
      displayName: 'Edited',
      spEntityIdMode: 'custom',
      spEntityId: 'urn:example:edited',
    });
    await b.post(`${t.baseUrl}/admin/connections/editme/edit`, { _csrf: csrf, spEntityIdMode: 'shared' });
    c = await t.server.connections.get('editme');
    expect(c.spEntityIdMode).toBe('shared');
    expect(c.spEntityId).toBeUndefined();
    await b.post(`${t.baseUrl}/admin/connections/editme/metadata`, {
      _csrf: csrf,
      source: 'url',
      metadataUrl: `${t.baseUrl}/idp/metadata`,
    });
    c = await t.server.connections.get('editme');
    expect(c).toMatchObject({ status: 'testing', metadataUrl: `${t.baseUrl}/idp/metadata` });
    expect(c.history?.map((h) => [h.action, h.actor.kind, h.fields])).toEqual([
      ['created', 'admin-token', undefined],
      ['updated', 'admin-session', ['displayName', 'spEntityId']],
      ['updated', 'admin-session', ['spEntityIdMode']],
      ['updated', 'admin-session', ['metadataUrl']],
    ]);
    const page = await b.get(`${t.baseUrl}/admin/connections/editme`);
    expect(page.body).toMatch(
      /<time datetime="[^"]+" title="[^"]+">\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC<\/time>/,
    );
  });
});
