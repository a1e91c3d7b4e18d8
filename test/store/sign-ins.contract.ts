/** The SignInStore contract: a sign-in's user upsert and session, written as one unit. */
import { describe, expect, it } from 'vitest';
import type {
  ReplayCache,
  SessionStore,
  SignInStore,
  SignInWrite,
  SignInWritten,
  UserStore,
} from '../../src/store/types.ts';
import { at, buildSession, buildUser, type Factory, useStore } from './harness.ts';

export interface SignInStores {
  signIns: SignInStore;
  users: UserStore;
  sessions: SessionStore;
  replay: ReplayCache;
}

/**
 * `atomic`: the adapter writes the user and the session in one transaction (SQLite, PostgreSQL), so a failed
 * session write leaves no user. `replayInTransaction`: the replay record is part of that transaction too (SQLite).
 */
export function signInStoreContract(
  name: string,
  factory: Factory<SignInStores>,
  options: { atomic: boolean; replayInTransaction?: boolean },
): void {
  describe(`SignInStore contract: ${name}`, () => {
    const stores = useStore(factory);
    const sessionOf = (id: string) => {
      const { userId: _, ...session } = buildSession({ id });
      return session;
    };
    /** A sign-in that must have been written (not refused as a replay). */
    const record = async (write: SignInWrite, now: Date): Promise<SignInWritten> => {
      const written = await stores().signIns.record(write, now);
      if (written === 'replayed') throw new Error('unexpectedly refused as a replay');
      return written;
    };

    it('creates the user on a first sign-in and a session for them', async () => {
      const written = await record({ user: buildUser(), session: sessionOf('s1') }, at(0));
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
      const first = await record({ user: buildUser(), session: sessionOf('s1') }, at(0));
      const second = await record(
        { user: buildUser({ email: 'alice@new.test', groups: ['ops'] }), session: sessionOf('s2') },
        at(60),
      );
      expect(second.before).toEqual(first.user);
      expect(second.user).toMatchObject({ id: first.user.id, email: 'alice@new.test', groups: ['ops'] });
      expect(second.user.createdAt).toBe(first.user.createdAt);
      expect(await stores().sessions.get('s1', at(61))).toMatchObject({ userId: first.user.id });
      expect(await stores().sessions.get('s2', at(61))).toMatchObject({ userId: first.user.id });
    });

    it('a later sign-in with the same profile moves only the times, and returns the user as it was', async () => {
      const first = await record({ user: buildUser(), session: sessionOf('s1') }, at(0));
      // An id given for an existing user (SCIM) does not replace the stored one, as in the upsert.
      const second = await record(
        { user: buildUser({ id: '6f1c2b9e-6a53-4c8e-9a43-0d7b3f2a1e55' }), session: sessionOf('s2') },
        at(60),
      );
      expect(second.before).toEqual(first.user);
      expect(second.user).toEqual({
        ...first.user,
        updatedAt: at(60).toISOString(),
        lastLoginAt: at(60).toISOString(),
      });
      expect(second.session.userId).toBe(first.user.id);
      expect(await stores().users.get(first.user.id)).toEqual(second.user);
    });

    it('clears a profile field the next assertion drops, and changes nothing else', async () => {
      const first = await record({ user: buildUser(), session: sessionOf('s1') }, at(0));
      const { displayName: _, ...withoutName } = buildUser();
      const second = await record({ user: withoutName, session: sessionOf('s2') }, at(60));
      expect(second.before).toEqual(first.user);
      expect(second.user.displayName).toBeUndefined();
      expect(second.user).toMatchObject({
        id: first.user.id,
        email: 'alice@acme.test',
        groups: ['engineering'],
      });
      expect(await stores().users.get(first.user.id)).toEqual(second.user);
      // The same attributes in another order: written again (a cheaper path may only skip identical text).
      const third = await record(
        {
          user: { ...withoutName, attributes: { groups: ['engineering'], email: ['alice@acme.test'] } },
          session: sessionOf('s3'),
        },
        at(120),
      );
      expect(third.before).toEqual(second.user);
      expect(await stores().users.get(first.user.id)).toEqual(third.user);
    });

    it('reads a session with its user as sessions.get and users.get would (when the adapter can)', async (ctx) => {
      const { signIns, sessions, users } = stores();
      if (!signIns.sessionWithUser) return ctx.skip();
      const written = await record({ user: buildUser(), session: sessionOf('s1') }, at(0));
      // Another user's session beside it: the join must pair each session with its own user.
      const bob = await record(
        { user: buildUser({ nameId: 'bob@acme.test', email: 'bob@acme.test' }), session: sessionOf('s2') },
        at(1),
      );
      const read = await signIns.sessionWithUser('s1', at(2));
      expect(read).toEqual({
        session: await sessions.get('s1', at(2)),
        user: await users.get(written.user.id),
      });
      expect(read).toEqual({ session: written.session, user: written.user });
      expect(await signIns.sessionWithUser('s2', at(2))).toEqual({ session: bob.session, user: bob.user });
      // Unknown, expired (at its expiry: `get` treats it as gone), and a session whose user record is gone.
      expect(await signIns.sessionWithUser('nope', at(2))).toBeUndefined();
      expect(await signIns.sessionWithUser('s1', written.session.expiresAt)).toBeUndefined();
      const { userId: _, ...orphan } = buildSession({ id: 's3' });
      await sessions.create({ ...orphan, userId: 'no-such-user' });
      expect(await signIns.sessionWithUser('s3', at(2))).toEqual({
        session: await sessions.get('s3', at(2)),
        user: undefined,
      });
    });

    it('takes the id it is given for a new user (a SCIM-provisioned one)', async () => {
      const id = '6f1c2b9e-6a53-4c8e-9a43-0d7b3f2a1e55';
      const written = await record({ user: buildUser({ id }), session: sessionOf('s1') }, at(0));
      expect(written.user.id).toBe(id);
      expect(written.session.userId).toBe(id);
    });

    it('records the replay key with the sign-in, and refuses the same key while it lives, writing nothing', async () => {
      const replay = { key: 'assertion:acme:_a1', expiresAt: at(300) };
      const first = await record({ user: buildUser(), session: sessionOf('s1'), replay }, at(0));
      expect(first.session.id).toBe('s1');
      // The key is the replay cache's own: a plain remember sees it.
      expect(await stores().replay.remember(replay.key, at(300), at(1))).toBe(false);
      const again = await stores().signIns.record(
        { user: buildUser({ email: 'mallory@acme.test' }), session: sessionOf('s2'), replay },
        at(10),
      );
      expect(again).toBe('replayed');
      expect(await stores().sessions.get('s2', at(11))).toBeUndefined();
      expect((await stores().users.findByNameId('acme', 'alice@acme.test'))?.email).toBe('alice@acme.test');
      // Once expired, the key may be recorded again (an assertion past NotOnOrAfter is refused by validation).
      const later = await record({ user: buildUser(), session: sessionOf('s3'), replay }, at(301));
      expect(later.session.id).toBe('s3');
    });

    it('refuses a key the replay cache recorded on its own', async () => {
      expect(await stores().replay.remember('assertion:acme:_a2', at(300), at(0))).toBe(true);
      const again = await stores().signIns.record(
        {
          user: buildUser(),
          session: sessionOf('s1'),
          replay: { key: 'assertion:acme:_a2', expiresAt: at(300) },
        },
        at(1),
      );
      expect(again).toBe('replayed');
      expect(await stores().users.findByNameId('acme', 'alice@acme.test')).toBeUndefined();
    });

    it('lets exactly one of two concurrent sign-ins with one replay key through', async () => {
      const replay = { key: 'assertion:acme:_a3', expiresAt: at(300) };
      const results = await Promise.all(
        ['s1', 's2', 's3'].map((id) =>
          stores().signIns.record({ user: buildUser(), session: sessionOf(id), replay }, at(0)),
        ),
      );
      expect(results.filter((r) => r === 'replayed')).toHaveLength(2);
      const live = await Promise.all(['s1', 's2', 's3'].map((id) => stores().sessions.get(id, at(1))));
      expect(live.filter((x) => x !== undefined)).toHaveLength(1);
    });

    it.runIf(options.atomic)('writes nothing when the session cannot be written', async () => {
      const session = { ...sessionOf('s1'), nameId: { value: 'alice@acme.test', format: 10n as never } };
      await expect(stores().signIns.record({ user: buildUser(), session }, at(0))).rejects.toThrow();
      expect(await stores().users.findByNameId('acme', 'alice@acme.test')).toBeUndefined();
      expect(await stores().sessions.get('s1', at(1))).toBeUndefined();
    });

    it.runIf(options.replayInTransaction === true)(
      'does not keep the replay key when the rest of the sign-in fails',
      async () => {
        const session = { ...sessionOf('s1'), nameId: { value: 'alice@acme.test', format: 10n as never } };
        const replay = { key: 'assertion:acme:_a4', expiresAt: at(300) };
        await expect(
          stores().signIns.record({ user: buildUser(), session, replay }, at(0)),
        ).rejects.toThrow();
        expect(await stores().replay.remember(replay.key, at(300), at(1))).toBe(true);
      },
    );
  });
}
