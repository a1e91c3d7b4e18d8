/** Sessions in SQLite, indexed for IdP-initiated logout (connection, NameID value, SessionIndex) and expiry. */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { NameId } from '../../core/types.ts';
import { decodeSessionAuthn, encodeSessionAuthn } from '../authn-columns.ts';
import type { SessionRecord, SessionStore } from '../types.ts';
import { date, optionalText, text } from './database.ts';

/**
 * A SQLite {@link SessionStore}. `sessionIndexes` undefined or empty matches every live session of the NameID
 * (a LogoutRequest without `<SessionIndex>` ends them all), as in the memory adapter.
 *
 * @example
 * ```ts
 * const sessions = new SqliteSessionStore(db);
 * await sessions.findByNameId('acme', 'alice@example.com', undefined, new Date());
 * ```
 */
export class SqliteSessionStore implements SessionStore {
  readonly #create: StatementSync;
  readonly #get: StatementSync;
  readonly #delete: StatementSync;
  readonly #findAll: StatementSync;
  readonly #findByIndexes: StatementSync;
  readonly #purge: StatementSync;

  constructor(db: DatabaseSync) {
    this.#create = db.prepare(`
      INSERT OR REPLACE INTO sessions
        (id, user_id, connection_id, name_id, name_id_value, session_index, created_at, expires_at, authn)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#get = db.prepare('SELECT * FROM sessions WHERE id = ? AND expires_at > ?');
    this.#delete = db.prepare('DELETE FROM sessions WHERE id = ?');
    this.#findAll = db.prepare(`
      SELECT * FROM sessions WHERE connection_id = ? AND name_id_value = ? AND expires_at > ?
      ORDER BY created_at, id`);
    // The indexes travel as one JSON array: a single prepared statement serves any number of them.
    this.#findByIndexes = db.prepare(`
      SELECT * FROM sessions WHERE connection_id = ? AND name_id_value = ? AND expires_at > ?
        AND session_index IN (SELECT value FROM json_each(?))
      ORDER BY created_at, id`);
    this.#purge = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  }

  async create(session: SessionRecord): Promise<void> {
    this.createNow(session);
  }

  /** {@link create}, synchronously: for a transaction that must not yield (SqliteSignInStore). */
  createNow(session: SessionRecord): void {
    this.#create.run(
      session.id,
      session.userId,
      session.connectionId,
      JSON.stringify(session.nameId),
      session.nameId.value,
      session.sessionIndex ?? null,
      session.createdAt.getTime(),
      session.expiresAt.getTime(),
      encodeSessionAuthn(session.authn),
    );
  }

  async get(id: string, now: Date): Promise<SessionRecord | undefined> {
    const row = this.#get.get(id, now.getTime());
    return row === undefined ? undefined : sessionFromRow(row);
  }

  async delete(id: string): Promise<boolean> {
    return Number(this.#delete.run(id).changes) > 0;
  }

  async findByNameId(
    connectionId: string,
    nameIdValue: string,
    sessionIndexes: string[] | undefined,
    now: Date,
  ): Promise<SessionRecord[]> {
    const rows =
      sessionIndexes === undefined || sessionIndexes.length === 0
        ? this.#findAll.all(connectionId, nameIdValue, now.getTime())
        : this.#findByIndexes.all(connectionId, nameIdValue, now.getTime(), JSON.stringify(sessionIndexes));
    return rows.map(sessionFromRow);
  }

  async purgeExpired(now: Date): Promise<number> {
    return Number(this.#purge.run(now.getTime()).changes);
  }
}

/** A session from its row (`SELECT *`, or the sessions columns of a join under their own names). */
export function sessionFromRow(row: Record<string, SQLOutputValue>): SessionRecord {
  const sessionIndex = optionalText(row.session_index);
  return {
    id: text(row.id),
    userId: text(row.user_id),
    connectionId: text(row.connection_id),
    nameId: JSON.parse(text(row.name_id)) as NameId,
    ...(sessionIndex === undefined ? {} : { sessionIndex }),
    ...decodeSessionAuthn(row.authn),
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
  };
}
