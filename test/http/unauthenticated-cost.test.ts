/**
 * Issue #9 item 8, over HTTP against the real server: what an anonymous client can make the server do.
 * - a browser looping on /login evicts only its own pending requests, never another browser's;
 * - SP metadata is signed once per connection version, not per GET;
 * - admin form bodies are read only after the admin session is checked;
 * - the admin sign-in throttle keys on the client address TRUST_PROXY names, and rotating addresses buys no
 *   more than a global ceiling of guesses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'cost-admin-token-0123456789abcdef';

let t: TestServer;
let proxied: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
  proxied = await startTestServer({ ADMIN_TOKEN: TOKEN, TRUST_PROXY: 'loopback' });
});
afterAll(async () => {
  await Promise.all([t?.close(), proxied?.close()]);
});

function adminLogin(server: TestServer, token: string, forwardedFor?: string) {
  return fetch(`${server.baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: new URLSearchParams({ token }).toString(),
  }).then(async (r) => ({ status: r.status, body: await r.text() }));
}

describe('pending requests per browser', () => {
  it('a browser that loops on /login evicts only its own oldest requests', async () => {
    const alice = new TestBrowser();
    const flooder = new TestBrowser();
    const aliceStart = await alice.follow(await alice.get(`${t.baseUrl}/saml/dev/login?returnTo=/alice`));
    const firstOfFlooder = await flooder.follow(await flooder.get(`${t.baseUrl}/saml/dev/login`));
    for (let i = 0; i < 30; i++) {
      expect((await flooder.get(`${t.baseUrl}/saml/dev/login`)).status).toBe(302);
    }

    // The flooder's first request was its oldest of 31: forgotten, so the IdP's answer to it is refused.
    const stale = parseForm(
      await flooder.submit(parseForm(firstOfFlooder), { username: 'bob', password: 'bob-pass' }),
    );
    const refused = await flooder.post(stale.action, stale.fields, { accept: 'application/json' });
    expect(refused.status).toBe(400);
    expect((JSON.parse(refused.body) as { error: { code: string } }).error.code).toBe(
      'SAML_IN_RESPONSE_TO_UNKNOWN',
    );

    // Alice started hers before the flood and still signs in.
    const answer = parseForm(
      await alice.submit(parseForm(aliceStart), { username: 'alice', password: 'alice-pass' }),
    );
    const signedIn = await alice.submit(answer);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/alice');
    expect((await alice.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status).toBe(200);
  });
});

describe('SP metadata', () => {
  it('is signed once per connection version: the same bytes until the connection changes', async () => {
    const get = () => fetch(`${t.baseUrl}/saml/dev/metadata`).then((r) => r.text());
    const first = await get();
    expect(first).toContain('<ds:SignatureValue>');
    expect(await get()).toBe(first);
    expect(await get()).toBe(first);

    const patched = await fetch(`${t.baseUrl}/admin/api/connections/dev`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'Development IdP, renamed' }),
    });
    expect(patched.status).toBe(200);
    const after = await get();
    expect(after).toContain('<ds:SignatureValue>');
    expect(after).not.toBe(first);
    expect(await get()).toBe(after);
  });
});

describe('admin form bodies', () => {
  it('an anonymous POST is sent to the sign-in form without its body being parsed', async () => {
    const post = (body: BodyInit, contentType: string) =>
      fetch(`${t.baseUrl}/admin/connections`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': contentType },
        body,
      });
    // Malformed multipart (no boundary) and a body over the 2 MiB form limit: both used to be parsed, and
    // refused with 400 and 413, before the session was looked at.
    const junk = await post('--x\r\nnot a part', 'multipart/form-data');
    expect(junk.status).toBe(303);
    expect(junk.headers.get('location')).toBe('/admin');
    const huge = await post(new Uint8Array(3 * 1024 * 1024), 'multipart/form-data; boundary=x');
    expect(huge.status).toBe(303);
    for (const path of ['/admin/connections/dev/mapping', '/admin/connections/dev/delete']) {
      const r = await fetch(`${t.baseUrl}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=%ZZ&'.repeat(10),
      });
      expect(r.status).toBe(303);
    }
    // And the connection is untouched.
    const dev = await fetch(`${t.baseUrl}/admin/api/connections/dev`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(dev.status).toBe(200);
  });
});

describe('admin sign-in throttle', () => {
  it('without TRUST_PROXY, a forged X-Forwarded-For does not buy a fresh bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await adminLogin(t, `wrong-${i}`, `198.51.100.${i + 1}`)).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });

  it('with TRUST_PROXY, each client address has its own bucket, under one global ceiling', async () => {
    // Per address: one client is throttled after ten failures, another behind the same proxy is not.
    for (let i = 0; i < 10; i++) expect((await adminLogin(proxied, 'wrong', '203.0.113.1')).status).toBe(401);
    expect((await adminLogin(proxied, 'wrong', '203.0.113.1')).status).toBe(429);
    expect((await adminLogin(proxied, TOKEN, '203.0.113.1')).status).toBe(429);
    expect((await adminLogin(proxied, TOKEN, '203.0.113.2')).status).toBe(303);

    // Rotating addresses: 90 more failures, each from a new address, reach the ceiling of 100 per window;
    // after that no address gets another guess.
    for (let i = 0; i < 90; i++) {
      expect((await adminLogin(proxied, 'wrong', `10.9.${i >> 8}.${i & 255}`)).status).toBe(401);
    }
    expect((await adminLogin(proxied, 'wrong', '192.0.2.77')).status).toBe(429);
    expect((await adminLogin(proxied, 'wrong', '192.0.2.78')).status).toBe(429);
  });
});
