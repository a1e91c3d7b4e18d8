/** The SCIM directory in PostgreSQL (migration 12): users, groups with a member index, tokens. */
import type { Pool, PoolClient } from 'pg';
import {
  type Page,
  primaryEmailOf,
  type ScimGroupRow,
  type ScimMember,
  type ScimStore,
  type ScimTokenRow,
  type ScimUserRow,
} from '../scim.ts';

interface UserRow {
  id: string;
  organization_id: string;
  user_name: string;
  external_id: string | null;
  active: boolean;
  deleted: boolean;
  resource: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface GroupRow {
  id: string;
  organization_id: string;
  display_name: string;
  external_id: string | null;
  members: ScimMember[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface TokenRow {
  id: string;
  organization_id: string;
  secret_hash: string;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const USER_COLUMNS =
  'id, organization_id, user_name, external_id, active, deleted, resource, version, created_at, updated_at';
const GROUP_COLUMNS =
  'g.id, g.organization_id, g.display_name, g.external_id, g.members, g.version, g.created_at, g.updated_at';

/**
 * A PostgreSQL {@link ScimStore}. Uniqueness per organization is the database's (UNIQUE on the lower-cased
 * `*_key` columns), so concurrent POSTs from several instances make one row; group writes replace the member
 * index in the same transaction as the document.
 *
 * @example
 * ```ts
 * const scim = new PostgresScimStore(pool);
 * ```
 */
export class PostgresScimStore implements ScimStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async insertUser(row: ScimUserRow): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO scim_users (id, organization_id, user_name, user_name_key, external_id, email_key, active, deleted,
         resource, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
      [...userValues(row), row.createdAt, row.updatedAt],
    );
    return rowCount === 1;
  }

  async updateUser(row: ScimUserRow): Promise<boolean> {
    try {
      const { rowCount } = await this.#pool.query(
        `UPDATE scim_users SET user_name = $3, user_name_key = $4, external_id = $5, email_key = $6, active = $7,
           deleted = $8, resource = $9, version = $10, updated_at = $11
         WHERE id = $1 AND organization_id = $2 AND version = $10 - 1`,
        [...userValues(row), row.updatedAt],
      );
      return rowCount === 1;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async purgeUser(organizationId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'DELETE FROM scim_users WHERE organization_id = $1 AND id = $2',
      [organizationId, id],
    );
    return rowCount === 1;
  }

  async getUser(organizationId: string, id: string): Promise<ScimUserRow | undefined> {
    return this.#oneUser('organization_id = $1 AND id = $2', [organizationId, id]);
  }

  async findUserByUserName(organizationId: string, userName: string): Promise<ScimUserRow | undefined> {
    return this.#oneUser('organization_id = $1 AND user_name_key = $2', [
      organizationId,
      userName.toLowerCase(),
    ]);
  }

  async findUsersByExternalId(organizationId: string, externalId: string): Promise<ScimUserRow[]> {
    const { rows } = await this.#pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM scim_users WHERE organization_id = $1 AND external_id = $2 AND NOT deleted
       ORDER BY seq`,
      [organizationId, externalId],
    );
    return rows.map(toUser);
  }

  async findUserForSignIn(organizationId: string, keys: string[]): Promise<ScimUserRow | undefined> {
    const lowered = [...new Set(keys.map((k) => k.toLowerCase()))];
    if (lowered.length === 0) return undefined;
    return this.#oneUser(
      'organization_id = $1 AND (user_name_key = ANY($2) OR email_key = ANY($2)) ORDER BY deleted, seq LIMIT 1',
      [organizationId, lowered],
    );
  }

  async listUsers(
    organizationId: string,
    range: { offset: number; limit: number },
  ): Promise<Page<ScimUserRow>> {
    const [count, list] = await Promise.all([
      this.#pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM scim_users WHERE organization_id = $1 AND NOT deleted',
        [organizationId],
      ),
      this.#pool.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM scim_users WHERE organization_id = $1 AND NOT deleted
         ORDER BY seq LIMIT $2 OFFSET $3`,
        [organizationId, range.limit, range.offset],
      ),
    ]);
    return { total: Number(count.rows[0]?.n), rows: list.rows.map(toUser) };
  }

  async insertGroup(row: ScimGroupRow): Promise<boolean> {
    return this.#transaction(async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO scim_groups (id, organization_id, display_name, display_name_key, external_id, members, version,
           created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
        [...groupValues(row), row.createdAt, row.updatedAt],
      );
      if (rowCount !== 1) return false;
      await writeMembers(client, row);
      return true;
    });
  }

  async updateGroup(row: ScimGroupRow): Promise<boolean> {
    try {
      return await this.#transaction(async (client) => {
        const { rowCount } = await client.query(
          `UPDATE scim_groups SET display_name = $3, display_name_key = $4, external_id = $5, members = $6,
             version = $7, updated_at = $8
           WHERE id = $1 AND organization_id = $2 AND version = $7 - 1`,
          [...groupValues(row), row.updatedAt],
        );
        if (rowCount !== 1) return false;
        await writeMembers(client, row);
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async deleteGroup(organizationId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'DELETE FROM scim_groups WHERE organization_id = $1 AND id = $2',
      [organizationId, id],
    );
    return rowCount === 1;
  }

  async getGroup(organizationId: string, id: string): Promise<ScimGroupRow | undefined> {
    return (await this.#groups('g.organization_id = $1 AND g.id = $2', [organizationId, id]))[0];
  }

  async findGroupByDisplayName(
    organizationId: string,
    displayName: string,
  ): Promise<ScimGroupRow | undefined> {
    const key = displayName.toLowerCase();
    return (
      await this.#groups('g.organization_id = $1 AND g.display_name_key = $2', [organizationId, key])
    )[0];
  }

  async findGroupsByExternalId(organizationId: string, externalId: string): Promise<ScimGroupRow[]> {
    return this.#groups('g.organization_id = $1 AND g.external_id = $2 ORDER BY g.seq', [
      organizationId,
      externalId,
    ]);
  }

  async groupsOfMember(organizationId: string, memberId: string): Promise<ScimGroupRow[]> {
    const { rows } = await this.#pool.query<GroupRow>(
      `SELECT ${GROUP_COLUMNS} FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.organization_id = $1 AND m.member_id = $2 ORDER BY g.seq`,
      [organizationId, memberId],
    );
    return rows.map(toGroup);
  }

  async groupsOfMembers(organizationId: string, memberIds: string[]): Promise<Map<string, ScimGroupRow[]>> {
    const out = new Map<string, ScimGroupRow[]>();
    if (memberIds.length === 0) return out;
    const { rows } = await this.#pool.query<GroupRow & { member: string }>(
      `SELECT m.member_id AS member, ${GROUP_COLUMNS} FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.organization_id = $1 AND m.member_id = ANY($2) ORDER BY g.seq`,
      [organizationId, memberIds],
    );
    for (const row of rows) out.set(row.member, [...(out.get(row.member) ?? []), toGroup(row)]);
    return out;
  }

  async listGroups(
    organizationId: string,
    range: { offset: number; limit: number },
  ): Promise<Page<ScimGroupRow>> {
    const [count, rows] = await Promise.all([
      this.#pool.query<{ n: string }>('SELECT count(*) AS n FROM scim_groups WHERE organization_id = $1', [
        organizationId,
      ]),
      this.#groups('g.organization_id = $1 ORDER BY g.seq LIMIT $2 OFFSET $3', [
        organizationId,
        range.limit,
        range.offset,
      ]),
    ]);
    return { total: Number(count.rows[0]?.n), rows };
  }

  async insertToken(row: ScimTokenRow): Promise<void> {
    await this.#pool.query(
      'INSERT INTO scim_tokens (id, organization_id, secret_hash, name, created_at) VALUES ($1, $2, $3, $4, $5)',
      [row.id, row.organizationId, row.secretHash, row.name ?? null, row.createdAt],
    );
  }

  async getToken(id: string): Promise<ScimTokenRow | undefined> {
    const { rows } = await this.#pool.query<TokenRow>('SELECT * FROM scim_tokens WHERE id = $1', [id]);
    return rows[0] && toToken(rows[0]);
  }

  async listTokens(organizationId: string): Promise<ScimTokenRow[]> {
    const { rows } = await this.#pool.query<TokenRow>(
      'SELECT * FROM scim_tokens WHERE organization_id = $1 ORDER BY seq',
      [organizationId],
    );
    return rows.map(toToken);
  }

  async revokeToken(id: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE scim_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [at, id],
    );
    return rowCount === 1;
  }

  async touchToken(id: string, at: Date): Promise<void> {
    await this.#pool.query('UPDATE scim_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async #oneUser(where: string, values: unknown[]): Promise<ScimUserRow | undefined> {
    const { rows } = await this.#pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM scim_users WHERE ${where}`,
      values,
    );
    return rows[0] && toUser(rows[0]);
  }

  async #groups(where: string, values: unknown[]): Promise<ScimGroupRow[]> {
    const { rows } = await this.#pool.query<GroupRow>(
      `SELECT ${GROUP_COLUMNS} FROM scim_groups g WHERE ${where}`,
      values,
    );
    return rows.map(toGroup);
  }

  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let failed = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failed = true;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(failed);
    }
  }
}

async function writeMembers(client: PoolClient, row: ScimGroupRow): Promise<void> {
  await client.query('DELETE FROM scim_group_members WHERE group_id = $1', [row.id]);
  if (row.members.length === 0) return;
  await client.query(
    `INSERT INTO scim_group_members (group_id, organization_id, member_id)
     SELECT $1, $2, m FROM unnest($3::text[]) AS m ON CONFLICT DO NOTHING`,
    [row.id, row.organizationId, row.members.map((m) => m.value)],
  );
}

function userValues(row: ScimUserRow): unknown[] {
  return [
    row.id,
    row.organizationId,
    row.userName,
    row.userName.toLowerCase(),
    row.externalId ?? null,
    row.email?.toLowerCase() ?? null,
    row.active,
    row.deleted,
    JSON.stringify(row.resource),
    row.version,
  ];
}

function groupValues(row: ScimGroupRow): unknown[] {
  return [
    row.id,
    row.organizationId,
    row.displayName,
    row.displayName.toLowerCase(),
    row.externalId ?? null,
    JSON.stringify(row.members),
    row.version,
  ];
}

function toUser(row: UserRow): ScimUserRow {
  const user: ScimUserRow = {
    id: row.id,
    organizationId: row.organization_id,
    userName: row.user_name,
    active: row.active,
    deleted: row.deleted,
    resource: row.resource,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.external_id !== null) user.externalId = row.external_id;
  const email = primaryEmailOf(row.resource);
  if (email !== undefined) user.email = email;
  return user;
}

function toGroup(row: GroupRow): ScimGroupRow {
  const group: ScimGroupRow = {
    id: row.id,
    organizationId: row.organization_id,
    displayName: row.display_name,
    members: row.members,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.external_id !== null) group.externalId = row.external_id;
  return group;
}

function toToken(row: TokenRow): ScimTokenRow {
  const token: ScimTokenRow = {
    id: row.id,
    organizationId: row.organization_id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
  };
  if (row.name !== null) token.name = row.name;
  if (row.last_used_at !== null) token.lastUsedAt = row.last_used_at;
  if (row.revoked_at !== null) token.revokedAt = row.revoked_at;
  return token;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
