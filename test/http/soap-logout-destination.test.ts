/**
 * Issue #9, item 7 over HTTP: a back-channel (SOAP) LogoutRequest without Destination is refused with a SOAP
 * fault carrying SAML_DESTINATION_MISMATCH, and the session lives on. Without Destination, a LogoutRequest the
 * IdP signed for another of its SPs (same Issuer, same signing key, often the same email NameID) would end
 * sessions here. A connection whose IdP sends none can opt out (policy.allowSoapLogoutWithoutDestination),
 * and the lint says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: 'test-admin-token' });
});
afterAll(async () => {
  await t?.close();
});

async function signIn(b: TestBrowser): Promise<void> {
  let page = await b.follow(await b.get(`${t.baseUrl}/saml/dev/login?returnTo=/after`));
  let form = parseForm(page);
  if ('password' in form.fields) {
    page = await b.submit(form, { username: 'alice', password: 'alice-pass' });
    form = parseForm(page);
  }
  expect((await b.submit(form)).status).toBe(303);
}

async function meStatus(b: TestBrowser): Promise<number> {
  return (await b.get(`${t.baseUrl}/me`, { accept: 'application/json' })).status;
}

async function soapWithoutDestination() {
  const [dispatch] = await t.server.devIdp!.logoutUser('alice', {
    binding: 'soap',
    overrides: { destination: null },
  });
  if (!dispatch?.soapAnswer) throw new Error('expected the SP’s SOAP answer');
  expect(dispatch.message.binding === 'soap' && dispatch.message.body).not.toContain('Destination=');
  return dispatch.soapAnswer;
}

async function patchPolicy(policy: Record<string, unknown>) {
  const answer = await fetch(`${t.baseUrl}/admin/api/connections/dev`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ policy }),
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as { lint: { id: string; severity: string }[] };
}

describe('back-channel logout Destination (issue #9, item 7)', () => {
  it('refuses a signed SOAP LogoutRequest without Destination, with a SOAP fault, and keeps the session', async () => {
    const b = new TestBrowser();
    await signIn(b);
    const answer = await soapWithoutDestination();
    expect(answer.httpStatus).toBe(500);
    expect(answer.body).toContain('<soap:Fault>');
    expect(answer.body).toContain('<code>SAML_DESTINATION_MISMATCH</code>');
    expect(answer.body).toContain('has no Destination');
    expect(await meStatus(b)).toBe(200);
  });

  it('accepts it when the connection opts out, and the lint flags the opt-out', async () => {
    const view = await patchPolicy({ allowSoapLogoutWithoutDestination: true });
    try {
      expect(view.lint).toContainEqual(
        expect.objectContaining({ id: 'soap-logout-destination-optional', severity: 'warning' }),
      );
      const b = new TestBrowser();
      await signIn(b);
      const answer = await soapWithoutDestination();
      expect(answer.httpStatus).toBe(200);
      expect(answer.response?.statusCodes).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Success']);
      expect(await meStatus(b)).toBe(401);
    } finally {
      const back = await patchPolicy({ allowSoapLogoutWithoutDestination: false });
      expect(back.lint.map((l) => l.id)).not.toContain('soap-logout-destination-optional');
    }
  });
});
