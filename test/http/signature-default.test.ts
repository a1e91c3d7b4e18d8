/**
 * Issue #9, item 9 over HTTP: by default the ACS accepts a signed Response that covers an unsigned assertion
 * (Keycloak's console default, Google's "Signed response"), as well as a signed assertion; `assertion` and
 * `response-and-assertion` stay per-connection options, set through the admin API, shown by the lint, and
 * enforced with SAML_SIGNATURE_MISSING and a hint naming the switch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN });
});
afterAll(async () => {
  await t?.close();
});

async function api(method: string, path: string, body?: unknown) {
  const answer = await fetch(`${t.baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as {
    policy: { wantSigned: string };
    lint: { id: string; message: string }[];
  };
}

/** A sign-in whose response the IdP signs as asked; returns the ACS answer. */
async function signIn(sign: { signAssertion: boolean; signResponse: boolean }) {
  const b = new TestBrowser();
  const start = await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`);
  const xml = decodeAndInflate(new URL(start.headers.get('location')!).searchParams.get('SAMLRequest')!);
  const { samlResponse } = await t.server.devIdp!.issueResponse({
    spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
    username: 'alice',
    inResponseTo: /\bID="([^"]+)"/.exec(xml)![1]!,
    overrides: sign,
  });
  const decoded = Buffer.from(samlResponse, 'base64').toString('utf8');
  // The Response carries a Signature child only when asked to; the assertion likewise.
  expect(
    /<(\w+:)?Assertion\b[^>]*>\s*<(\w+:)?Issuer>[^<]*<\/(\w+:)?Issuer>\s*<(\w+:)?Signature\b/.test(decoded),
  ).toBe(sign.signAssertion);
  return b.post(`${t.baseUrl}/saml/dev/acs`, { SAMLResponse: samlResponse }, { accept: 'application/json' });
}

describe('default signature requirement (issue #9, item 9)', () => {
  it('a new connection requires a signed assertion or a signed Response covering it', async () => {
    const view = await api('GET', '/connections/dev');
    expect(view.policy.wantSigned).toBe('response-or-assertion');
    expect(view.lint.map((l) => l.id)).not.toContain('signature-requirement');
  });

  it('signs in with only the Response signed (Keycloak’s and Google’s default), and with only the assertion', async () => {
    const responseOnly = await signIn({ signAssertion: false, signResponse: true });
    expect(responseOnly.status).toBe(303);
    const assertionOnly = await signIn({ signAssertion: true, signResponse: false });
    expect(assertionOnly.status).toBe(303);
  });

  it('still refuses a response with no signature at all', async () => {
    const answer = await signIn({ signAssertion: false, signResponse: false });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe('SAML_SIGNATURE_MISSING');
  });

  it('keeps "assertion" and "response-and-assertion" as per-connection options, shown by the lint', async () => {
    try {
      const strict = await api('PATCH', '/connections/dev', { policy: { wantSigned: 'assertion' } });
      expect(strict.lint.find((l) => l.id === 'signature-requirement')?.message).toContain(
        'Assertion itself',
      );
      const refused = await signIn({ signAssertion: false, signResponse: true });
      expect(refused.status).toBe(400);
      const error = JSON.parse(refused.body).error as { code: string; hint: string };
      expect(error.code).toBe('SAML_SIGNATURE_MISSING');
      expect(error.hint).toContain('policy.wantSigned = "assertion"');

      const both = await api('PATCH', '/connections/dev', {
        policy: { wantSigned: 'response-and-assertion' },
      });
      expect(both.lint.find((l) => l.id === 'signature-requirement')?.message).toContain('both');
      expect((await signIn({ signAssertion: true, signResponse: false })).status).toBe(400);
      expect((await signIn({ signAssertion: true, signResponse: true })).status).toBe(303);
    } finally {
      await api('PATCH', '/connections/dev', { policy: { wantSigned: 'response-or-assertion' } });
    }
  });
});
