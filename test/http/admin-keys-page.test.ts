/**
 * Issue #15 item 1: the Keys admin page over HTTP. The keys with their states and dates, generate, promote
 * and retire through CSRF-checked forms, a refused transition shown as a flash with its code, and the key
 * lint of a connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'keys-page-admin-token-0123456789abcdef';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

async function request(path: string, init: RequestInit & { cookie?: string } = {}) {
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
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await request('/admin/keys', { cookie });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return { cookie, csrf };
}

const post = (path: string, cookie: string, fields: Record<string, string>) =>
  request(path, {
    method: 'POST',
    cookie,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

describe('the Keys admin page', () => {
  it('needs a session', async () => {
    expect((await request('/admin/keys')).headers.get('location')).toBe('/admin');
  });

  it('lists the file keys, generates, promotes and retires with dates and flashes', async () => {
    const { cookie, csrf } = await signIn();
    let page = await request('/admin/keys', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.body).toContain('<code>file-signing</code>');
    expect(page.body).toMatch(
      /file-signing<\/code><\/td><td>signing<\/td><td><span class="badge ok">active<\/span>/,
    );

    // Without the CSRF token nothing changes.
    expect((await post('/admin/keys', cookie, { use: 'signing' })).status).toBe(403);

    expect(
      (await post('/admin/keys', cookie, { _csrf: csrf, use: 'signing', connectionId: 'dev' })).status,
    ).toBe(303);
    page = await request('/admin/keys', { cookie });
    expect(page.body).toContain('A next signing key was generated');
    const id =
      /<code>(signing-\d{8}-[0-9a-f]{6})<\/code><\/td><td>signing<\/td><td><span class="badge info">next<\/span><\/td>\s*<td>dev<\/td>/.exec(
        page.body,
      )?.[1];
    expect(id).toBeDefined();
    // The dev connection's IdP has not fetched our metadata since: the lint says so on the page.
    expect(page.body).toMatch(/<strong>dev<\/strong>: No fetch of this connection/);

    await post(`/admin/keys/${id}/promote`, cookie, { _csrf: csrf });
    page = await request('/admin/keys', { cookie });
    expect(page.body).toContain(`Key ${id} is now active.`);
    expect(page.body).toMatch(
      new RegExp(
        `${id}</code></td><td>signing</td><td><span class="badge ok">active</span></td>\\s*<td>dev</td><td>\\d{4}-\\d{2}-\\d{2}</td><td>\\d{4}-\\d{2}-\\d{2}</td>`,
      ),
    );

    // The only active global signing key cannot be retired: the flash carries the code and the way out.
    await post('/admin/keys/file-signing/retire', cookie, { _csrf: csrf });
    page = await request('/admin/keys', { cookie });
    expect(page.body).toContain('KEY_TRANSITION_REFUSED');
    expect(page.body).toContain('Generate a new signing key');

    await post(`/admin/keys/${id}/retire`, cookie, { _csrf: csrf });
    page = await request('/admin/keys', { cookie });
    expect(page.body).toMatch(
      new RegExp(`${id}</code></td><td>signing</td><td><span class="badge warning">retired</span>`),
    );
  });
});
