/** The SessionStore contract: every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/store/types.ts';
import { at, buildSession, type Factory, useStore } from './harness.ts';

export function sessionStoreContract(name: string, factory: Factory<SessionStore>): void {
  describe(`SessionStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('round-trips a session, NameID qualifiers included', async () => {
      const session = buildSession({
        nameId: {
          value: 'AAF23x',
          format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
          nameQualifier: 'https://idp.acme.test',
          spNameQualifier: 'https://sp.test',
        },
      });
      await store().create(session);
      expect(await store().get(session.id, at(1))).toEqual(session);
    });

    it('round-trips when and how the user authenticated (AuthnInstant, AuthnContextClassRef)', async () => {
      const session = buildSession({
        authn: {
          instant: new Date('2026-03-01T11:59:30.000Z'),
          contextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
        },
      });
      await store().create(session);
      expect(await store().get(session.id, at(1))).toEqual(session);
      const plain = buildSession();
      await store().create(plain);
      expect(await store().get(plain.id, at(1))).not.toHaveProperty('authn');
    });

    it('keeps sessionIndex absent when the IdP sent none', async () => {
      const { sessionIndex: _, ...withoutIndex } = buildSession();
      await store().create(withoutIndex);
      const read = await store().get(withoutIndex.id, at(1));
      expect(read).toEqual(withoutIndex);
      expect(read !== undefined && 'sessionIndex' in read).toBe(false);
    });

    it('an expired session is not returned (expiresAt is exclusive)', async () => {
      const session = buildSession({ expiresAt: at(100) });
      await store().create(session);
      expect(await store().get(session.id, at(99))).toBeDefined();
      expect(await store().get(session.id, at(100))).toBeUndefined();
    });

    it('delete reports whether there was a session', async () => {
      const session = buildSession();
      await store().create(session);
      expect(await store().delete(session.id)).toBe(true);
      expect(await store().delete(session.id)).toBe(false);
      expect(await store().get(session.id, at(1))).toBeUndefined();
    });

    describe('findByNameId across several sessions', () => {
      const alice = { value: 'alice@acme.test' };
      const s1 = buildSession({ id: 's1', nameId: alice, sessionIndex: '_idx-1', createdAt: at(1) });
      const s2 = buildSession({ id: 's2', nameId: alice, sessionIndex: '_idx-2', createdAt: at(2) });
      const { sessionIndex: _, ...s3 } = buildSession({ id: 's3', nameId: alice, createdAt: at(3) });
      const others = [
        buildSession({ id: 'bob', nameId: { value: 'bob@acme.test' }, sessionIndex: '_idx-1' }),
        buildSession({ id: 'other-conn', connectionId: 'globex', nameId: alice, sessionIndex: '_idx-1' }),
        buildSession({ id: 'expired', nameId: alice, sessionIndex: '_idx-1', expiresAt: at(50) }),
      ];
      const seed = async () => {
        for (const s of [s3, s1, ...others, s2]) await store().create(s);
      };
      const ids = async (indexes: string[] | undefined) =>
        (await store().findByNameId('acme', 'alice@acme.test', indexes, at(60))).map((s) => s.id);

      it('without session indexes: every live session of that NameID on that connection, oldest first', async () => {
        await seed();
        expect(await ids(undefined)).toEqual(['s1', 's2', 's3']);
      });

      it('an empty index list means no filter, like a LogoutRequest without SessionIndex', async () => {
        await seed();
        expect(await ids([])).toEqual(['s1', 's2', 's3']);
      });

      it('with session indexes: only the sessions whose index is listed', async () => {
        await seed();
        expect(await ids(['_idx-2'])).toEqual(['s2']);
        expect(await ids(['_idx-1', '_idx-2'])).toEqual(['s1', 's2']);
        expect(await ids(['_unknown'])).toEqual([]);
      });

      it('returns whole records', async () => {
        await seed();
        expect(await store().findByNameId('acme', 'alice@acme.test', ['_idx-1'], at(60))).toEqual([s1]);
      });
    });

    it('purgeExpired removes only expired sessions and counts them', async () => {
      const live = buildSession({ expiresAt: at(200) });
      await store().create(live);
      await store().create(buildSession({ expiresAt: at(100) }));
      await store().create(buildSession({ expiresAt: at(150) }));
      expect(await store().purgeExpired(at(150))).toBe(2);
      expect(await store().purgeExpired(at(150))).toBe(0);
      expect(await store().get(live.id, at(150))).toEqual(live);
      // Gone for good, not merely hidden: even a clock set back does not bring them back.
      expect(await store().findByNameId('acme', 'alice@acme.test', undefined, at(0))).toEqual([live]);
    });
  });
}
