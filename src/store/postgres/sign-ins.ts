/**
 * A sign-in's writes in one PostgreSQL statement: the user as it was, the user upsert and the session insert
 * are three parts of one `WITH` query, so a sign-in costs one round trip instead of three and commits as one.
 * The replay record, when given, is its own statement before it.
 */
import type { Pool } from 'pg';
import { encodeSessionAuthn } from '../authn-columns.ts';
import type { ReplayCache, SignInStore, SignInWrite, SignInWritten } from '../types.ts';
import { toRecord, USER_COLUMNS, USER_UPSERT, type UserRow, upsertParameters } from './users.ts';

/**
 * A PostgreSQL {@link SignInStore}. Every part of the statement sees the same snapshot, so `before` is the
 * user as it was before this sign-in; the session row takes the id the upsert returned (the foreign key is
 * checked at the end of the statement, when the user exists).
 *
 * @example
 * ```ts
 * const signIns = new PostgresSignInStore(pool, new PostgresReplayCache(pool));
 * ```
 */
export class PostgresSignInStore implements SignInStore {
  readonly #pool: Pool;
  readonly #replay: ReplayCache;

  constructor(pool: Pool, replay: ReplayCache) {
    this.#pool = pool;
    this.#replay = replay;
  }

  async record(write: SignInWrite, now: Date): Promise<SignInWritten | 'replayed'> {
    const { user, session } = write;
    // The replay record first, committed on its own (one more round trip): the atomic INSERT decides between
    // instances, and a replayed assertion leaves without a user write or a session.
    if (write.replay && !(await this.#replay.remember(write.replay.key, write.replay.expiresAt, now))) {
      return 'replayed';
    }
    const { rows } = await this.#pool.query<UserRow & { part: 'before' | 'after' }>(
      `WITH before AS (
         SELECT ${USER_COLUMNS} FROM users WHERE connection_id = $2 AND name_id = $3
       ), up AS (
         ${USER_UPSERT}
       ), session AS (
         INSERT INTO sessions
           (id, user_id, connection_id, name_id, name_id_value, session_index, created_at, expires_at, authn)
         SELECT $13, up.id, $14, $15, $16, $17, $18, $19, $20 FROM up
         ON CONFLICT (id) DO UPDATE SET
           user_id = excluded.user_id, connection_id = excluded.connection_id, name_id = excluded.name_id,
           name_id_value = excluded.name_id_value, session_index = excluded.session_index,
           created_at = excluded.created_at, expires_at = excluded.expires_at, authn = excluded.authn
       )
       SELECT 'after' AS part, ${USER_COLUMNS} FROM up
       UNION ALL
       SELECT 'before' AS part, ${USER_COLUMNS} FROM before`,
      [
        ...upsertParameters(user, now),
        session.id,
        session.connectionId,
        JSON.stringify(session.nameId),
        session.nameId.value,
        session.sessionIndex ?? null,
        session.createdAt,
        session.expiresAt,
        encodeSessionAuthn(session.authn),
      ],
    );
    const after = rows.find((r) => r.part === 'after');
    if (!after) throw new Error('PostgreSQL sign-in upsert returned no user');
    const before = rows.find((r) => r.part === 'before');
    const written = toRecord(after);
    return {
      before: before ? toRecord(before) : undefined,
      user: written,
      session: { ...session, userId: written.id },
    };
  }
}
