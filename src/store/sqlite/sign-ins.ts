/**
 * A sign-in's writes in one SQLite transaction: the replay record, the user upsert and the session commit
 * together (one durable commit per sign-in instead of two). And the read every later request makes: the session
 * with its user, in one statement.
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { UserRecord } from '../../core/types.ts';
import type { SessionRecord, SignInStore, SignInWrite, SignInWritten } from '../types.ts';
import { counterColumns, offerCounters } from './change-counters.ts';
import type { SqliteReplayCache } from './replay.ts';
import { type SqliteSessionStore, sessionFromRow } from './sessions.ts';
import { writeTransaction } from './transaction.ts';
import { type SqliteUserStore, userColumnsAs } from './users.ts';

/** The user's columns in the session join, renamed so that none collides with a session column (`user_id`). */
const JOINED_USER = userColumnsAs('u', 'u_');
/** The change counters' columns in the session read, renamed likewise. */
const COUNTERS = 'cc_';

/**
 * A SQLite {@link SignInStore} over the replay, user and session stores of the same database. Every statement
 * runs synchronously inside `BEGIN IMMEDIATE ... COMMIT`, so no other request's statement can slip into the
 * transaction (node:sqlite is synchronous; nothing here awaits), and one commit replaces three. The replay
 * INSERT comes first: IMMEDIATE holds the write lock from BEGIN, so another instance on the same file that
 * holds the same assertion waits, then sees the committed key and is refused; a key already recorded ends the
 * transaction with nothing written.
 *
 * @example
 * ```ts
 * const signIns = new SqliteSignInStore(db, new SqliteUserStore(db), new SqliteSessionStore(db), new SqliteReplayCache(db));
 * ```
 */
export class SqliteSignInStore implements SignInStore {
  readonly #db: DatabaseSync;
  readonly #users: SqliteUserStore;
  readonly #sessions: SqliteSessionStore;
  readonly #replay: SqliteReplayCache;
  readonly #sessionWithUser: StatementSync;

  constructor(
    db: DatabaseSync,
    users: SqliteUserStore,
    sessions: SqliteSessionStore,
    replay: SqliteReplayCache,
  ) {
    this.#db = db;
    this.#users = users;
    this.#sessions = sessions;
    this.#replay = replay;
    // One row always (the counters), with the session and its user when there is a live one. The counters ride
    // along for the rest of the request: a session read is followed by "has the connection (or the SCIM
    // directory) changed?" (src/scim/linking.ts), which then needs no read transaction of its own.
    this.#sessionWithUser = db.prepare(`
      SELECT ${counterColumns(COUNTERS)}, s.*, ${JOINED_USER.select}
      FROM (SELECT 1) LEFT JOIN sessions s ON s.id = ? AND s.expires_at > ?
      LEFT JOIN users u ON u.id = s.user_id`);
  }

  /**
   * One statement for what `sessions.get` and `users.get` would read (two point lookups by primary key), and
   * the change counters for the request's snapshot (`offerCounters`).
   */
  async sessionWithUser(
    id: string,
    now: Date,
  ): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined> {
    const row: Record<string, SQLOutputValue> | undefined = this.#sessionWithUser.get(id, now.getTime());
    if (row === undefined) return undefined;
    offerCounters(this.#db, row, COUNTERS);
    return row.id === null ? undefined : { session: sessionFromRow(row), user: JOINED_USER.read(row) };
  }

  async record(write: SignInWrite, now: Date): Promise<SignInWritten | 'replayed'> {
    return writeTransaction(this.#db, () => {
      const { replay } = write;
      // Nothing written yet: the COMMIT of an empty transaction is a no-op.
      if (replay && !this.#replay.rememberNow(replay.key, replay.expiresAt, now)) return 'replayed';
      const { before, user } = this.#users.signInNow(write.user, now);
      const session = { ...write.session, userId: user.id };
      this.#sessions.createNow(session);
      return { before, user, session };
    });
  }
}
