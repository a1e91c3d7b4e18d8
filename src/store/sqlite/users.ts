/** Users in SQLite, unique per (connection_id, name_id). */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { UserRecord } from '../../core/types.ts';
import type { UserStore, UserUpsert } from '../types.ts';
import { optionalText, text } from './database.ts';

/**
 * A SQLite {@link UserStore}. The upsert is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement, so
 * two first sign-ins racing for one NameID make one user, and a later sign-in keeps `id` and `createdAt`.
 * Profile fields are replaced by the latest assertion's (a dropped one is cleared).
 *
 * @example
 * ```ts
 * const users = new SqliteUserStore(db);
 * const user = await users.upsert({ connectionId: 'acme', nameId: 'alice', groups: [], attributes: {} }, new Date());
 * ```
 */
export class SqliteUserStore implements UserStore {
  readonly #upsert: StatementSync;
  readonly #get: StatementSync;
  readonly #findByNameId: StatementSync;
  readonly #listAll: StatementSync;
  readonly #listByConnection: StatementSync;

  constructor(db: DatabaseSync) {
    this.#upsert = db.prepare(`
      INSERT INTO users (id, connection_id, name_id, name_id_format, email, first_name, last_name, display_name,
                         groups, external_id, attributes, created_at, updated_at, last_login_at)
      VALUES (:id, :connectionId, :nameId, :nameIdFormat, :email, :firstName, :lastName, :displayName,
              :groups, :externalId, :attributes, :now, :now, :now)
      ON CONFLICT (connection_id, name_id) DO UPDATE SET
        name_id_format = excluded.name_id_format, email = excluded.email, first_name = excluded.first_name,
        last_name = excluded.last_name, display_name = excluded.display_name, groups = excluded.groups,
        external_id = excluded.external_id, attributes = excluded.attributes,
        updated_at = excluded.updated_at, last_login_at = excluded.last_login_at
      RETURNING *`);
    this.#get = db.prepare('SELECT * FROM users WHERE id = ?');
    this.#findByNameId = db.prepare('SELECT * FROM users WHERE connection_id = ? AND name_id = ?');
    // rowid order is insertion order: an upsert's UPDATE keeps the row, so this is creation order.
    this.#listAll = db.prepare('SELECT * FROM users ORDER BY rowid');
    this.#listByConnection = db.prepare('SELECT * FROM users WHERE connection_id = ? ORDER BY rowid');
  }

  async upsert(user: UserUpsert, now: Date): Promise<UserRecord> {
    return this.upsertNow(user, now);
  }

  /** {@link upsert}, synchronously: for a transaction that must not yield (SqliteSignInStore). */
  upsertNow(user: UserUpsert, now: Date): UserRecord {
    const row = this.#upsert.get({
      id: user.id ?? randomUUID(),
      connectionId: user.connectionId,
      nameId: user.nameId,
      nameIdFormat: user.nameIdFormat ?? null,
      email: user.email ?? null,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      displayName: user.displayName ?? null,
      groups: JSON.stringify(user.groups),
      externalId: user.externalId ?? null,
      attributes: JSON.stringify(user.attributes),
      now: now.toISOString(),
    });
    if (row === undefined) throw new Error('SQLite upsert returned no row');
    return toRecord(row);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  async findByNameId(connectionId: string, nameId: string): Promise<UserRecord | undefined> {
    return this.findByNameIdNow(connectionId, nameId);
  }

  /** {@link findByNameId}, synchronously (see upsertNow). */
  findByNameIdNow(connectionId: string, nameId: string): UserRecord | undefined {
    const row = this.#findByNameId.get(connectionId, nameId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** In creation order. */
  async list(options: { connectionId?: string } = {}): Promise<UserRecord[]> {
    const rows =
      options.connectionId === undefined
        ? this.#listAll.all()
        : this.#listByConnection.all(options.connectionId);
    return rows.map(toRecord);
  }
}

function toRecord(row: Record<string, SQLOutputValue>): UserRecord {
  const record: UserRecord = {
    id: text(row.id),
    connectionId: text(row.connection_id),
    nameId: text(row.name_id),
    groups: JSON.parse(text(row.groups)) as string[],
    attributes: JSON.parse(text(row.attributes)) as Record<string, string[]>,
    createdAt: text(row.created_at),
    updatedAt: text(row.updated_at),
    lastLoginAt: text(row.last_login_at),
  };
  const optional = {
    nameIdFormat: optionalText(row.name_id_format),
    email: optionalText(row.email),
    firstName: optionalText(row.first_name),
    lastName: optionalText(row.last_name),
    displayName: optionalText(row.display_name),
    externalId: optionalText(row.external_id),
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(record, { [field]: value });
  }
  return record;
}
