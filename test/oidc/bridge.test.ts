/**
 * Issue #17 over HTTP, driven by panva's openid-client (a certified relying party): the bridge signs a user in
 * through SAML (the embedded samlify IdP) and answers as an OpenID Provider: code + PKCE, ID token with the
 * mapped profile, userinfo, refresh, introspection, revocation, JWT access tokens per API (RFC 9068 / 8707)
 * verified by `verifyAccessToken`, and key rotation with the previous key still published until retired.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../src/oidc/verify-access-token.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ADMIN_TOKEN = 'oidc-bridge-admin-token-0123456789';
const API = 'https://api.example.test';
const REDIRECT = 'http://127.0.0.1:9/callback';

let t: TestServer;
let config: oidc.Configuration;
let publicConfig: oidc.Configuration;

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  t = await startTestServer({ OIDC_BRIDGE: 'on', OIDC_RESOURCES: API, ADMIN_TOKEN });
  const created = await admin('POST', '/oidc-clients', { name: 'Django admin', redirectUris: [REDIRECT] });
  expect(created.status).toBe(201);
  const { clientId, clientSecret } = (await created.json()) as { clientId: string; clientSecret: string };
  expect(clientSecret).toMatch(/^[\w-]{43}$/);
  config = await oidc.discovery(
    new URL(t.baseUrl),
    clientId,
    undefined,
    oidc.ClientSecretBasic(clientSecret),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const spa = await admin('POST', '/oidc-clients', { name: 'SPA', redirectUris: [REDIRECT], public: true });
  const { clientId: spaId, clientSecret: none } = (await spa.json()) as {
    clientId: string;
    clientSecret?: string;
  };
  expect(none).toBeUndefined();
  publicConfig = await oidc.discovery(new URL(t.baseUrl), spaId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(async () => {
  await t?.close();
});

/** Runs the browser part: authorization endpoint -> SAML at the dev IdP (alice types her password) -> code. */
async function authorize(
  cfg: oidc.Configuration,
  extra: Record<string, string> = {},
  b: TestBrowser = new TestBrowser(),
): Promise<{ callback: URL; verifier: string; state: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT,
    scope: 'openid email profile groups offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    connection: 'dev',
    ...extra,
  });
  let page: Page = await b.get(url.href);
  for (let hops = 0; hops < 20; hops++) {
    const location = page.headers.get('location');
    if (page.status >= 300 && page.status < 400 && location) {
      const next = new URL(location, page.url);
      if (next.href.startsWith(REDIRECT)) return { callback: next, verifier, state };
      page = await b.get(next.href);
      continue;
    }
    expect(page.status, page.body.slice(0, 500)).toBe(200);
    const form = parseForm(page);
    page = await b.submit(
      form,
      'password' in form.fields ? { username: 'alice', password: 'alice-pass' } : {},
    );
  }
  throw new Error('the authorization flow did not reach the redirect URI');
}

describe('the OpenID bridge in front of SAML', () => {
  it('publishes discovery with PKCE S256, the bridge routes and the issuer = BASE_URL', async () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(t.baseUrl);
    expect(meta.code_challenge_methods_supported).toContain('S256');
    expect(meta.authorization_endpoint).toBe(`${t.baseUrl}/oidc/auth`);
    expect(meta.jwks_uri).toBe(`${t.baseUrl}/oidc/jwks`);
    expect(meta.introspection_endpoint).toBeDefined();
    expect(meta.revocation_endpoint).toBeDefined();
    // The SP's own /me is untouched by the provider (its userinfo is /oidc/userinfo).
    expect(meta.userinfo_endpoint).toBe(`${t.baseUrl}/oidc/userinfo`);
  });

  it('code + PKCE: the ID token carries the mapped SAML profile; userinfo, refresh, introspection, revocation', async () => {
    const { callback, verifier, state } = await authorize(config);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: t.baseUrl, email: 'alice@example.com', given_name: 'Alice' });
    expect(claims.groups).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(claims.organization).toBe('dev');
    // acr/amr by default, from the SAML AuthnContext (the dev IdP reports PasswordProtectedTransport).
    expect(claims.acr).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.auth_time).toEqual(expect.any(Number));
    expect(tokens.refresh_token).toBeDefined();

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.email).toBe('alice@example.com');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()).toMatchObject({ acr: claims.acr, amr: ['pwd'] });
    const live = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(live).toMatchObject({ active: true, sub: claims.sub });

    await oidc.tokenRevocation(config, refreshed.refresh_token ?? tokens.refresh_token!);
    await expect(
      oidc.refreshTokenGrant(config, refreshed.refresh_token ?? tokens.refresh_token!),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a replayed code, a wrong verifier and an unregistered redirect URI, as the specs say', async () => {
    const first = await authorize(config);
    await oidc.authorizationCodeGrant(config, first.callback, {
      pkceCodeVerifier: first.verifier,
      expectedState: first.state,
    });
    await expect(
      oidc.authorizationCodeGrant(config, first.callback, {
        pkceCodeVerifier: first.verifier,
        expectedState: first.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const second = await authorize(config);
    await expect(
      oidc.authorizationCodeGrant(config, second.callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: second.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const wrongRedirect = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:9/elsewhere',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const answer = await new TestBrowser().get(wrongRedirect.href);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('redirect_uri');
  });

  it('a public client must use PKCE', async () => {
    const withoutPkce = oidc.buildAuthorizationUrl(publicConfig, { redirect_uri: REDIRECT, scope: 'openid' });
    const answer = await new TestBrowser().get(withoutPkce.href);
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('access tokens for an API are JWTs for its audience; key rotation keeps the old key published until retired', async () => {
    const { callback, verifier, state } = await authorize(config, { resource: API });
    const tokens = await oidc.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      { resource: API },
    );
    const verified = await verifyAccessToken(tokens.access_token, { issuer: t.baseUrl, audience: API });
    expect(verified.sub).toBe(tokens.claims()!.sub);
    await expect(
      verifyAccessToken(tokens.access_token, { issuer: t.baseUrl, audience: 'https://other.example.test' }),
    ).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(
      verifyAccessToken(tokens.access_token, { issuer: t.baseUrl, audience: API, scope: 'admin' }),
    ).rejects.toMatchObject({ code: 'insufficient_scope' });

    const bridge = t.server.oidc!.bridge;
    const oldKid = JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString())
      .kid as string;
    await bridge.keys.rotate(new Date());
    await bridge.refreshKeys();
    const jwks = (await (await fetch(`${t.baseUrl}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(oldKid);
    expect(jwks.keys).toHaveLength(2);

    // The token signed before the rotation still verifies; a new one is signed with the new key.
    await expect(
      verifyAccessToken(tokens.access_token, { issuer: t.baseUrl, audience: API }),
    ).resolves.toBeDefined();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { resource: API });
    const newKid = JSON.parse(Buffer.from(refreshed.access_token.split('.')[0]!, 'base64url').toString()).kid;
    expect(newKid).not.toBe(oldKid);
    // verifyAccessToken refetches the JWKS for an unknown kid at most once a second (jose's cooldown).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(
      verifyAccessToken(refreshed.access_token, { issuer: t.baseUrl, audience: API }),
    ).resolves.toBeDefined();

    await bridge.keys.retire(oldKid, new Date());
    await bridge.refreshKeys();
    const after = (await (await fetch(`${t.baseUrl}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid)).not.toContain(oldKid);
  });

  it('registers clients through the admin API only, and never shows a secret again', async () => {
    expect((await fetch(`${t.baseUrl}/admin/api/oidc-clients`)).status).toBe(401);
    const list = (await (await admin('GET', '/oidc-clients')).json()) as Record<string, unknown>[];
    expect(list.length).toBeGreaterThanOrEqual(2);
    for (const client of list) expect(JSON.stringify(client)).not.toMatch(/secret|sha256/i);
    const bad = await admin('POST', '/oidc-clients', { name: 'x', redirectUris: ['not a url'] });
    expect(bad.status).toBe(400);
  });

  it('the CLI registers a client in the same store, and the server serves it at once', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          [path.resolve(import.meta.dirname, '../../src/cli/main.ts'), 'oidc-clients', ...args],
          {
            cwd: t.dir,
            timeout: 60_000,
            env: {
              PATH: process.env.PATH ?? '',
              DATABASE_URL: `sqlite:${path.join(t.dir, 'test.db')}`,
              CERTS_DIR: path.join(t.dir, 'certs'),
              BASE_URL: t.baseUrl,
              LOG_LEVEL: 'silent',
            },
          },
          (error, stdout) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });
    const added = await run('add', '--name', 'Go API console', '--redirect-uri', REDIRECT, '--json');
    expect(added.code).toBe(0);
    const { clientId, clientSecret } = JSON.parse(added.stdout) as { clientId: string; clientSecret: string };
    expect((await run('list')).stdout).toContain(clientId);
    const cliConfig = await oidc.discovery(
      new URL(t.baseUrl),
      clientId,
      undefined,
      oidc.ClientSecretBasic(clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const { callback, verifier, state } = await authorize(cliConfig);
    const tokens = await oidc.authorizationCodeGrant(cliConfig, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()!.email).toBe('alice@example.com');
    expect((await run('remove', clientId)).code).toBe(0);
    expect((await run('remove', clientId)).code).toBe(1);
    expect((await run('add', '--name', 'no redirect')).code).toBe(2);
  }, 120_000);

  it('a SAML logout ends the OpenID session: back-channel logout token to the client, refresh token refused', async () => {
    const tokens: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as { port: number }).port;
      const created = await admin('POST', '/oidc-clients', {
        name: 'Django with back-channel logout',
        redirectUris: [REDIRECT],
        backchannelLogoutUri: `http://127.0.0.1:${port}/oidc/backchannel-logout`,
      });
      expect(created.status).toBe(201);
      const { clientId, clientSecret } = (await created.json()) as { clientId: string; clientSecret: string };
      const rp = await oidc.discovery(
        new URL(t.baseUrl),
        clientId,
        undefined,
        oidc.ClientSecretBasic(clientSecret),
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      const browser = new TestBrowser();
      const { callback, verifier, state } = await authorize(rp, {}, browser);
      const issued = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const sid = issued.claims()!.sid;
      expect(sid).toEqual(expect.any(String));

      // The user signs out of the SP (SP-initiated: same-origin POST /logout, the dev IdP gets a LogoutRequest).
      const out = await browser.post(`${t.baseUrl}/logout`, {}, { 'sec-fetch-site': 'same-origin' });
      expect(out.status).toBeLessThan(400);
      await expect.poll(() => tokens.length, { timeout: 10_000 }).toBe(1);
      const { payload } = await jwtVerify(tokens[0]!, createRemoteJWKSet(new URL(`${t.baseUrl}/oidc/jwks`)), {
        issuer: t.baseUrl,
        audience: clientId,
        typ: 'logout+jwt',
      });
      expect(payload.sid).toBe(sid);
      expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      await expect(oidc.refreshTokenGrant(rp, issued.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      // An opaque access token of the ended grant is inactive at introspection at once.
      expect(await oidc.tokenIntrospection(rp, issued.access_token)).toMatchObject({ active: false });
    } finally {
      receiver.close();
    }
  });
  it('RP-initiated logout at the bridge starts SAML SLO at the IdP, then returns to post_logout_redirect_uri', async () => {
    const notices: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        notices.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as { port: number }).port;
      const signedOut = 'http://127.0.0.1:9/signed-out';
      const created = await admin('POST', '/oidc-clients', {
        name: 'Django',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: [signedOut],
        backchannelLogoutUri: `http://127.0.0.1:${port}/oidc/backchannel-logout`,
      });
      const { clientId, clientSecret } = (await created.json()) as { clientId: string; clientSecret: string };
      const rp = await oidc.discovery(
        new URL(t.baseUrl),
        clientId,
        undefined,
        oidc.ClientSecretBasic(clientSecret),
        { execute: [oidc.allowInsecureRequests] },
      );
      const browser = new TestBrowser();
      const { callback, verifier, state } = await authorize(rp, {}, browser);
      const issued = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect((await browser.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status).toBe(200);

      // An unregistered post_logout_redirect_uri is refused before anything ends.
      const wrong = oidc.buildEndSessionUrl(rp, {
        id_token_hint: issued.id_token!,
        post_logout_redirect_uri: 'http://127.0.0.1:9/elsewhere',
      });
      expect((await browser.get(wrong.href)).status).toBe(400);

      const end = oidc.buildEndSessionUrl(rp, {
        id_token_hint: issued.id_token!,
        post_logout_redirect_uri: signedOut,
        state: 'bye-1',
      });
      // The bridge asks the user to confirm (its form carries the provider's xsrf value).
      const confirm = await browser.get(end.href);
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain('confirm-sign-out');
      // Nothing ended on the GET alone.
      expect((await browser.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status).toBe(200);

      // Confirmed: the browser goes to the IdP with a LogoutRequest, the IdP answers the SP's SLO endpoint,
      // and the SP sends the browser back to the client's post-logout URI with its state.
      const visited: string[] = [];
      let page: Page = await browser.submit(parseForm(confirm));
      let landed: URL | undefined;
      for (let hops = 0; hops < 15 && !landed; hops++) {
        visited.push(page.url);
        const location = page.headers.get('location');
        if (page.status >= 300 && page.status < 400 && location) {
          const next = new URL(location, page.url);
          if (next.href.startsWith(signedOut)) landed = next;
          else page = await browser.get(next.href);
          continue;
        }
        expect(page.status, page.body.slice(0, 300)).toBe(200);
        page = await browser.submit(parseForm(page));
      }
      expect(landed?.searchParams.get('state')).toBe('bye-1');
      expect(visited.some((url) => url.includes('SAMLRequest='))).toBe(true);
      expect(visited.some((url) => url.startsWith(`${t.baseUrl}/saml/dev/slo`))).toBe(true);
      expect(visited.some((url) => url.startsWith(`${t.baseUrl}/oidc/logout/return`))).toBe(true);

      expect((await browser.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status).toBe(401);
      await expect.poll(() => notices.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      await expect(oidc.refreshTokenGrant(rp, issued.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      // The IdP session ended too: a new authorization stops at the dev IdP's login form again.
      const again = await browser.follow(
        await browser.get(
          oidc.buildAuthorizationUrl(rp, {
            redirect_uri: REDIRECT,
            scope: 'openid',
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
            connection: 'dev',
          }).href,
        ),
      );
      expect(again.body).toContain('password');

      // The return route does not redirect anywhere without the bridge's signature.
      const forged = await browser.get(
        `${t.baseUrl}/oidc/logout/return?to=${Buffer.from('https://evil.example/').toString('base64url')}&sig=x`,
      );
      expect(forged.status).toBe(400);
    } finally {
      receiver.close();
    }
  }, 60_000);
});
