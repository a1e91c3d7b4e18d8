/** Users in PostgreSQL, unique per (connection_id, name_id). */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { UserRecord } from '../../core/types.ts';
import type { UserStore, UserUpsert } from '../types.ts';

export interface UserRow {
  id: string;
  connection_id: string;
  name_id: string;
  name_id_format: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  groups: string[];
  external_id: string | null;
  attributes: Record<string, string[]>;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date;
}

export const USER_COLUMNS = `id, connection_id, name_id, name_id_format, email, first_name, last_name, display_name, groups,
  external_id, attributes, created_at, updated_at, last_login_at`;

/**
 * A PostgreSQL {@link UserStore}. The upsert is one `INSERT ... ON CONFLICT (connection_id, name_id) DO UPDATE
 * ... RETURNING` statement, so first sign-ins racing for one NameID (from any number of instances) make one
 * user, and a later sign-in keeps `id` and `createdAt`. Profile fields are replaced by the latest assertion's
 * (a dropped one is cleared).
 *
 * @example
 * ```ts
 * const users = new PostgresUserStore(pool);
 * const user = await users.upsert({ connectionId: 'acme', nameId: 'alice', groups: [], attributes: {} }, new Date());
 * ```
 */
export class PostgresUserStore implements UserStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async upsert(user: UserUpsert, now: Date): Promise<UserRecord> {
    const { rows } = await this.#pool.query<UserRow>(USER_UPSERT, upsertParameters(user, now));
    const row = rows[0];
    if (row === undefined) throw new Error('PostgreSQL upsert returned no row');
    return toRecord(row);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const { rows } = await this.#pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async findByNameId(connectionId: string, nameId: string): Promise<UserRecord | undefined> {
    const { rows } = await this.#pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE connection_id = $1 AND name_id = $2`,
      [connectionId, nameId],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /** In creation order (`seq`: an upsert's UPDATE keeps the row, and so its place). */
  async list(options: { connectionId?: string } = {}): Promise<UserRecord[]> {
    const { rows } =
      options.connectionId === undefined
        ? await this.#pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY seq`)
        : await this.#pool.query<UserRow>(
            `SELECT ${USER_COLUMNS} FROM users WHERE connection_id = $1 ORDER BY seq`,
            [options.connectionId],
          );
    return rows.map(toRecord);
  }
}

/**
 * The user upsert on its parameters $1..$12 ({@link upsertParameters}), returning the row: the user store's
 * statement, and a part of the sign-in statement (sign-ins.ts).
 */
export const USER_UPSERT = userUpsert('VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12)');

/**
 * {@link USER_UPSERT} that writes only when the sign-in statement's `replay` part returned a row (the
 * assertion was recorded now): a replayed assertion's statement changes no user.
 */
export const USER_UPSERT_IF_RECORDED = userUpsert(
  'SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12 WHERE EXISTS (SELECT 1 FROM replay)',
);

function userUpsert(rows: string): string {
  return `INSERT INTO users (id, connection_id, name_id, name_id_format, email, first_name, last_name,
                     display_name, groups, external_id, attributes, created_at, updated_at, last_login_at)
  ${rows}
  ON CONFLICT (connection_id, name_id) DO UPDATE SET
    name_id_format = excluded.name_id_format, email = excluded.email, first_name = excluded.first_name,
    last_name = excluded.last_name, display_name = excluded.display_name, groups = excluded.groups,
    external_id = excluded.external_id, attributes = excluded.attributes,
    updated_at = excluded.updated_at, last_login_at = excluded.last_login_at
  RETURNING ${USER_COLUMNS}`;
}

/** The parameters $1..$12 of the user upsert (users.ts and the sign-in statement in sign-ins.ts). */
export function upsertParameters(user: UserUpsert, now: Date): unknown[] {
  return [
    user.id ?? randomUUID(),
    user.connectionId,
    user.nameId,
    user.nameIdFormat ?? null,
    user.email ?? null,
    user.firstName ?? null,
    user.lastName ?? null,
    user.displayName ?? null,
    JSON.stringify(user.groups),
    user.externalId ?? null,
    JSON.stringify(user.attributes),
    now,
  ];
}

export function toRecord(row: UserRow): UserRecord {
  const record: UserRecord = {
    id: row.id,
    connectionId: row.connection_id,
    nameId: row.name_id,
    groups: row.groups,
    attributes: row.attributes,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    lastLoginAt: row.last_login_at.toISOString(),
  };
  const optional = {
    nameIdFormat: row.name_id_format,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    displayName: row.display_name,
    externalId: row.external_id,
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== null) Object.assign(record, { [field]: value });
  }
  return record;
}
