/**
 * A sign-in's writes as separate calls on the user and session stores: the memory adapter of
 * {@link SignInStore}, and what the SP does with a `Stores` that has no `signIns` (memory, or sessions in
 * Redis beside users in a database). The SQLite and PostgreSQL adapters do the same in one transaction.
 */
import type { SessionStore, SignInStore, SignInWrite, SignInWritten, UserStore } from './types.ts';

/**
 * @example
 * ```ts
 * const signIns = stores.signIns ?? sequentialSignIns(stores);
 * const { user, session } = await signIns.record({ user: upsert, session }, now);
 * ```
 */
export function sequentialSignIns(stores: { users: UserStore; sessions: SessionStore }): SignInStore {
  return {
    async record(write: SignInWrite, now: Date): Promise<SignInWritten> {
      const before = await stores.users.findByNameId(write.user.connectionId, write.user.nameId);
      const user = await stores.users.upsert(write.user, now);
      const session = { ...write.session, userId: user.id };
      await stores.sessions.create(session);
      return { before, user, session };
    },
  };
}
