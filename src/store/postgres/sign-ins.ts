/**
 * A sign-in's writes in one PostgreSQL statement: the user as it was, the user upsert and the session insert
 * are three parts of one `WITH` query, so a sign-in costs one round trip instead of three and commits as one.
 * The assertion's replay record, when given, is a fourth part, first: the rest writes only when it recorded
 * the key, so a replayed assertion gets no session, and two instances racing with one assertion are
 * serialised by the replay table's primary key (the second waits for the first's commit, then writes nothing).
 */
import type { Pool } from 'pg';
import type { UserRecord } from '../../core/types.ts';
import { encodeSessionAuthn } from '../authn-columns.ts';
import type { SessionRecord, SignInStore, SignInWrite, SignInWritten } from '../types.ts';
import { type PostgresReplayCache, replayInsertSql } from './replay.ts';
import { SESSION_COLUMNS, type SessionRow, sessionFromRow } from './sessions.ts';
import {
  toRecord,
  USER_COLUMNS,
  USER_UPSERT,
  USER_UPSERT_IF_RECORDED,
  type UserRow,
  upsertParameters,
} from './users.ts';

/** The user's columns, renamed `u_<column>` beside the session's in the join of `sessionWithUser`. */
const USER_NAMES = USER_COLUMNS.split(',').map((c) => c.trim()) as (keyof UserRow)[];
const JOINED_USER_COLUMNS = USER_NAMES.map((c) => `u.${c} AS u_${c}`).join(', ');
const JOINED_SESSION_COLUMNS = SESSION_COLUMNS.split(',')
  .map((c) => `s.${c.trim()}`)
  .join(', ');

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
  readonly #replay: PostgresReplayCache;

  constructor(pool: Pool, replay: PostgresReplayCache) {
    this.#pool = pool;
    this.#replay = replay;
  }

  async record(write: SignInWrite, now: Date): Promise<SignInWritten | 'replayed'> {
    const { user, session, replay } = write;
    if (replay) await this.#replay.sweepIfDue(now);
    // With a replay key, the statement starts by recording it; the upsert (and so the session, which takes
    // the upserted id) writes only when that part returned a row. One statement: one round trip, one commit.
    const parameters: unknown[] = [
      ...upsertParameters(user, now),
      session.id,
      session.connectionId,
      JSON.stringify(session.nameId),
      session.nameId.value,
      session.sessionIndex ?? null,
      session.createdAt,
      session.expiresAt,
      encodeSessionAuthn(session.authn),
    ];
    // The replay part's parameters come after the user's and the session's.
    const replayPart = replay ? `replay AS (${replayInsertSql(parameters.length + 1)} RETURNING 1), ` : '';
    if (replay) parameters.push(replay.key, replay.expiresAt, now);
    const { rows } = await this.#pool.query<UserRow & { part: 'before' | 'after' }>(
      `WITH ${replayPart}before AS (
         SELECT ${USER_COLUMNS} FROM users WHERE connection_id = $2 AND name_id = $3
       ), up AS (
         ${replay ? USER_UPSERT_IF_RECORDED : USER_UPSERT}
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
      parameters,
    );
    const after = rows.find((r) => r.part === 'after');
    if (!after) {
      if (replay) return 'replayed';
      throw new Error('PostgreSQL sign-in upsert returned no user');
    }
    const before = rows.find((r) => r.part === 'before');
    const written = toRecord(after);
    return {
      before: before ? toRecord(before) : undefined,
      user: written,
      session: { ...session, userId: written.id },
    };
  }

  /** The session and its user in one round trip (a LEFT JOIN on the user's primary key). */
  async sessionWithUser(
    id: string,
    now: Date,
  ): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined> {
    const { rows } = await this.#pool.query<SessionRow & Record<string, unknown>>(
      `SELECT ${JOINED_SESSION_COLUMNS}, ${JOINED_USER_COLUMNS}
       FROM sessions s LEFT JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.expires_at > $2`,
      [id, now],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    // A LEFT JOIN without a user gives NULL in every user column, its id included.
    const user =
      row.u_id === null
        ? undefined
        : toRecord(Object.fromEntries(USER_NAMES.map((c) => [c, row[`u_${c}`]])) as unknown as UserRow);
    return { session: sessionFromRow(row), user };
  }
}
