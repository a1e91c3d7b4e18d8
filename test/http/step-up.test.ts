/**
 * Issue #15 items 3 and 4 over HTTP, against the embedded samlify IdP: `?forceAuthn=1` makes the IdP ask for
 * the password although it has a session, `maxAge` refuses a stale authentication, and a connection that
 * requires MFA refuses a password-only assertion with a hint naming the IdP setting. /me shows when and how
 * the user authenticated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AC } from '../../src/core/assurance/authn-context.ts';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import type { ResponseOverrides } from '../../src/dev-idp/index.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  await t.server.connections.update('dev', {
    policy: { acceptedAuthnContexts: [], requestedAuthnContext: null },
  });
});

interface MeJson {
  authnInstant: string | null;
  authnContextClassRef: string | null;
}

async function start(b: TestBrowser, query = ''): Promise<{ requestId: string; xml: string; page: Page }> {
  const answer = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after${query}`);
  expect(answer.status).toBe(302);
  const xml = decodeAndInflate(
    new URL(answer.headers.get('location') ?? '').searchParams.get('SAMLRequest') ?? '',
  );
  const requestId = /\bID="([^"]+)"/.exec(xml)?.[1] ?? '';
  return { requestId, xml, page: await b.follow(answer) };
}

/** Types alice's password on the IdP's login page and posts the response to the ACS. */
async function typePassword(b: TestBrowser, loginPage: Page): Promise<Page> {
  const answer = await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
  expect(answer.status).toBe(200);
  return b.submit(parseForm(answer));
}

async function me(b: TestBrowser): Promise<{ status: number; body: MeJson }> {
  const answer = await b.get(`${t.baseUrl}/me`, { accept: 'application/json' });
  return { status: answer.status, body: JSON.parse(answer.body) as MeJson };
}

/** A response the dev IdP signs for the browser's pending request, with forged authentication facts. */
async function answerWith(b: TestBrowser, requestId: string, overrides: ResponseOverrides): Promise<Page> {
  const { samlResponse } = await t.server.devIdp!.issueResponse({
    spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
    username: 'alice',
    inResponseTo: requestId,
    overrides,
  });
  return b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse }, { accept: 'application/json' });
}

function refusal(page: Page): { code: string; message: string; hint: string } {
  return (JSON.parse(page.body) as { error: { code: string; message: string; hint: string } }).error;
}

function noSessionCookie(page: Page): boolean {
  return !page.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session='));
}

describe('step-up: forceAuthn and maxAge', () => {
  it('forceAuthn=1 sends ForceAuthn, the IdP asks for the password again, and /me shows the fresh instant', async () => {
    const b = new TestBrowser();
    const first = await start(b);
    expect(first.xml).not.toContain('ForceAuthn');
    expect((await typePassword(b, first.page)).status).toBe(303);
    const before = await me(b);
    expect(before.status).toBe(200);
    expect(before.body.authnContextClassRef).toBe(AC.passwordProtectedTransport);
    const firstInstant = Date.parse(before.body.authnInstant ?? '');
    expect(firstInstant).toBeGreaterThan(0);

    // Without forceAuthn the IdP's session answers at once: no login page.
    const silent = await start(b);
    expect(silent.page.body).not.toContain('name="password"');

    await new Promise((resolve) => setTimeout(resolve, 1100)); // AuthnInstant has one-second steps at most
    const stepUp = await start(b, '&forceAuthn=1&maxAge=60');
    expect(stepUp.xml).toContain('ForceAuthn="true"');
    expect(stepUp.page.body).toContain('name="password"');
    expect((await typePassword(b, stepUp.page)).status).toBe(303);
    const after = await me(b);
    expect(Date.parse(after.body.authnInstant ?? '')).toBeGreaterThan(firstInstant);
  });

  it('refuses an assertion older than maxAge with SAML_AUTHN_TOO_OLD and no session', async () => {
    const b = new TestBrowser();
    const { requestId } = await start(b, '&maxAge=600');
    const stale = await answerWith(b, requestId, { authnInstant: new Date(Date.now() - 20 * 60_000) });
    expect(stale.status).toBe(403);
    expect(refusal(stale).code).toBe('SAML_AUTHN_TOO_OLD');
    expect(refusal(stale).message).toMatch(/at most 600 s/);
    expect(refusal(stale).hint).toMatch(/forceAuthn=1/);
    expect(noSessionCookie(stale)).toBe(true);
    expect((await me(b)).status).toBe(401);
  });

  it('accepts an assertion within maxAge (plus the clock skew)', async () => {
    const b = new TestBrowser();
    const { requestId } = await start(b, '&maxAge=600');
    const recent = await answerWith(b, requestId, { authnInstant: new Date(Date.now() - 11 * 60_000) });
    expect(recent.status).toBe(303);
    expect((await me(b)).status).toBe(200);
  });

  it('refuses an answer to a ForceAuthn request that reports an authentication from before it', async () => {
    const b = new TestBrowser();
    const { requestId } = await start(b, '&forceAuthn=1');
    const ignored = await answerWith(b, requestId, { authnInstant: new Date(Date.now() - 30 * 60_000) });
    expect(ignored.status).toBe(403);
    expect(refusal(ignored).code).toBe('SAML_FORCE_AUTHN_IGNORED');
    expect(noSessionCookie(ignored)).toBe(true);
  });

  it('a maxAge of another request of the same browser does not apply to this one', async () => {
    const b = new TestBrowser();
    await start(b, '&maxAge=0');
    const { requestId } = await start(b);
    const old = await answerWith(b, requestId, { authnInstant: new Date(Date.now() - 30 * 60_000) });
    expect(old.status).toBe(303);
  });

  it('refuses a malformed maxAge or forceAuthn with SAML_LOGIN_OPTION_INVALID instead of ignoring it', async () => {
    for (const query of ['maxAge=10m', 'maxAge=-1', 'maxAge=9999999', 'forceAuthn=yes']) {
      const answer = await new TestBrowser().get(`${t.baseUrl}/saml/dev/login?${query}`, {
        accept: 'application/json',
      });
      expect(answer.status, query).toBe(400);
      expect(refusal(answer).code, query).toBe('SAML_LOGIN_OPTION_INVALID');
    }
  });
});

describe('assurance policy: a connection that requires MFA', () => {
  it('refuses a password-only assertion with a hint that names the IdP setting', async () => {
    await t.server.connections.update('dev', {
      preset: 'generic',
      policy: { acceptedAuthnContexts: [AC.mobileTwoFactorContract] },
    });
    const b = new TestBrowser();
    const { requestId } = await start(b);
    const answer = await answerWith(b, requestId, {});
    expect(answer.status).toBe(403);
    const error = refusal(answer);
    expect(error.code).toBe('SAML_AUTHN_CONTEXT_NOT_ACCEPTED');
    expect(error.message).toContain(AC.passwordProtectedTransport);
    expect(error.hint).toContain(AC.mobileTwoFactorContract);
    expect(error.hint).toMatch(/In the IdP, require a second factor/);
    expect(noSessionCookie(answer)).toBe(true);
  });

  it('accepts the MFA class and /me shows it', async () => {
    await t.server.connections.update('dev', {
      policy: { acceptedAuthnContexts: [AC.mobileTwoFactorContract] },
    });
    const b = new TestBrowser();
    const { requestId } = await start(b);
    const answer = await answerWith(b, requestId, { authnContextClassRef: AC.mobileTwoFactorContract });
    expect(answer.status).toBe(303);
    expect((await me(b)).body.authnContextClassRef).toBe(AC.mobileTwoFactorContract);
  });

  it('sends RequestedAuthnContext only when the connection turns it on', async () => {
    const b = new TestBrowser();
    expect((await start(b)).xml).not.toContain('RequestedAuthnContext');
    await t.server.connections.update('dev', {
      policy: { requestedAuthnContext: { classRefs: [AC.mobileTwoFactorContract], comparison: 'minimum' } },
    });
    const { xml } = await start(b);
    expect(xml).toContain(
      `<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>${AC.mobileTwoFactorContract}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`,
    );
  });
});
