/**
 * Issue #14 "Done when", end to end: alice signs in over SAML through the embedded dev IdP; SCIM groups show in
 * /me without a new sign-in; a SCIM PATCH active:false ends her live session at once (/me 401 within a second)
 * and refuses her next sign-in with SAML_USER_DEPROVISIONED; reactivation restores sign-in; DELETE does what
 * deactivation does. The SCIM user and the SAML user are one record (one id) whichever came first.
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

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** SP-initiated sign-in at the dev IdP; returns the ACS answer (303 on success). */
async function signIn(b: TestBrowser, username: string) {
  const start = await b.get(`${c.t.baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  const loginPage = await b.follow(start);
  const answer = await b.submit(parseForm(loginPage), { username, password: `${username}-pass` });
  expect(answer.status).toBe(200);
  const acsForm = parseForm(answer);
  return b.post(acsForm.action, acsForm.fields, { accept: 'application/json' });
}

async function me(b: TestBrowser) {
  const page = await b.get(`${c.t.baseUrl}/me`, { accept: 'application/json' });
  return { status: page.status, json: JSON.parse(page.body) as Record<string, unknown> };
}

function expectRefused(answer: { status: number; body: string; headers: Headers }, code: string) {
  expect(answer.status).toBe(403);
  const body = JSON.parse(answer.body) as { error: { code: string; hint: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.hint).toMatch(/reactivate/i);
  expect(answer.headers.getSetCookie().some((cookie) => cookie.startsWith('saml_sp_session='))).toBe(false);
}

describe('SCIM deprovisioning reaches SAML sessions', () => {
  let aliceId: string;
  let groupId: string;

  it('a user provisioned first and signing in later is one user: same id, SCIM groups in /me', async () => {
    const created = await c.call('POST', '/Users', {
      body: {
        userName: 'Alice@Example.com',
        emails: [{ value: 'alice@example.com', primary: true }],
        active: true,
      },
    });
    expect(created.status).toBe(201);
    aliceId = created.json.id as string;
    const group = await c.call('POST', '/Groups', {
      body: { displayName: 'scim-engineering', members: [{ value: aliceId }] },
    });
    groupId = group.json.id as string;

    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    const mine = await me(b);
    expect(mine.status).toBe(200);
    // NameID alice@example.com met userName Alice@Example.com case-insensitively.
    expect(mine.json.id).toBe(aliceId);
    // The directory pushes groups, so its groups replace the asserted ones (engineering, admins).
    expect(mine.json.groups).toEqual(['scim-engineering']);
  });

  it('group changes over SCIM show in /me at once, without a new sign-in; active:false ends the session within a second', async () => {
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    const second = await c.call('POST', '/Groups', { body: { displayName: 'scim-oncall', members: [] } });
    await c.call('PATCH', `/Groups/${second.json.id}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: aliceId }] }],
      },
    });
    expect((await me(b)).json.groups).toEqual(['scim-engineering', 'scim-oncall']);
    await c.call('PATCH', `/Groups/${groupId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${aliceId}"]` }] },
    });
    expect((await me(b)).json.groups).toEqual(['scim-oncall']);

    const sessionsBefore = await c.t.server.stores.sessions.findByNameId(
      'dev',
      'alice@example.com',
      undefined,
      new Date(),
    );
    expect(sessionsBefore.length).toBeGreaterThanOrEqual(1);
    const started = Date.now();
    // Entra ID's form: capitalised op, the boolean as a string.
    const off = await c.call('PATCH', `/Users/${aliceId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(off.status).toBe(200);
    expect(off.json.active).toBe(false);
    expect((await me(b)).status).toBe(401);
    expect(Date.now() - started).toBeLessThan(1000);
    // Ended in the session registry itself, not only hidden: every session of hers is gone.
    expect(
      await c.t.server.stores.sessions.findByNameId('dev', 'alice@example.com', undefined, new Date()),
    ).toEqual([]);

    expectRefused(await signIn(new TestBrowser(), 'alice'), 'SAML_USER_DEPROVISIONED');

    // Recorded in the audit log under the SCIM token that did it.
    const audit = await c.admin('GET', '/audit?limit=200');
    const entries = JSON.stringify(audit.json);
    expect(entries).toContain('scim.user.deactivated');
    expect(entries).toContain('"kind":"scim-token"');
  });

  it('reactivation restores sign-in', async () => {
    const on = await c.call('PATCH', `/Users/${aliceId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] },
    });
    expect(on.json.active).toBe(true);
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    expect((await me(b)).json.id).toBe(aliceId);
  });

  it('PUT active:false deprovisions too', async () => {
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    const current = await c.call('GET', `/Users/${aliceId}`);
    const put = await c.call('PUT', `/Users/${aliceId}`, { body: { ...current.json, active: false } });
    expect(put.status).toBe(200);
    expect((await me(b)).status).toBe(401);
    expectRefused(await signIn(new TestBrowser(), 'alice'), 'SAML_USER_DEPROVISIONED');
    await c.call('PATCH', `/Users/${aliceId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] },
    });
  });

  it('a user who signed in first keeps their id when SCIM provisions them; DELETE ends the session and refuses sign-in', async () => {
    const b = new TestBrowser();
    expect((await signIn(b, 'bob')).status).toBe(303);
    const before = await me(b);
    // Not (yet) a user of the directory: JIT as before, with the asserted groups.
    expect(before.json.groups).toEqual(['sales']);

    const created = await c.call('POST', '/Users', { body: { userName: 'bob@example.com' } });
    expect(created.json.id).toBe(before.json.id);
    // Now the directory knows him, and he is in none of its groups.
    expect((await me(b)).json.groups).toEqual([]);

    expect((await c.call('DELETE', `/Users/${created.json.id}`)).status).toBe(204);
    expect((await me(b)).status).toBe(401);
    expect((await c.call('GET', `/Users/${created.json.id}`)).status).toBe(404);
    expectRefused(await signIn(new TestBrowser(), 'bob'), 'SAML_USER_DEPROVISIONED');

    // Provisioned again (a new POST replaces the tombstone): sign-in works again.
    const again = await c.call('POST', '/Users', { body: { userName: 'bob@example.com' } });
    expect(again.status).toBe(201);
    expect((await signIn(new TestBrowser(), 'bob')).status).toBe(303);
  });
});
