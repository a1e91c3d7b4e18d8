/**
 * Issue #9, item 1 over HTTP: only signed data binds a response to a sign-in started in this browser.
 *
 * The attack: the attacker starts a sign-in in their own browser (so the SP holds a pending request ID for
 * that browser), takes an assertion the IdP issued IdP-initiated (signed, no InResponseTo anywhere), wraps it
 * in an unsigned Response whose InResponseTo names their own request ID, and posts it to the ACS. With
 * allowIdpInitiated off, the SP must refuse it: nothing signed says it answers that request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** Starts SP-initiated sign-in in `b` and returns the AuthnRequest ID the SP now holds for that browser. */
async function pendingRequestId(b: TestBrowser): Promise<string> {
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/account`);
  expect(start.status).toBe(302);
  const xml = decodeAndInflate(
    new URL(start.headers.get('location') ?? '').searchParams.get('SAMLRequest') ?? '',
  );
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no ID in ${xml}`);
  return id;
}

/** A captured IdP-initiated response for `username`: the assertion is signed, the Response is not. */
async function capturedUnsolicited(username: string, overrides: { signResponse?: boolean } = {}) {
  const spEntityId = t.server.sp.spIdentity({ id: 'dev' }).entityId;
  const { samlResponse } = await t.server.devIdp!.issueResponse({ spEntityId, username, overrides });
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}

/** Adds InResponseTo to the Response element (outside any signature over the assertion). */
function nameRequest(xml: string, requestId: string): string {
  const wrapped = xml.replace(/<(\w+:)?Response\b/, (open) => `${open} InResponseTo="${requestId}"`);
  expect(wrapped).not.toBe(xml);
  return Buffer.from(wrapped, 'utf8').toString('base64');
}

async function postAcs(b: TestBrowser, samlResponse: string) {
  return b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse }, { accept: 'application/json' });
}

describe('request binding only from signed data (issue #9, item 1)', () => {
  it('refuses a captured IdP-initiated assertion wrapped in an unsigned Response naming the attacker’s request', async () => {
    const attacker = new TestBrowser();
    const requestId = await pendingRequestId(attacker);
    const xml = await capturedUnsolicited('bob');
    expect(xml).not.toContain('InResponseTo');

    const answer = await postAcs(attacker, nameRequest(xml, requestId));
    const body = JSON.parse(answer.body) as { error: { code: string; message: string; hint: string } };
    expect(answer.status).toBe(400);
    expect(body.error.code).toBe('SAML_UNSOLICITED');
    expect(body.error.message).toContain(requestId);
    expect(body.error.hint).toMatch(/SubjectConfirmationData|signs the Response/);
    expect(answer.headers.getSetCookie().some((c) => c.startsWith('saml_sp_session='))).toBe(false);
    const me = await attacker.get(`${t.baseUrl}/me`, { accept: 'application/json' });
    expect(me.status).toBe(401);
  });

  it('does not burn the attacker’s pending request either: a genuine answer to it still signs in', async () => {
    const b = new TestBrowser();
    const requestId = await pendingRequestId(b);
    await postAcs(b, nameRequest(await capturedUnsolicited('bob'), requestId));
    const spEntityId = t.server.sp.spIdentity({ id: 'dev' }).entityId;
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId,
      username: 'alice',
      inResponseTo: requestId,
    });
    const answer = await b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/account');
  });
});
