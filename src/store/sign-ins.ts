/**
 * A sign-in's writes as separate calls on the replay, user and session stores: the memory adapter of
 * {@link SignInStore}, and what the SP does with a `Stores` that has no `signIns` (memory, or sessions in
 * Redis beside users in a database). The SQLite adapter does the same in one transaction. The replay record
 * comes first either way: it is committed (atomically, by `ReplayCache.remember`) before anything else is
 * written, so a replayed assertion never gets a session.
 */
import type {
  ReplayCache,
  SessionStore,
  SignInStore,
  SignInWrite,
  SignInWritten,
  UserStore,
} from './types.ts';

/**
 * @example
 * ```ts
 * const signIns = stores.signIns ?? sequentialSignIns(stores);
 * const { user, session } = await signIns.record({ user: upsert, session }, now);
 * ```
 */
export function sequentialSignIns(stores: {
  users: UserStore;
  sessions: SessionStore;
  replay: ReplayCache;
}): SignInStore {
  return {
    async record(write: SignInWrite, now: Date): Promise<SignInWritten | 'replayed'> {
      if (write.replay && !(await stores.replay.remember(write.replay.key, write.replay.expiresAt, now))) {
        return 'replayed';
      }
      const before = await stores.users.findByNameId(write.user.connectionId, write.user.nameId);
      const user = await stores.users.upsert(write.user, now);
      const session = { ...write.session, userId: user.id };
      await stores.sessions.create(session);
      return { before, user, session };
    },
  };
}
