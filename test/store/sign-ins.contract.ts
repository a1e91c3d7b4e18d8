/** The SignInStore contract: a sign-in's user upsert and session, written as one unit. */
import { describe, expect, it } from 'vitest';
import type { SessionStore, SignInStore, UserStore } from '../../src/store/types.ts';
import { at, buildSession, buildUser, type Factory, useStore } from './harness.ts';

export interface SignInStores {
  signIns: SignInStore;
  users: UserStore;
  sessions: SessionStore;
}

/** `atomic`: the adapter writes in one transaction (SQLite, PostgreSQL), so a failed session write leaves no user. */
export function signInStoreContract(
  name: string,
  factory: Factory<SignInStores>,
  options: { atomic: boolean },
): void {
  describe(`SignInStore contract: ${name}`, () => {
    const stores = useStore(factory);
    const sessionOf = (id: string) => {
      const { userId: _, ...session } = buildSession({ id });
      return session;
    };

    it('creates the user on a first sign-in and a session for them', async () => {
      const written = await stores().signIns.record({ user: buildUser(), session: sessionOf('s1') }, at(0));
      expect(written.before).toBeUndefined();
      expect(written.user).toMatchObject({
        connectionId: 'acme',
        nameId: 'alice@acme.test',
        email: 'alice@acme.test',
      });
      expect(written.session).toMatchObject({ id: 's1', userId: written.user.id });
      expect(await stores().users.get(written.user.id)).toEqual(written.user);
      expect(await stores().sessions.get('s1', at(1))).toEqual(written.session);
    });

    it('returns the user as it was before a later sign-in, and keeps the id', async () => {
      const first = await stores().signIns.record({ user: buildUser(), session: sessionOf('s1') }, at(0));
      const second = await stores().signIns.record(
        { user: buildUser({ email: 'alice@new.test', groups: ['ops'] }), session: sessionOf('s2') },
        at(60),
      );
      expect(second.before).toEqual(first.user);
      expect(second.user).toMatchObject({ id: first.user.id, email: 'alice@new.test', groups: ['ops'] });
      expect(second.user.createdAt).toBe(first.user.createdAt);
      expect(await stores().sessions.get('s1', at(61))).toMatchObject({ userId: first.user.id });
      expect(await stores().sessions.get('s2', at(61))).toMatchObject({ userId: first.user.id });
    });

    it('takes the id it is given for a new user (a SCIM-provisioned one)', async () => {
      const id = '6f1c2b9e-6a53-4c8e-9a43-0d7b3f2a1e55';
      const written = await stores().signIns.record(
        { user: buildUser({ id }), session: sessionOf('s1') },
        at(0),
      );
      expect(written.user.id).toBe(id);
      expect(written.session.userId).toBe(id);
    });

    it.runIf(options.atomic)('writes nothing when the session cannot be written', async () => {
      const session = { ...sessionOf('s1'), nameId: { value: 'alice@acme.test', format: 10n as never } };
      await expect(stores().signIns.record({ user: buildUser(), session }, at(0))).rejects.toThrow();
      expect(await stores().users.findByNameId('acme', 'alice@acme.test')).toBeUndefined();
      expect(await stores().sessions.get('s1', at(1))).toBeUndefined();
    });
  });
}
