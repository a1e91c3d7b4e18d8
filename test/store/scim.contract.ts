/** The ScimStore contract (issue #14): every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { ScimGroupRow, ScimStore, ScimUserRow } from '../../src/store/types.ts';
import { at, type Factory, useStore } from './harness.ts';

let n = 0;
function user(overrides: Partial<ScimUserRow> = {}): ScimUserRow {
  n++;
  return {
    id: `u-${n}`,
    organizationId: 'acme',
    userName: `user${n}@acme.test`,
    active: true,
    deleted: false,
    resource: {
      userName: `user${n}@acme.test`,
      emails: [{ value: `User${n}@Mail.acme.test`, primary: true }],
    },
    email: `User${n}@Mail.acme.test`,
    version: 1,
    createdAt: at(n),
    updatedAt: at(n),
    ...overrides,
  };
}

function group(overrides: Partial<ScimGroupRow> = {}): ScimGroupRow {
  n++;
  return {
    id: `g-${n}`,
    organizationId: 'acme',
    displayName: `Group ${n}`,
    members: [],
    version: 1,
    createdAt: at(n),
    updatedAt: at(n),
    ...overrides,
  };
}

export function scimStoreContract(name: string, factory: Factory<ScimStore>): void {
  describe(`ScimStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('stores a user and reads it back by id, by userName (any case) and by externalId', async () => {
      const row = user({ userName: 'Alice@Acme.test', externalId: 'ext-1' });
      expect(await store().insertUser(row)).toBe(true);
      expect(await store().getUser('acme', row.id)).toEqual(row);
      expect(await store().findUserByUserName('acme', 'alice@ACME.TEST')).toEqual(row);
      expect(await store().findUsersByExternalId('acme', 'ext-1')).toEqual([row]);
      expect(await store().findUsersByExternalId('acme', 'EXT-1')).toEqual([]);
    });

    it('scopes everything by organization', async () => {
      const row = user({ userName: 'same@acme.test' });
      await store().insertUser(row);
      expect(await store().getUser('globex', row.id)).toBeUndefined();
      expect(await store().findUserByUserName('globex', 'same@acme.test')).toBeUndefined();
      // The same userName in another organization is another user.
      expect(await store().insertUser(user({ organizationId: 'globex', userName: 'same@acme.test' }))).toBe(
        true,
      );
      expect((await store().listUsers('acme', { offset: 0, limit: 10 })).total).toBe(1);
      expect(await store().purgeUser('globex', row.id)).toBe(false);
    });

    it('refuses a second user with the same userName case-insensitively', async () => {
      await store().insertUser(user({ userName: 'bob@acme.test' }));
      expect(await store().insertUser(user({ userName: 'BOB@acme.test' }))).toBe(false);
    });

    it('updates only from the version it read, and never onto a taken userName', async () => {
      const row = user();
      const other = user();
      await store().insertUser(row);
      await store().insertUser(other);
      const next = { ...row, active: false, version: 2, updatedAt: at(100) };
      expect(await store().updateUser(next)).toBe(true);
      expect(await store().updateUser({ ...row, title: 'x', version: 2 } as ScimUserRow)).toBe(false);
      expect(await store().getUser('acme', row.id)).toEqual(next);
      expect(await store().updateUser({ ...next, userName: other.userName.toUpperCase(), version: 3 })).toBe(
        false,
      );
    });

    it('lists live users in creation order with a total; tombstones are hidden from lists but found for sign-in', async () => {
      const rows = [user(), user(), user()];
      for (const r of rows) await store().insertUser(r);
      const gone = { ...(rows[1] as ScimUserRow), deleted: true, active: false, version: 2 };
      await store().updateUser(gone);
      const page = await store().listUsers('acme', { offset: 1, limit: 5 });
      expect(page.total).toBe(2);
      expect(page.rows.map((r) => r.id)).toEqual([rows[2]?.id]);
      expect(await store().findUserForSignIn('acme', [gone.userName.toUpperCase()])).toEqual(gone);
    });

    it('finds the sign-in user by userName or primary email, preferring a live user to a tombstone', async () => {
      const dead = user({
        userName: 'old@acme.test',
        email: 'carol@acme.test',
        deleted: true,
        active: false,
      });
      dead.resource = { userName: 'old@acme.test', emails: [{ value: 'carol@acme.test', primary: true }] };
      const live = user({ userName: 'carol@acme.test' });
      await store().insertUser(dead);
      await store().insertUser(live);
      expect((await store().findUserForSignIn('acme', ['CAROL@acme.test']))?.id).toBe(live.id);
      const byEmail = user();
      await store().insertUser(byEmail);
      expect(
        (await store().findUserForSignIn('acme', ['nobody', (byEmail.email as string).toLowerCase()]))?.id,
      ).toBe(byEmail.id);
      expect(await store().findUserForSignIn('acme', [])).toBeUndefined();
      expect(await store().findUserForSignIn('globex', ['carol@acme.test'])).toBeUndefined();
    });

    it('the sign-in lookup answers after every write as the directory is now (adapters may keep answers)', async () => {
      const keys = ['dave@acme.test'];
      // Asked before the organization has any user, and asked again: none.
      expect(await store().findUserForSignIn('acme', keys)).toBeUndefined();
      expect(await store().findUserForSignIn('acme', keys)).toBeUndefined();
      const dave = user({ userName: 'dave@acme.test' });
      await store().insertUser(dave);
      expect(await store().findUserForSignIn('acme', keys)).toEqual(dave);
      expect(await store().findUserForSignIn('globex', keys)).toBeUndefined();
      const off = { ...dave, active: false, version: 2 };
      await store().updateUser(off);
      expect(await store().findUserForSignIn('acme', keys)).toEqual(off);
      const gone = { ...off, deleted: true, version: 3 };
      await store().updateUser(gone);
      expect(await store().findUserForSignIn('acme', keys)).toEqual(gone);
      // A group write leaves the answer as it is.
      await store().insertGroup(group({ members: [{ value: dave.id }] }));
      expect(await store().findUserForSignIn('acme', keys)).toEqual(gone);
      await store().purgeUser('acme', dave.id);
      expect(await store().findUserForSignIn('acme', keys)).toBeUndefined();
      // Answers are the caller's to change: a changed copy does not change the next answer.
      await store().insertUser(dave);
      const first = await store().findUserForSignIn('acme', keys);
      if (first) first.resource.active = false;
      expect(await store().findUserForSignIn('acme', keys)).toEqual(dave);
    });

    it('stores groups with members, finds the groups of a member, and keeps displayName unique', async () => {
      const g = group({
        displayName: 'Engineering',
        externalId: 'eg',
        members: [
          { value: 'u-a', type: 'User', display: 'A' },
          { value: 'u-b', type: 'User' },
        ],
      });
      expect(await store().insertGroup(g)).toBe(true);
      expect(await store().insertGroup(group({ displayName: 'ENGINEERING' }))).toBe(false);
      expect(await store().getGroup('acme', g.id)).toEqual(g);
      expect(await store().findGroupByDisplayName('acme', 'engineering')).toEqual(g);
      expect(await store().findGroupsByExternalId('acme', 'eg')).toEqual([g]);
      expect((await store().groupsOfMember('acme', 'u-b')).map((x) => x.id)).toEqual([g.id]);
      const other = group({ members: [{ value: 'u-b', type: 'User' }] });
      await store().insertGroup(other);
      const batch = await store().groupsOfMembers('acme', ['u-a', 'u-b', 'u-none']);
      expect([...batch.keys()].sort()).toEqual(['u-a', 'u-b']);
      expect(batch.get('u-b')?.map((x) => x.id)).toEqual([g.id, other.id]);
      expect((await store().groupsOfMembers('globex', ['u-a'])).size).toBe(0);
      await store().deleteGroup('acme', other.id);
      const next = { ...g, members: [{ value: 'u-a', type: 'User' as const, display: 'A' }], version: 2 };
      expect(await store().updateGroup(next)).toBe(true);
      expect(await store().groupsOfMember('acme', 'u-b')).toEqual([]);
      expect(await store().updateGroup({ ...g, version: 2 })).toBe(false);
      expect((await store().listGroups('acme', { offset: 0, limit: 0 })).total).toBe(1);
      expect(await store().deleteGroup('globex', g.id)).toBe(false);
      expect(await store().deleteGroup('acme', g.id)).toBe(true);
      expect(await store().groupsOfMember('acme', 'u-a')).toEqual([]);
    });

    it('stores tokens by id, lists them per organization, revokes once and records last use', async () => {
      await store().insertToken({
        id: 't1',
        organizationId: 'acme',
        secretHash: 'ab',
        name: 'Okta',
        createdAt: at(0),
      });
      await store().insertToken({ id: 't2', organizationId: 'globex', secretHash: 'cd', createdAt: at(1) });
      expect((await store().listTokens('acme')).map((t) => t.id)).toEqual(['t1']);
      await store().touchToken('t1', at(5));
      expect(await store().revokeToken('t1', at(9))).toBe(true);
      expect(await store().revokeToken('t1', at(10))).toBe(false);
      expect(await store().revokeToken('nope', at(10))).toBe(false);
      expect(await store().getToken('t1')).toEqual({
        id: 't1',
        organizationId: 'acme',
        secretHash: 'ab',
        name: 'Okta',
        createdAt: at(0),
        lastUsedAt: at(5),
        revokedAt: at(9),
      });
    });
  });
}
