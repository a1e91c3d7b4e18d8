/**
 * Issue #13, item 2: what anonymous traffic can touch. An unsigned POST to an ACS (here a Response that says
 * "RequestDenied" with an attacker's status message) must leave the connection's health and the admin list
 * exactly as they were: nothing a stranger sends may change what an admin sees unless it was signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'trace-admin-token-0123456789abcdef';
const LURE = 'Your account is locked. Call +1 555 0100';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

/** An unsigned Response that an attacker could POST: a denial with text of their choosing. */
function unsignedDenial(acsUrl: string): string {
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${acsUrl}">
<saml:Issuer>https://attacker.example/idp</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>${LURE}</samlp:StatusMessage></samlp:Status>
</samlp:Response>`;
  return Buffer.from(xml).toString('base64');
}

async function adminHealth() {
  const answer = await fetch(`${t.baseUrl}/admin/api/connections/dev`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { health: Record<string, unknown> }).health;
}

async function adminListPage(): Promise<string> {
  const login = await fetch(`${t.baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN }).toString(),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return (await fetch(`${t.baseUrl}/admin`, { headers: { cookie } })).text();
}

describe('anonymous traffic', () => {
  it('an unsigned POST to the ACS changes neither the health nor the admin list', async () => {
    const before = await adminHealth();
    const listBefore = await adminListPage();
    const acsUrl = `${t.baseUrl}/saml/dev/acs`;
    for (const samlResponse of [unsignedDenial(acsUrl), 'bm90IFhNTA==', '<garbage']) {
      const answer = await fetch(acsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
      });
      expect(answer.status).toBe(400);
      // The end-user page never repeats the stranger's text either.
      expect(await answer.text()).not.toContain('account is locked');
    }
    const after = await adminHealth();
    expect(after).toEqual(before);
    expect(after.status).toBe('ok');
    expect(after.lastFailure).toBeNull();
    const listAfter = await adminListPage();
    expect(listAfter).not.toContain('account is locked');
    expect(listAfter).not.toContain('Needs attention');
    expect(listAfter.replace(/value="[^"]+"/g, '')).toBe(listBefore.replace(/value="[^"]+"/g, ''));
  });
});
