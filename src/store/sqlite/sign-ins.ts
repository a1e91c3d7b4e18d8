/** A sign-in's writes in one SQLite transaction: the user upsert and the session commit together. */
import type { DatabaseSync } from 'node:sqlite';
import type { SignInStore, SignInWrite, SignInWritten } from '../types.ts';
import type { SqliteSessionStore } from './sessions.ts';
import { writeTransaction } from './transaction.ts';
import type { SqliteUserStore } from './users.ts';

/**
 * A SQLite {@link SignInStore} over the user and session stores of the same database. Every statement runs
 * synchronously inside `BEGIN IMMEDIATE ... COMMIT`, so no other request's statement can slip into the
 * transaction (node:sqlite is synchronous; nothing here awaits), and one commit replaces two.
 *
 * @example
 * ```ts
 * const signIns = new SqliteSignInStore(db, new SqliteUserStore(db), new SqliteSessionStore(db));
 * ```
 */
export class SqliteSignInStore implements SignInStore {
  readonly #db: DatabaseSync;
  readonly #users: SqliteUserStore;
  readonly #sessions: SqliteSessionStore;

  constructor(db: DatabaseSync, users: SqliteUserStore, sessions: SqliteSessionStore) {
    this.#db = db;
    this.#users = users;
    this.#sessions = sessions;
  }

  async record(write: SignInWrite, now: Date): Promise<SignInWritten> {
    return writeTransaction(this.#db, () => {
      const before = this.#users.findByNameIdNow(write.user.connectionId, write.user.nameId);
      const user = this.#users.upsertNow(write.user, now);
      const session = { ...write.session, userId: user.id };
      this.#sessions.createNow(session);
      return { before, user, session };
    });
  }
}
