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
  readonly #findForSignIn: StatementSync;
  readonly #touch: StatementSync;
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
    this.#findForSignIn = db.prepare('SELECT rowid, * FROM users WHERE connection_id = ? AND name_id = ?');
    // Only the two times: no indexed column is assigned, so only the row's own page is written.
    this.#touch = db.prepare('UPDATE users SET updated_at = ?, last_login_at = ? WHERE rowid = ?');
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

  /**
   * A sign-in's read and write of its user, synchronously (inside SqliteSignInStore's transaction): the user as
   * it was (undefined for a first sign-in) and as it is now. The usual sign-in brings the same profile as the
   * last one: the row is then kept and only its times move (one row page written, no index touched, nothing
   * parsed twice). A new user or a changed profile takes {@link upsertNow}, with the same result as before.
   */
  signInNow(user: UserUpsert, now: Date): { before: UserRecord | undefined; user: UserRecord } {
    const row = this.#findForSignIn.get(user.connectionId, user.nameId);
    if (row === undefined) return { before: undefined, user: this.upsertNow(user, now) };
    const before = toRecord(row);
    if (!sameProfile(row, user)) return { before, user: this.upsertNow(user, now) };
    const at = now.toISOString();
    this.#touch.run(at, at, row.rowid ?? null);
    return { before, user: { ...before, updatedAt: at, lastLoginAt: at } };
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
    return rows.map((row) => toRecord(row));
  }
}

/** Whether the upsert would write the stored row's profile columns unchanged (the times aside). */
function sameProfile(row: Record<string, SQLOutputValue>, user: UserUpsert): boolean {
  return (
    row.name_id_format === (user.nameIdFormat ?? null) &&
    row.email === (user.email ?? null) &&
    row.first_name === (user.firstName ?? null) &&
    row.last_name === (user.lastName ?? null) &&
    row.display_name === (user.displayName ?? null) &&
    row.external_id === (user.externalId ?? null) &&
    row.groups === JSON.stringify(user.groups) &&
    row.attributes === JSON.stringify(user.attributes)
  );
}

/** The users table's columns, in the order `SELECT *` returns them. */
export const USER_COLUMNS = [
  'id',
  'connection_id',
  'name_id',
  'name_id_format',
  'email',
  'first_name',
  'last_name',
  'display_name',
  'groups',
  'external_id',
  'attributes',
  'created_at',
  'updated_at',
  'last_login_at',
] as const;

type UserColumn = (typeof USER_COLUMNS)[number];

/** Where each column is in a row: its own name, or a prefixed alias in a join (see {@link userColumnsAs}). */
type UserColumnNames = Readonly<Record<UserColumn, string>>;

const OWN_NAMES = columnNames('');

function columnNames(prefix: string): UserColumnNames {
  return Object.fromEntries(USER_COLUMNS.map((c) => [c, `${prefix}${c}`])) as UserColumnNames;
}

/**
 * The select list of the users table aliased `table`, each column renamed `prefix` + its name, and the reader
 * of such a row: for a join that reads a user beside another table's row (SqliteSignInStore.sessionWithUser).
 */
export function userColumnsAs(
  table: string,
  prefix: string,
): { select: string; read: (row: Record<string, SQLOutputValue>) => UserRecord | undefined } {
  const names = columnNames(prefix);
  return {
    select: USER_COLUMNS.map((c) => `${table}.${c} AS ${names[c]}`).join(', '),
    // A LEFT JOIN without a user gives NULL in every column, id included.
    read: (row) => (row[names.id] === null ? undefined : toRecord(row, names)),
  };
}

function toRecord(row: Record<string, SQLOutputValue>, names: UserColumnNames = OWN_NAMES): UserRecord {
  const record: UserRecord = {
    id: text(row[names.id]),
    connectionId: text(row[names.connection_id]),
    nameId: text(row[names.name_id]),
    groups: JSON.parse(text(row[names.groups])) as string[],
    attributes: JSON.parse(text(row[names.attributes])) as Record<string, string[]>,
    createdAt: text(row[names.created_at]),
    updatedAt: text(row[names.updated_at]),
    lastLoginAt: text(row[names.last_login_at]),
  };
  // Absent, not undefined, when NULL (exactOptionalPropertyTypes; the record's JSON has no nulls). Assigned
  // one by one: this runs at every sign-in and every /me, where an entries/assign loop showed in the profile.
  const nameIdFormat = optionalText(row[names.name_id_format]);
  if (nameIdFormat !== undefined) record.nameIdFormat = nameIdFormat;
  const email = optionalText(row[names.email]);
  if (email !== undefined) record.email = email;
  const firstName = optionalText(row[names.first_name]);
  if (firstName !== undefined) record.firstName = firstName;
  const lastName = optionalText(row[names.last_name]);
  if (lastName !== undefined) record.lastName = lastName;
  const displayName = optionalText(row[names.display_name]);
  if (displayName !== undefined) record.displayName = displayName;
  const externalId = optionalText(row[names.external_id]);
  if (externalId !== undefined) record.externalId = externalId;
  return record;
}
