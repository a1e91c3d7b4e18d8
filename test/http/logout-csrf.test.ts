/**
 * Issue #9, item 6 over HTTP: logout CSRF. GET /logout no longer signs anyone out (it shows a confirmation
 * page); signing out is a POST that carries the session's logout token or comes from this origin by Fetch
 * Metadata or Origin. Cross-site and same-site POSTs are refused with SAML_LOGOUT_CROSS_SITE and the session
 * lives on. The SLO endpoint keeps accepting what the SAML bindings send (cross-site by nature).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

async function signIn(b: TestBrowser, username = 'alice'): Promise<void> {
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`);
  let page = await b.follow(start);
  let form = parseForm(page);
  if ('password' in form.fields) {
    page = await b.submit(form, { username, password: `${username}-pass` });
    form = parseForm(page);
  }
  expect((await b.submit(form)).status).toBe(303);
  expect((await me(b)).status).toBe(200);
}

async function me(b: TestBrowser): Promise<Page> {
  return b.get(`${t.baseUrl}/me`, { accept: 'application/json' });
}

/** The logout token from the confirmation page. */
async function confirmToken(b: TestBrowser): Promise<string> {
  const form = parseForm(await b.get(`${t.baseUrl}/logout?returnTo=/bye`));
  return form.fields.csrf ?? '';
}

async function expectRefused(answer: Page): Promise<void> {
  expect(answer.status).toBe(403);
  const body = JSON.parse(answer.body) as { error: { code: string; hint: string } };
  expect(body.error.code).toBe('SAML_LOGOUT_CROSS_SITE');
  expect(body.error.hint).toContain('GET /logout');
  expect(answer.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session='))).toBe(false);
}

describe('GET /logout (issue #9, item 6)', () => {
  it('does not sign out: a cross-site link or image only reaches the confirmation page', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const page = await b.get(`${t.baseUrl}/logout?returnTo=/bye`, {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-dest': 'image',
    });
    expect(page.status).toBe(200);
    expect((await me(b)).status).toBe(200);
  });

  it('shows a confirmation form that POSTs with the logout token, and cannot be framed', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const page = await b.get(`${t.baseUrl}/logout?returnTo=/bye`);
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const form = parseForm(page);
    expect(form.method.toUpperCase()).toBe('POST');
    expect(form.action).toBe(`${t.baseUrl}/logout?returnTo=%2Fbye`);
    expect(form.fields.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.body).toContain('href="/bye"');

    // The user confirms: the browser posts the form from our own page.
    const out = await b.submit(form);
    expect(out.status).toBe(303);
    expect(new URL(out.headers.get('location')!).pathname).toBe('/idp/slo');
    expect((await me(b)).status).toBe(401);
  });

  it('answers JSON clients with the POST to make', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const page = await b.get(`${t.baseUrl}/logout?returnTo=/bye`, { accept: 'application/json' });
    expect(JSON.parse(page.body)).toEqual({
      signedIn: true,
      confirm: { method: 'POST', action: '/logout?returnTo=%2Fbye', fields: { csrf: expect.any(String) } },
    });
    expect((await me(b)).status).toBe(200);
  });

  it('goes straight to returnTo when nobody is signed in', async () => {
    const out = await new TestBrowser().get(`${t.baseUrl}/logout?returnTo=/bye`);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/bye');
  });
});

describe('POST /logout (issue #9, item 6)', () => {
  const refusals: [string, Record<string, string>][] = [
    [
      'a cross-site form (Fetch Metadata)',
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    ],
    ['a sibling subdomain (same-site is not same-origin)', { 'sec-fetch-site': 'same-site' }],
    ['an older browser posting from another origin', { origin: 'https://evil.example' }],
    ['an older browser posting from another port of this host', { origin: 'http://localhost:1' }],
  ];
  it.each(refusals)('refuses %s and keeps the session', async (_what, headers) => {
    const b = new TestBrowser();
    await signIn(b);
    await expectRefused(
      await b.post(`${t.baseUrl}/logout?returnTo=/bye`, {}, { accept: 'application/json', ...headers }),
    );
    expect((await me(b)).status).toBe(200);
  });

  it('refuses a wrong token, or another session’s token, from another site', async () => {
    const victim = new TestBrowser();
    await signIn(victim);
    const attacker = new TestBrowser();
    await signIn(attacker, 'bob');
    const attackersToken = await confirmToken(attacker);
    for (const csrf of ['x'.repeat(43), attackersToken, '']) {
      await expectRefused(
        await victim.post(
          `${t.baseUrl}/logout`,
          { csrf },
          { accept: 'application/json', 'sec-fetch-site': 'cross-site' },
        ),
      );
    }
    expect((await me(victim)).status).toBe(200);
  });

  it('refuses a cross-site text/plain post (a body the form parser does not read)', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const answer = await b.request(`${t.baseUrl}/logout`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'application/json', 'sec-fetch-site': 'cross-site' },
      body: `csrf=${await confirmToken(b)}`,
    });
    await expectRefused(answer);
    expect((await me(b)).status).toBe(200);
  });

  const accepted: [string, Record<string, string>][] = [
    ['a same-origin fetch or form (Fetch Metadata)', { 'sec-fetch-site': 'same-origin' }],
    ['an older browser posting from this origin', { origin: '' }],
    ['a client that is not a browser (no Sec-Fetch-Site, no Origin)', {}],
  ];
  it.each(accepted)('signs out %s', async (_what, headers) => {
    const b = new TestBrowser();
    await signIn(b);
    const withOrigin = 'origin' in headers ? { ...headers, origin: new URL(t.baseUrl).origin } : headers;
    const out = await b.post(`${t.baseUrl}/logout?returnTo=/bye`, {}, withOrigin);
    expect(out.status).toBe(303);
    expect((await me(b)).status).toBe(401);
  });

  it('signs out with the session’s token whatever the headers say (Origin: null after a privacy redirect)', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const csrf = await confirmToken(b);
    const out = await b.post(`${t.baseUrl}/logout`, { csrf }, { origin: 'null' });
    expect(out.status).toBe(303);
    expect((await me(b)).status).toBe(401);
  });
});

describe('the SLO endpoint is not behind the logout CSRF check', () => {
  it('still ends the session on an IdP LogoutRequest that arrives cross-site, as the bindings require', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const [dispatch] = await t.server.devIdp!.logoutUser('alice', { binding: 'redirect' });
    if (dispatch?.message.binding !== 'redirect')
      throw new Error('expected a redirect-binding LogoutRequest');
    const answer = await b.get(dispatch.message.url, { 'sec-fetch-site': 'cross-site' });
    expect(answer.status).toBeLessThan(400);
    expect((await me(b)).status).toBe(401);
  });
});
