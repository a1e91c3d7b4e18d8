/** Sessions in PostgreSQL, indexed for IdP-initiated logout (connection, NameID value, SessionIndex) and expiry. */
import type { Pool } from 'pg';
import type { NameId } from '../../core/types.ts';
import { decodeSessionAuthn, encodeSessionAuthn } from '../authn-columns.ts';
import type { SessionRecord, SessionStore } from '../types.ts';

export interface SessionRow {
  id: string;
  user_id: string;
  connection_id: string;
  name_id: NameId;
  session_index: string | null;
  created_at: Date;
  expires_at: Date;
  authn: string | null;
}

export const SESSION_COLUMNS =
  'id, user_id, connection_id, name_id, session_index, created_at, expires_at, authn';

/**
 * A PostgreSQL {@link SessionStore}. `sessionIndexes` undefined or empty matches every live session of the
 * NameID (a LogoutRequest without `<SessionIndex>` ends them all), as in every adapter.
 *
 * @example
 * ```ts
 * const sessions = new PostgresSessionStore(pool);
 * await sessions.findByNameId('acme', 'alice@example.com', undefined, new Date());
 * ```
 */
export class PostgresSessionStore implements SessionStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async create(session: SessionRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO sessions
         (id, user_id, connection_id, name_id, name_id_value, session_index, created_at, expires_at, authn)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET
         user_id = excluded.user_id, connection_id = excluded.connection_id, name_id = excluded.name_id,
         name_id_value = excluded.name_id_value, session_index = excluded.session_index,
         created_at = excluded.created_at, expires_at = excluded.expires_at, authn = excluded.authn`,
      [
        session.id,
        session.userId,
        session.connectionId,
        JSON.stringify(session.nameId),
        session.nameId.value,
        session.sessionIndex ?? null,
        session.createdAt,
        session.expiresAt,
        encodeSessionAuthn(session.authn),
      ],
    );
  }

  async get(id: string, now: Date): Promise<SessionRecord | undefined> {
    const { rows } = await this.#pool.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1 AND expires_at > $2`,
      [id, now],
    );
    return rows[0] === undefined ? undefined : sessionFromRow(rows[0]);
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM sessions WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async findByNameId(
    connectionId: string,
    nameIdValue: string,
    sessionIndexes: string[] | undefined,
    now: Date,
  ): Promise<SessionRecord[]> {
    const all = sessionIndexes === undefined || sessionIndexes.length === 0;
    const { rows } = await this.#pool.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE connection_id = $1 AND name_id_value = $2 AND expires_at > $3
         ${all ? '' : 'AND session_index = ANY($4::text[])'}
       ORDER BY created_at, seq`,
      all ? [connectionId, nameIdValue, now] : [connectionId, nameIdValue, now, sessionIndexes],
    );
    return rows.map(sessionFromRow);
  }

  async purgeExpired(now: Date): Promise<number> {
    const { rowCount } = await this.#pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now]);
    return rowCount ?? 0;
  }
}

/** A session from its row (the columns of {@link SESSION_COLUMNS}). */
export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    connectionId: row.connection_id,
    nameId: row.name_id,
    ...(row.session_index === null ? {} : { sessionIndex: row.session_index }),
    ...decodeSessionAuthn(row.authn),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
