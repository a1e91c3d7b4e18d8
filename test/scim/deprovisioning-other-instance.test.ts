/**
 * A user deprovisioned by another instance never signs in here, and their session here ends at its next request,
 * although this instance keeps the directory's answers between requests (src/store/sqlite/scim-sign-ins.ts).
 * The other instance is a worker thread on the same SQLite file (its own connection and module state, as
 * another process): the only thing that reaches this server is the file, through the `scim` change counter.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScimUserRow } from '../../src/store/scim.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { OtherInstance } from '../store/other-instance.ts';
import { type ScimClient, startScim } from './helpers.ts';

let c: ScimClient;
let other: OtherInstance;
beforeAll(async () => {
  c = await startScim();
  other = new OtherInstance(path.join(c.t.dir, 'test.db'));
}, 60_000);
afterAll(async () => {
  await other?.close();
  await c?.close();
});

async function signIn(b: TestBrowser, username: string) {
  const start = await b.get(`${c.t.baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  const loginPage = await b.follow(start);
  const answer = await b.submit(parseForm(loginPage), { username, password: `${username}-pass` });
  const acsForm = parseForm(answer);
  return b.post(acsForm.action, acsForm.fields, { accept: 'application/json' });
}

async function me(b: TestBrowser) {
  const page = await b.get(`${c.t.baseUrl}/me`, { accept: 'application/json' });
  return { status: page.status, json: JSON.parse(page.body) as Record<string, unknown> };
}

function refusedCode(answer: { status: number; body: string }): string | undefined {
  return answer.status === 403
    ? (JSON.parse(answer.body) as { error: { code: string } }).error.code
    : `status ${answer.status}`;
}

describe('SCIM deprovisioning on another instance (one SQLite file)', () => {
  const aliceId = randomUUID();
  const now = new Date();
  /** The other instance changes alice's directory entry (its own connection to the file). */
  const changeAliceThere = (change: { active?: boolean; deleted?: boolean }) =>
    other.edit({ kind: 'scim-user-change', organizationId: 'dev', id: aliceId, change });
  const alice: ScimUserRow = {
    id: aliceId,
    organizationId: 'dev',
    userName: 'alice@example.com',
    email: 'alice@example.com',
    active: true,
    deleted: false,
    resource: {
      userName: 'alice@example.com',
      emails: [{ value: 'alice@example.com', primary: true }],
      active: true,
    },
    version: 1,
    createdAt: now,
    updatedAt: now,
  };

  it('sees a user the other instance provisioned into a directory this one knew as empty', async () => {
    // The organization's directory is empty, and this instance has asked it (bob's sign-in and /me).
    const bob = new TestBrowser();
    expect((await signIn(bob, 'bob')).status).toBe(303);
    expect((await me(bob)).status).toBe(200);
    await other.edit({ kind: 'scim-user', row: alice });
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    expect((await me(b)).json.id).toBe(aliceId);
  });

  it("group changes there show in the session's /me here at once", async () => {
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    // No group in the directory: the asserted groups stay.
    expect((await me(b)).json.groups).toEqual(['engineering', 'admins']);
    const group = {
      id: randomUUID(),
      organizationId: 'dev',
      displayName: 'scim-oncall',
      members: [{ value: aliceId }],
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await other.edit({ kind: 'scim-group', row: group });
    expect((await me(b)).json.groups).toEqual(['scim-oncall']);
    await other.edit({ kind: 'scim-group', row: { ...group, members: [] } });
    expect((await me(b)).json.groups).toEqual([]);
  });

  it('deactivated there: the live session here ends at its next request, the next sign-in is refused', async () => {
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    expect((await me(b)).status).toBe(200);
    expect((await me(b)).status).toBe(200);
    await changeAliceThere({ active: false });
    expect((await me(b)).status).toBe(401);
    expect(refusedCode(await signIn(new TestBrowser(), 'alice'))).toBe('SAML_USER_DEPROVISIONED');
  });

  it('reactivated there: signs in here; deleted there: refused here at once', async () => {
    await changeAliceThere({ active: true });
    const b = new TestBrowser();
    expect((await signIn(b, 'alice')).status).toBe(303);
    expect((await me(b)).status).toBe(200);
    await changeAliceThere({ deleted: true });
    expect((await me(b)).status).toBe(401);
    expect(refusedCode(await signIn(new TestBrowser(), 'alice'))).toBe('SAML_USER_DEPROVISIONED');
  });
});
