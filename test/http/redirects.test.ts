/**
 * Issue #9, item 2 over HTTP: every redirect sink refuses every hostile returnTo / RelayState form of
 * test/fixtures/hostile-return-to.ts, landing on '/'. The sinks: the RelayState sent to the IdP and the ACS
 * Location after SP-initiated sign-in, the ACS Location after IdP-initiated sign-in (RelayState from the IdP),
 * /logout (no session, and the confirmation page), and the SLO endpoint after the IdP's LogoutResponse. A
 * value stored before the check existed is refused where it leaves, too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { HOSTILE_RETURN_TO } from '../fixtures/hostile-return-to.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const HOSTILE = HOSTILE_RETURN_TO.map(([value]) => value);
const spEntityId = () => t.server.sp.spIdentity({ id: 'dev' }).entityId;

function withReturnTo(path: string, returnTo: string): string {
  return `${t.baseUrl}${path}?${new URLSearchParams({ returnTo })}`;
}

/** Starts SP-initiated sign-in; returns the AuthnRequest ID and the RelayState sent to the IdP. */
async function startLogin(b: TestBrowser, returnTo: string) {
  const start = await b.get(withReturnTo('/saml/dev/login', returnTo));
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location') ?? '');
  const xml = decodeAndInflate(location.searchParams.get('SAMLRequest') ?? '');
  return { requestId: /\bID="([^"]+)"/.exec(xml)![1]!, relayState: location.searchParams.get('RelayState') };
}

async function answer(b: TestBrowser, requestId: string | undefined, relayState?: string) {
  const { samlResponse } = await t.server.devIdp!.issueResponse({
    spEntityId: spEntityId(),
    username: 'alice',
    ...(requestId ? { inResponseTo: requestId } : {}),
  });
  return b.post(`${t.baseUrl}/saml/dev/acs`, {
    SAMLResponse: samlResponse,
    ...(relayState !== undefined ? { RelayState: relayState } : {}),
  });
}

describe('redirect sinks refuse every hostile returnTo (issue #9, item 2)', () => {
  it('SP-initiated sign-in: the RelayState sent to the IdP and the ACS Location', async () => {
    const escaped: string[] = [];
    for (const hostile of HOSTILE) {
      const b = new TestBrowser();
      const { requestId, relayState } = await startLogin(b, hostile);
      // The IdP may echo RelayState as it likes: what the SP honours is the stored returnTo.
      const landed = await answer(b, requestId, hostile);
      expect(landed.status).toBe(303);
      if (relayState !== '/' || landed.headers.get('location') !== '/') {
        escaped.push(`${JSON.stringify(hostile)} -> ${relayState} / ${landed.headers.get('location')}`);
      }
    }
    expect(escaped).toEqual([]);
  });

  it('IdP-initiated sign-in: the RelayState the IdP posts to the ACS', async () => {
    const stores = t.server.stores;
    const original = (await stores.connections.get('dev'))!;
    await stores.connections.put({ ...original, policy: { ...original.policy, allowIdpInitiated: true } });
    try {
      const escaped: string[] = [];
      for (const hostile of HOSTILE) {
        const landed = await answer(new TestBrowser(), undefined, hostile);
        expect(landed.status).toBe(303);
        if (landed.headers.get('location') !== '/') {
          escaped.push(`${JSON.stringify(hostile)} -> ${landed.headers.get('location')}`);
        }
      }
      expect(escaped).toEqual([]);
    } finally {
      await stores.connections.put(original);
    }
  });

  it('/logout without a session (GET and POST), and the confirmation page with one', async () => {
    const escaped: string[] = [];
    const signedIn = new TestBrowser();
    const { requestId } = await startLogin(signedIn, '/');
    expect((await answer(signedIn, requestId)).status).toBe(303);
    for (const hostile of HOSTILE) {
      const anonymous = new TestBrowser();
      for (const out of [
        await anonymous.get(withReturnTo('/logout', hostile)),
        await anonymous.post(withReturnTo('/logout', hostile), {}),
      ]) {
        if (out.status !== 303 || out.headers.get('location') !== '/') {
          escaped.push(`${JSON.stringify(hostile)} -> ${out.status} ${out.headers.get('location')}`);
        }
      }
      const confirm = await signedIn.get(withReturnTo('/logout', hostile));
      const form = parseForm(confirm);
      if (form.action !== `${t.baseUrl}/logout?returnTo=%2F` || !confirm.body.includes('href="/"')) {
        escaped.push(`${JSON.stringify(hostile)} -> confirmation page ${form.action}`);
      }
    }
    expect(escaped).toEqual([]);
  });

  it('Single Logout: the RelayState sent to the IdP and the Location after its LogoutResponse', async () => {
    const escaped: string[] = [];
    // The full round trip is slower; every fourth form, which covers each family of the table.
    for (const hostile of HOSTILE.filter((_, i) => i % 4 === 0)) {
      const b = new TestBrowser();
      const { requestId } = await startLogin(b, '/');
      expect((await answer(b, requestId)).status).toBe(303);
      const out = await b.post(withReturnTo('/logout', hostile), {});
      expect(out.status).toBe(303);
      const toIdp = new URL(out.headers.get('location')!);
      const atIdp = await b.get(toIdp.toString());
      const landed = await b.get(atIdp.headers.get('location')!);
      expect(landed.status).toBe(303);
      if (toIdp.searchParams.get('RelayState') !== '/' || landed.headers.get('location') !== '/') {
        escaped.push(
          `${JSON.stringify(hostile)} -> ${toIdp.searchParams.get('RelayState')} / ${landed.headers.get('location')}`,
        );
      }
    }
    expect(escaped).toEqual([]);
  });

  it('refuses a hostile returnTo where it leaves, even when it was stored without the check', async () => {
    // As a record saved by an older version (or by an integrator calling the store) would hold it.
    const b = new TestBrowser();
    await startLogin(b, '/');
    const browserKey =
      b.cookie('127.0.0.1', 'saml_sp_session_req') ?? b.cookie('localhost', 'saml_sp_session_req');
    expect(browserKey).toBeDefined();
    const now = new Date();
    await t.server.stores.requests.save({
      requestId: '_stored-by-an-older-version',
      connectionId: 'dev',
      browserKey: browserKey!,
      returnTo: '//evil.example/',
      createdAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
    });
    const landed = await answer(b, '_stored-by-an-older-version');
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/');
  });
});
