/** The UserStore contract: every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { UserStore } from '../../src/store/types.ts';
import { at, buildUser, type Factory, useStore } from './harness.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function userStoreContract(name: string, factory: Factory<UserStore>): void {
  describe(`UserStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('creates a user on first sign-in with a random UUID', async () => {
      const input = buildUser();
      const user = await store().upsert(input, at(0));
      expect(user.id).toMatch(UUID);
      const {
        connectionId,
        nameId,
        nameIdFormat,
        email,
        firstName,
        lastName,
        displayName,
        groups,
        externalId,
      } = input;
      expect(user).toEqual({
        id: user.id,
        ...{
          connectionId,
          nameId,
          nameIdFormat,
          email,
          firstName,
          lastName,
          displayName,
          groups,
          externalId,
        },
        attributes: input.attributes,
        createdAt: at(0).toISOString(),
        updatedAt: at(0).toISOString(),
        lastLoginAt: at(0).toISOString(),
      });
      expect(await store().get(user.id)).toEqual(user);
      expect(await store().findByNameId('acme', 'alice@acme.test')).toEqual(user);
    });

    it('a later sign-in updates the profile and lastLoginAt, keeping id and createdAt', async () => {
      const first = await store().upsert(buildUser(), at(0));
      const { firstName: _, ...withoutFirstName } = buildUser({
        email: 'alice.l@acme.test',
        groups: ['engineering', 'admins'],
        attributes: { email: ['alice.l@acme.test'] },
      });
      const second = await store().upsert(withoutFirstName, at(3600));
      expect(second.id).toBe(first.id);
      expect(second.createdAt).toBe(at(0).toISOString());
      expect(second.updatedAt).toBe(at(3600).toISOString());
      expect(second.lastLoginAt).toBe(at(3600).toISOString());
      expect(second.email).toBe('alice.l@acme.test');
      expect(second.groups).toEqual(['engineering', 'admins']);
      expect(second.attributes).toEqual({ email: ['alice.l@acme.test'] });
      // The IdP stopped sending it: the stored value goes too, rather than going stale.
      expect('firstName' in second).toBe(false);
      expect(await store().list()).toHaveLength(1);
    });

    it('one user per (connection, NameID): the same email at two connections is two users', async () => {
      const a = await store().upsert(
        buildUser({ connectionId: 'acme', nameId: 'u1', email: 'x@shared.test' }),
        at(0),
      );
      const b = await store().upsert(
        buildUser({ connectionId: 'globex', nameId: 'u1', email: 'x@shared.test' }),
        at(1),
      );
      expect(a.id).not.toBe(b.id);
      expect((await store().list()).map((u) => u.id)).toEqual([a.id, b.id]);
      expect(await store().list({ connectionId: 'globex' })).toEqual([b]);
      expect(await store().findByNameId('acme', 'u1')).toEqual(a);
      expect(await store().findByNameId('globex', 'u1')).toEqual(b);
    });

    it('concurrent first sign-ins of one NameID make one user', async () => {
      const users = await Promise.all([1, 2, 3].map((n) => store().upsert(buildUser(), at(n))));
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
      expect(await store().list()).toHaveLength(1);
    });

    it('unknown ids and NameIDs give undefined; NameIDs are case-sensitive', async () => {
      await store().upsert(buildUser({ nameId: 'Alice' }), at(0));
      expect(await store().get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      expect(await store().findByNameId('acme', 'alice')).toBeUndefined();
      expect(await store().findByNameId('globex', 'Alice')).toBeUndefined();
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const user = await store().upsert(buildUser({ groups: ['a'] }), at(0));
      user.groups.push('injected');
      expect((await store().get(user.id))?.groups).toEqual(['a']);
    });
  });
}
