/**
 * Issue #13, item 2: what anonymous traffic can touch. An unsigned POST to an ACS (here a Response that says
 * "RequestDenied" with an attacker's status message) must leave the connection's health and the admin list
 * exactly as they were: nothing a stranger sends may change what an admin sees unless it was signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'trace-admin-token-0123456789abcdef';
const LURE = 'Your account is locked. Call +1 555 0100 <b>now</b>';
/** The budget of unverified traces per connection and minute, small so that the flood below exceeds it. */
const BUDGET = 20;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, TRACE_UNVERIFIED_PER_MINUTE: String(BUDGET) });
});
afterAll(async () => {
  await t?.close();
});

/** An unsigned Response that an attacker could POST: a denial with text of their choosing. */
function unsignedDenial(acsUrl: string): string {
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${acsUrl}">
<saml:Issuer>https://attacker.example/idp</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>${LURE.replace(/</g, '&lt;')}</samlp:StatusMessage></samlp:Status>
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

async function adminCookie(): Promise<string> {
  const login = await fetch(`${t.baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN }).toString(),
  });
  return (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

async function adminListPage(): Promise<string> {
  return (await fetch(`${t.baseUrl}/admin`, { headers: { cookie: await adminCookie() } })).text();
}

function postAcs(samlResponse: string, accept = 'text/html') {
  return fetch(`${t.baseUrl}/saml/dev/acs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
    body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
  });
}

describe('anonymous traffic', () => {
  it('an unsigned POST to the ACS changes neither the health nor the admin list', async () => {
    const before = await adminHealth();
    const listBefore = await adminListPage();
    const acsUrl = `${t.baseUrl}/saml/dev/acs`;
    for (const samlResponse of [unsignedDenial(acsUrl), 'bm90IFhNTA==', '<garbage']) {
      const answer = await postAcs(samlResponse);
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
    // Identical but for the CSRF token and the relative ages ("3 s ago").
    const stable = (page: string) => page.replace(/value="[^"]+"/g, '').replace(/>\d+ s ago</g, '>');
    expect(stable(listAfter)).toBe(stable(listBefore));
  });

  it("is traced for the admin only: marked unverified, the stranger's text escaped", async () => {
    const acsUrl = `${t.baseUrl}/saml/dev/acs`;
    const answer = await postAcs(unsignedDenial(acsUrl), 'application/json');
    const { traceId } = ((await answer.json()) as { error: { traceId: string } }).error;
    expect(traceId).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    const api = await fetch(`${t.baseUrl}/admin/api/traces/${traceId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const trace = (await api.json()) as Record<string, unknown>;
    expect(trace).toMatchObject({
      traceId,
      verified: false,
      outcome: 'failed',
      errorCode: 'SAML_STATUS_NOT_SUCCESS',
      failedCheck: 'status',
      idpIssuer: 'https://attacker.example/idp',
    });
    expect(String(trace.hint)).toContain('account is locked');
    const page = await (
      await fetch(`${t.baseUrl}/admin/traces/${traceId}`, { headers: { cookie: await adminCookie() } })
    ).text();
    expect(page).toContain('data-unverified');
    expect(page).toContain('account is locked');
    expect(page).toContain('&lt;b&gt;now&lt;/b&gt;');
    expect(page).not.toContain('<b>now</b>');
  });

  it('a flood is traced only within the per-minute budget', async () => {
    const before = (await t.server.traces.list({ connectionId: 'dev', limit: 500 })).length;
    const answers = await Promise.all(Array.from({ length: BUDGET * 3 }, () => postAcs('<garbage')));
    expect(answers.every((a) => a.status === 400)).toBe(true);
    const after = (await t.server.traces.list({ connectionId: 'dev', limit: 500 })).length;
    // This minute's budget was partly used by the tests above: never more than BUDGET in all.
    expect(after).toBeLessThanOrEqual(BUDGET);
    expect(after - before).toBeGreaterThan(0);
  });
});
