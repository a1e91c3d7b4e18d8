/**
 * Issue #14: the admin page's SCIM section over HTTP, as a browser posts its forms: list, create (the token
 * shown once, on the answer to the form), revoke; CSRF-checked like every admin form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type ScimClient, startScim } from './helpers.ts';

let c: ScimClient;
beforeAll(async () => {
  c = await startScim();
}, 60_000);
afterAll(async () => {
  await c?.close();
});

async function request(path: string, init: RequestInit & { cookie?: string } = {}) {
  const { cookie, ...rest } = init;
  const response = await fetch(`${c.t.baseUrl}${path}`, {
    redirect: 'manual',
    ...rest,
    headers: { ...(cookie ? { cookie } : {}), ...(rest.headers as Record<string, string> | undefined) },
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function postForm(path: string, cookie: string, fields: Record<string, string>) {
  return request(path, {
    method: 'POST',
    cookie,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: c.t.baseUrl },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('admin page: SCIM tokens', () => {
  it('creates a token shown once, lists it, revokes it; refuses a form without the CSRF token', async () => {
    const login = await postForm('/admin/login', '', { token: ADMIN_TOKEN });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await request('/admin/organizations/dev/scim', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`${c.t.baseUrl}/scim/v2/dev`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';

    expect((await postForm('/admin/organizations/dev/scim/tokens', cookie, { name: 'Okta' })).status).toBe(
      403,
    );
    const created = await postForm('/admin/organizations/dev/scim/tokens', cookie, {
      _csrf: csrf,
      name: 'Okta',
    });
    expect(created.status).toBe(200);
    const token = /<code id="scim-token">([^<]+)<\/code>/.exec(created.body)?.[1] ?? '';
    expect(token).toMatch(/^scim_[0-9a-f]{16}_/);
    expect((await c.call('GET', '/ServiceProviderConfig', { token })).status).toBe(200);

    const again = await request('/admin/organizations/dev/scim', { cookie });
    expect(again.body).not.toContain(token);
    const id = token.slice(5, 21);
    expect(again.body).toContain(id);

    const revoked = await postForm(`/admin/organizations/dev/scim/tokens/${id}/revoke`, cookie, {
      _csrf: csrf,
    });
    expect(revoked.status).toBe(303);
    expect((await request('/admin/organizations/dev/scim', { cookie })).body).toMatch(/revoked/);
    expect((await c.call('GET', '/Users', { token })).status).toBe(401);
    expect((await request('/admin/organizations/nowhere/scim', { cookie })).status).toBe(404);
    // Without a session: back to the sign-in form.
    expect((await request('/admin/organizations/dev/scim')).status).toBe(303);
  });
});
