/**
 * Issue #13 "Done when": a refused sign-in shows its trace ID on the end-user page, and the same ID, looked
 * up by the admin API, the admin page and the CLI, shows the failed check. The real server, the embedded
 * samlify IdP issuing a genuinely signed response for this browser's request (with a wrong audience), and the
 * `saml-sp` CLI spawned on the server's own SQLite file. Also: the page's plain language, "Try again", the
 * support contact, no operator hint; JSON for API clients; raw capture sealed and opened; 404 and 405 pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_CHECKS } from '../../src/core/response/checklist.ts';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import type { ResponseOverrides } from '../../src/dev-idp/index.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'trace-admin-token-0123456789abcdef';
const SUPPORT = 'it-help@customer.example';
const TRACE_ID = /data-trace-id>([0-9A-Z]{5}-[0-9A-Z]{5})</;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, SUPPORT_CONTACT: SUPPORT });
});
afterAll(async () => {
  await t?.close();
});

/** A response the embedded IdP signs for this browser's pending request, with some fields changed. */
async function refusedSignIn(b: TestBrowser, overrides: ResponseOverrides, accept = 'text/html') {
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=${encodeURIComponent('/reports?q=1')}`);
  const location = new URL(start.headers.get('location') ?? '');
  const requestId = /\bID="([^"]+)"/.exec(
    decodeAndInflate(location.searchParams.get('SAMLRequest') ?? ''),
  )?.[1];
  const { samlResponse } = await t.server.devIdp!.issueResponse({
    spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
    username: 'alice',
    ...(requestId ? { inResponseTo: requestId } : {}),
    overrides,
  });
  return b.post(
    `${t.baseUrl}/saml/dev/acs`,
    { SAMLResponse: samlResponse, RelayState: '/reports?q=1' },
    { accept },
  );
}

function api(pathname: string, init: RequestInit = {}) {
  return fetch(`${t.baseUrl}/admin/api${pathname}`, {
    ...init,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });
}

async function adminPage(pathname: string): Promise<string> {
  const login = await fetch(`${t.baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN }).toString(),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await fetch(`${t.baseUrl}${pathname}`, { headers: { cookie } });
  expect(page.status).toBe(200);
  return page.text();
}

function cli(...args: string[]) {
  return runCli({ cwd: t.dir, env: cliEnv(t.dir, { database: 'test.db' }) }, args);
}

describe('a refused sign-in, end to end', () => {
  let traceId: string;

  it('shows the person a plain page with the trace ID, "Try again" and the support contact', async () => {
    const b = new TestBrowser();
    const answer = await refusedSignIn(b, { audience: 'https://somebody-else.example' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('set-cookie') ?? '').not.toMatch(/saml_sp_session=[^;]/);
    traceId = TRACE_ID.exec(answer.body)?.[1] ?? '';
    expect(traceId).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(answer.body).toContain('Sign-in isn’t set up correctly');
    expect(answer.body).toContain('Development IdP (embedded)');
    expect(answer.body).toContain(`href="mailto:${SUPPORT}"`);
    expect(answer.body).toMatch(
      /<details><summary>For your IT admin<\/summary>[\s\S]*SAML_AUDIENCE_MISMATCH/,
    );
    // The operator's hint (our entity ID, vendor settings) never reaches the end user.
    expect(answer.body).not.toContain('Set the SP Entity ID');
    expect(answer.body).not.toContain('somebody-else');
    // This family of error is for the IT admin to fix: no "Try again"; an expired link offers one (below).
    expect(answer.body).not.toContain('>Try again<');
  });

  it('the same ID through the admin API shows the failed check, the checklist and the verified facts', async () => {
    const answer = await api(`/traces/${traceId}`);
    expect(answer.status).toBe(200);
    const trace = (await answer.json()) as Record<string, unknown> & {
      checks: { check: string; status: string }[];
    };
    expect(trace).toMatchObject({
      traceId,
      kind: 'acs',
      connectionId: 'dev',
      connectionName: 'Development IdP (embedded)',
      outcome: 'failed',
      verified: true,
      errorCode: 'SAML_AUDIENCE_MISMATCH',
      failedCheck: 'audience',
      nameId: expect.stringContaining('alice'),
      clientIp: '127.0.0.1',
      rawMessage: { captured: false },
    });
    expect(trace.idpIssuer).toBe(t.server.devIdp!.entityId);
    expect((trace.attributeNames as string[]).length).toBeGreaterThan(0);
    // Attribute names only: alice's group (a value) is kept nowhere.
    expect(JSON.stringify(trace)).not.toContain('engineering');
    expect(trace.checks.find((c) => c.check === 'assertion-signature')?.status).toBe('pass');
    expect(trace.checks.find((c) => c.check === 'audience')?.status).toBe('fail');
    // The whole checklist, in order: what ran, what failed, and the rest skipped.
    expect(trace.checks.map((c) => c.check)).toEqual(RESPONSE_CHECKS.map((c) => c.id));
    const failedAt = trace.checks.findIndex((c) => c.status === 'fail');
    expect(trace.checks.slice(failedAt + 1).every((c) => c.status === 'skip')).toBe(true);
    // Lower case and without the dash, as someone might type it from a screenshot.
    const typed = await api(`/traces/${traceId.replace('-', '').toLowerCase()}`);
    expect(((await typed.json()) as { traceId: string }).traceId).toBe(traceId);
    const list = (await (await api('/traces?connectionId=dev&outcome=failed')).json()) as {
      traceId: string;
    }[];
    expect(list.map((x) => x.traceId)).toContain(traceId);
    expect((await api('/traces/ZZZZZ-ZZZZZ')).status).toBe(404);
    expect((await api('/traces?outcome=maybe')).status).toBe(400);
  });

  it('the admin page shows it, and "Last failure" links to it', async () => {
    const detail = await adminPage(`/admin/traces/${traceId}`);
    expect(detail).toContain(`data-trace-id>${traceId}<`);
    expect(detail).toContain('data-failed-check>audience<');
    expect(detail).toMatch(/data-check="audience" data-status="fail"/);
    expect(detail).not.toContain('data-unverified');
    const list = await adminPage('/admin');
    expect(list).toContain(`href="/admin/traces/${traceId}"`);
    const connection = await adminPage('/admin/connections/dev');
    expect(connection).toContain(`href="/admin/traces/${traceId}"`);
    const traces = await adminPage('/admin/traces?connectionId=dev&outcome=failed');
    expect(traces).toContain(`data-trace="${traceId}"`);
  });

  it('the CLI shows it with the checklist as inspect prints it, and lists it', async () => {
    const show = await cli('traces', 'show', traceId);
    expect(show.stderr).toBe('');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Trace ${traceId}: failed`);
    expect(show.stdout).toContain('failed check: audience');
    expect(show.stdout).toContain('[FAIL] audience: SAML_AUDIENCE_MISMATCH');
    expect(show.stdout).toContain('[ok  ] assertion-signature');
    const list = await cli('traces', 'list', '--connection', 'dev', '--failed');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${traceId}\t`);
    const missing = await cli('traces', 'show', 'ZZZZZ-ZZZZZ');
    expect(missing.code).toBe(1);
    expect((await cli('traces', 'frobnicate')).code).toBe(2);
  }, 120_000);

  it('JSON for API clients: the contract shape with the same kind of ID', async () => {
    const answer = await refusedSignIn(
      new TestBrowser(),
      { audience: 'https://x.example' },
      'application/json',
    );
    const body = JSON.parse(answer.body) as { error: Record<string, string> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'hint', 'message', 'traceId']);
    expect(body.error.code).toBe('SAML_AUDIENCE_MISMATCH');
    expect((await api(`/traces/${body.error.traceId}`)).status).toBe(200);
  });

  it('an expired response offers "Try again": a fresh sign-in to the same connection, keeping returnTo', async () => {
    const b = new TestBrowser();
    const answer = await refusedSignIn(b, { now: new Date(Date.now() - 3600_000) });
    expect(answer.body).toContain('This sign-in link expired');
    const retry = /<a class="button primary" href="([^"]+)">Try again</.exec(answer.body)?.[1] ?? '';
    expect(retry.replace(/&amp;/g, '&')).toBe(
      `/saml/dev/login?returnTo=${encodeURIComponent('/reports?q=1')}`,
    );
    const again = await b.get(`${t.baseUrl}${retry.replace(/&amp;/g, '&')}`);
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toContain('/idp/');
  });

  it('raw capture: sealed at rest for one connection, opened by API and CLI only on request', async () => {
    const on = await api('/traces/capture/dev', { method: 'PUT', body: JSON.stringify({ minutes: 5 }) });
    expect(on.status).toBe(200);
    expect(
      (await api('/traces/capture/dev', { method: 'PUT', body: JSON.stringify({ minutes: 5000 }) })).status,
    ).toBe(400);
    const answer = await refusedSignIn(new TestBrowser(), { audience: 'https://y.example' });
    const id = TRACE_ID.exec(answer.body)?.[1] ?? '';
    const stored = await t.server.stores.traces?.get(id);
    expect(stored?.rawMessage?.sealed.length).toBeGreaterThan(100);
    expect(Buffer.from(stored?.rawMessage?.sealed ?? '', 'base64url').toString('latin1')).not.toContain(
      'Assertion',
    );
    const closed = (await (await api(`/traces/${id}`)).json()) as { rawMessage: Record<string, unknown> };
    expect(closed.rawMessage).toMatchObject({ captured: true });
    expect(closed.rawMessage.xml).toBeUndefined();
    const opened = (await (await api(`/traces/${id}?raw=1`)).json()) as { rawMessage: { xml: string } };
    expect(opened.rawMessage.xml).toContain('https://y.example');
    const show = await cli('traces', 'show', id, '--raw');
    expect(show.stdout).toContain('https://y.example');
    await api('/traces/capture/dev', { method: 'DELETE' });
    const after = await refusedSignIn(new TestBrowser(), { audience: 'https://z.example' });
    const next = await t.server.stores.traces?.get(TRACE_ID.exec(after.body)?.[1] ?? '');
    expect(next?.rawMessage).toBeUndefined();
  }, 120_000);

  it('unknown routes and wrong methods get the same styled page, never "Cannot GET"', async () => {
    const b = new TestBrowser();
    const missing = await b.get(`${t.baseUrl}/no/such/page`, { accept: 'text/html' });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('data-trace-id');
    expect(missing.body).not.toContain('Cannot GET');
    const wrong = await b.get(`${t.baseUrl}/saml/dev/acs`, { accept: 'text/html' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.body).toContain('can’t be opened this way');
    const json = await b.request(`${t.baseUrl}/saml/dev/login`, {
      method: 'DELETE',
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(405);
    expect(JSON.parse(json.body)).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('a successful sign-in and a refused logout are traced too', async () => {
    const b = new TestBrowser();
    const start = await b.follow(await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/`));
    const idp = await b.submit(parseForm(start), { username: 'alice', password: 'alice-pass' });
    expect((await b.submit(parseForm(idp))).status).toBe(303);
    const [latest] = (await (await api('/traces?connectionId=dev&limit=1')).json()) as Record<
      string,
      unknown
    >[];
    expect(latest).toMatchObject({
      outcome: 'succeeded',
      verified: true,
      kind: 'acs',
      nameId: expect.stringContaining('alice'),
    });
    expect(latest?.attributeNames).toEqual(expect.arrayContaining(['email']));

    const slo = await b.get(`${t.baseUrl}/saml/dev/slo?SAMLRequest=not-a-message`, { accept: 'text/html' });
    expect(slo.status).toBe(400);
    const id = TRACE_ID.exec(slo.body)?.[1] ?? '';
    const trace = (await (await api(`/traces/${id}`)).json()) as Record<string, unknown>;
    expect(trace).toMatchObject({
      kind: 'slo',
      outcome: 'failed',
      verified: false,
      failedCheck: 'logout-message',
    });
  });

  it('the admin page switches raw capture on and off for one connection (CSRF-checked)', async () => {
    const login = await fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const get = async () =>
      (await fetch(`${t.baseUrl}/admin/traces?connectionId=dev`, { headers: { cookie } })).text();
    const page = await get();
    expect(page).toContain('Capture raw messages');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${t.baseUrl}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: t.baseUrl },
        body: new URLSearchParams(fields).toString(),
      });
    expect((await post('/admin/traces/capture/dev', { minutes: '10' })).status).toBe(403);
    expect((await post('/admin/traces/capture/dev', { minutes: '10', _csrf: csrf })).status).toBe(303);
    expect(await t.server.traces.captureUntil('dev')).toBeInstanceOf(Date);
    expect(await get()).toContain('Stop capturing');
    expect((await post('/admin/traces/capture/dev/stop', { _csrf: csrf })).status).toBe(303);
    expect(await t.server.traces.captureUntil('dev')).toBeUndefined();
  });
});
