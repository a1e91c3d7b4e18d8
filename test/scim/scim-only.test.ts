/**
 * Issue #14 item 5: the organization policy `scimOnly` accepts a SAML sign-in only for a user the SCIM
 * directory provisioned (no JIT): an unknown user is refused with SAML_USER_NOT_PROVISIONED, a provisioned one
 * signs in, and turning the policy off restores JIT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { type ScimClient, startScim } from './helpers.ts';

let c: ScimClient;
beforeAll(async () => {
  c = await startScim();
}, 60_000);
afterAll(async () => {
  await c?.close();
});

async function signIn(username: string) {
  const b = new TestBrowser();
  const start = await b.get(`${c.t.baseUrl}/saml/dev/login`);
  const answer = await b.submit(parseForm(await b.follow(start)), { username, password: `${username}-pass` });
  const acsForm = parseForm(answer);
  return b.post(acsForm.action, acsForm.fields, { accept: 'application/json' });
}

describe('policy scimOnly', () => {
  it('refuses users the directory did not provision, admits those it did', async () => {
    const policy = await c.admin('PATCH', '/organizations/dev', { policy: { scimOnly: true } });
    expect(policy.status).toBe(200);
    expect((policy.json as { policy: { scimOnly: boolean } }).policy.scimOnly).toBe(true);

    const refused = await signIn('alice');
    expect(refused.status).toBe(403);
    const body = JSON.parse(refused.body) as { error: { code: string; hint: string } };
    expect(body.error.code).toBe('SAML_USER_NOT_PROVISIONED');
    expect(body.error.hint).toMatch(/SCIM/);
    expect(refused.headers.getSetCookie().some((cookie) => cookie.startsWith('saml_sp_session='))).toBe(
      false,
    );

    expect((await c.call('POST', '/Users', { body: { userName: 'alice@example.com' } })).status).toBe(201);
    expect((await signIn('alice')).status).toBe(303);
    expect((await signIn('bob')).status).toBe(403);

    await c.admin('PATCH', '/organizations/dev', { policy: { scimOnly: false } });
    expect((await signIn('bob')).status).toBe(303);
  });
});
