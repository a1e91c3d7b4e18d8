/** The SCIM directory in SQLite (migration 12): users, groups with a member index, tokens. */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import {
  type Page,
  primaryEmailOf,
  type ScimGroupRow,
  type ScimMember,
  type ScimStore,
  type ScimTokenRow,
  type ScimUserRow,
} from '../scim.ts';
import { counted } from './change-counters.ts';
import { date, optionalText, text } from './database.ts';
import { ScimSignInAnswers } from './scim-sign-ins.ts';
import { writeTransaction } from './transaction.ts';

type Row = Record<string, SQLOutputValue>;

/**
 * A SQLite {@link ScimStore}. Uniqueness (userName, displayName per organization, case-insensitively) is the
 * database's: the `*_key` columns hold the lower-cased value under a UNIQUE constraint, so two concurrent POSTs
 * of one user make one row and the other gets `false` (409 at the edge).
 *
 * @example
 * ```ts
 * const scim = new SqliteScimStore(db);
 * ```
 */
export class SqliteScimStore implements ScimStore {
  readonly #db: DatabaseSync;
  /** The sign-in path's questions (user lookup, group count, a member's groups), kept behind the `scim` counter. */
  readonly #answers: ScimSignInAnswers;
  readonly #q: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#answers = new ScimSignInAnswers(db);
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      insertUser:
        p(`INSERT INTO scim_users (id, organization_id, user_name, user_name_key, external_id, email_key,
          active, deleted, resource, version, created_at, updated_at)
        VALUES (:id, :org, :userName, :userNameKey, :externalId, :emailKey, :active, :deleted, :resource, :version,
          :createdAt, :updatedAt) ON CONFLICT DO NOTHING`),
      updateUser: p(`UPDATE scim_users SET user_name = :userName, user_name_key = :userNameKey,
          external_id = :externalId, email_key = :emailKey, active = :active, deleted = :deleted,
          resource = :resource, version = :version, updated_at = :updatedAt
        WHERE id = :id AND organization_id = :org AND version = :version - 1`),
      purgeUser: p('DELETE FROM scim_users WHERE organization_id = ? AND id = ?'),
      getUser: p('SELECT * FROM scim_users WHERE organization_id = ? AND id = ?'),
      userByName: p('SELECT * FROM scim_users WHERE organization_id = ? AND user_name_key = ?'),
      usersByExternalId: p(
        'SELECT * FROM scim_users WHERE organization_id = ? AND external_id = ? AND deleted = 0 ORDER BY rowid',
      ),
      countUsers: p('SELECT count(*) AS n FROM scim_users WHERE organization_id = ? AND deleted = 0'),
      listUsers: p(
        'SELECT * FROM scim_users WHERE organization_id = ? AND deleted = 0 ORDER BY rowid LIMIT ? OFFSET ?',
      ),
      insertGroup:
        p(`INSERT INTO scim_groups (id, organization_id, display_name, display_name_key, external_id,
          members, version, created_at, updated_at)
        VALUES (:id, :org, :displayName, :displayNameKey, :externalId, :members, :version, :createdAt, :updatedAt)
        ON CONFLICT DO NOTHING`),
      updateGroup: p(`UPDATE scim_groups SET display_name = :displayName, display_name_key = :displayNameKey,
          external_id = :externalId, members = :members, version = :version, updated_at = :updatedAt
        WHERE id = :id AND organization_id = :org AND version = :version - 1`),
      clearMembers: p('DELETE FROM scim_group_members WHERE group_id = ?'),
      addMember: p(
        'INSERT OR IGNORE INTO scim_group_members (group_id, organization_id, member_id) VALUES (?, ?, ?)',
      ),
      deleteGroup: p('DELETE FROM scim_groups WHERE organization_id = ? AND id = ?'),
      getGroup: p('SELECT * FROM scim_groups WHERE organization_id = ? AND id = ?'),
      groupByName: p('SELECT * FROM scim_groups WHERE organization_id = ? AND display_name_key = ?'),
      groupsByExternalId: p(
        'SELECT * FROM scim_groups WHERE organization_id = ? AND external_id = ? ORDER BY rowid',
      ),
      listGroups: p('SELECT * FROM scim_groups WHERE organization_id = ? ORDER BY rowid LIMIT ? OFFSET ?'),
      insertToken: p(`INSERT INTO scim_tokens (id, organization_id, secret_hash, name, created_at)
        VALUES (?, ?, ?, ?, ?)`),
      getToken: p('SELECT * FROM scim_tokens WHERE id = ?'),
      listTokens: p('SELECT * FROM scim_tokens WHERE organization_id = ? ORDER BY rowid'),
      revokeToken: p('UPDATE scim_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      touchToken: p('UPDATE scim_tokens SET last_used_at = ? WHERE id = ?'),
    };
  }

  async insertUser(row: ScimUserRow): Promise<boolean> {
    return counted(() => Number(this.#q.insertUser?.run(userParams(row)).changes) === 1);
  }

  async updateUser(row: ScimUserRow): Promise<boolean> {
    try {
      const { createdAt: _, ...params } = userParams(row);
      return counted(() => Number(this.#q.updateUser?.run(params).changes) === 1);
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async purgeUser(organizationId: string, id: string): Promise<boolean> {
    return counted(() => Number(this.#q.purgeUser?.run(organizationId, id).changes) === 1);
  }

  async getUser(organizationId: string, id: string): Promise<ScimUserRow | undefined> {
    return optional(this.#q.getUser?.get(organizationId, id), toUser);
  }

  async findUserByUserName(organizationId: string, userName: string): Promise<ScimUserRow | undefined> {
    return optional(this.#q.userByName?.get(organizationId, userName.toLowerCase()), toUser);
  }

  async findUsersByExternalId(organizationId: string, externalId: string): Promise<ScimUserRow[]> {
    return (this.#q.usersByExternalId?.all(organizationId, externalId) ?? []).map(toUser);
  }

  async findUserForSignIn(organizationId: string, keys: string[]): Promise<ScimUserRow | undefined> {
    const lowered = [...new Set(keys.map((k) => k.toLowerCase()))];
    if (lowered.length === 0) return undefined;
    return optional(this.#answers.userFor(organizationId, lowered), toUser);
  }

  async listUsers(
    organizationId: string,
    range: { offset: number; limit: number },
  ): Promise<Page<ScimUserRow>> {
    const total = Number(this.#q.countUsers?.get(organizationId)?.n);
    const rows = (this.#q.listUsers?.all(organizationId, range.limit, range.offset) ?? []).map(toUser);
    return { total, rows };
  }

  async insertGroup(row: ScimGroupRow): Promise<boolean> {
    return this.#transaction(() => {
      if (Number(this.#q.insertGroup?.run(groupParams(row)).changes) !== 1) return false;
      this.#writeMembers(row);
      return true;
    });
  }

  async updateGroup(row: ScimGroupRow): Promise<boolean> {
    try {
      return this.#transaction(() => {
        const { createdAt: _, ...params } = groupParams(row);
        if (Number(this.#q.updateGroup?.run(params).changes) !== 1) return false;
        this.#writeMembers(row);
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async deleteGroup(organizationId: string, id: string): Promise<boolean> {
    return counted(() => Number(this.#q.deleteGroup?.run(organizationId, id).changes) === 1);
  }

  async getGroup(organizationId: string, id: string): Promise<ScimGroupRow | undefined> {
    return optional(this.#q.getGroup?.get(organizationId, id), toGroup);
  }

  async findGroupByDisplayName(
    organizationId: string,
    displayName: string,
  ): Promise<ScimGroupRow | undefined> {
    return optional(this.#q.groupByName?.get(organizationId, displayName.toLowerCase()), toGroup);
  }

  async findGroupsByExternalId(organizationId: string, externalId: string): Promise<ScimGroupRow[]> {
    return (this.#q.groupsByExternalId?.all(organizationId, externalId) ?? []).map(toGroup);
  }

  async groupsOfMember(organizationId: string, memberId: string): Promise<ScimGroupRow[]> {
    return this.#answers.groupsOf(organizationId, memberId).map(toGroup);
  }

  async groupsOfMembers(organizationId: string, memberIds: string[]): Promise<Map<string, ScimGroupRow[]>> {
    const out = new Map<string, ScimGroupRow[]>();
    if (memberIds.length === 0) return out;
    const rows = this.#db
      .prepare(
        `SELECT m.member_id AS member, g.* FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
         WHERE m.organization_id = ? AND m.member_id IN (SELECT value FROM json_each(?)) ORDER BY g.rowid`,
      )
      .all(organizationId, JSON.stringify(memberIds));
    for (const row of rows) {
      const member = text(row.member);
      out.set(member, [...(out.get(member) ?? []), toGroup(row)]);
    }
    return out;
  }

  async listGroups(
    organizationId: string,
    range: { offset: number; limit: number },
  ): Promise<Page<ScimGroupRow>> {
    const total = this.#answers.groupCount(organizationId);
    // limit 0: the session read asks only whether the directory pushes groups.
    const rows =
      range.limit === 0
        ? []
        : (this.#q.listGroups?.all(organizationId, range.limit, range.offset) ?? []).map(toGroup);
    return { total, rows };
  }

  async insertToken(row: ScimTokenRow): Promise<void> {
    this.#q.insertToken?.run(
      row.id,
      row.organizationId,
      row.secretHash,
      row.name ?? null,
      row.createdAt.getTime(),
    );
  }

  async getToken(id: string): Promise<ScimTokenRow | undefined> {
    return optional(this.#q.getToken?.get(id), toToken);
  }

  async listTokens(organizationId: string): Promise<ScimTokenRow[]> {
    return (this.#q.listTokens?.all(organizationId) ?? []).map(toToken);
  }

  async revokeToken(id: string, at: Date): Promise<boolean> {
    return Number(this.#q.revokeToken?.run(at.getTime(), id).changes) === 1;
  }

  async touchToken(id: string, at: Date): Promise<void> {
    this.#q.touchToken?.run(at.getTime(), id);
  }

  #writeMembers(row: ScimGroupRow): void {
    this.#q.clearMembers?.run(row.id);
    for (const m of row.members) this.#q.addMember?.run(row.id, row.organizationId, m.value);
  }

  /** Group writes (the row and its member index together); counted like every directory write. */
  #transaction<T>(work: () => T): T {
    return counted(() => writeTransaction(this.#db, work));
  }
}

function userParams(row: ScimUserRow) {
  return {
    id: row.id,
    org: row.organizationId,
    userName: row.userName,
    userNameKey: row.userName.toLowerCase(),
    externalId: row.externalId ?? null,
    emailKey: row.email?.toLowerCase() ?? null,
    active: row.active ? 1 : 0,
    deleted: row.deleted ? 1 : 0,
    resource: JSON.stringify(row.resource),
    version: row.version,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

function groupParams(row: ScimGroupRow) {
  return {
    id: row.id,
    org: row.organizationId,
    displayName: row.displayName,
    displayNameKey: row.displayName.toLowerCase(),
    externalId: row.externalId ?? null,
    members: JSON.stringify(row.members),
    version: row.version,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

function toUser(row: Row): ScimUserRow {
  const resource = JSON.parse(text(row.resource)) as Record<string, unknown>;
  const user: ScimUserRow = {
    id: text(row.id),
    organizationId: text(row.organization_id),
    userName: text(row.user_name),
    active: row.active === 1,
    deleted: row.deleted === 1,
    resource,
    version: Number(row.version),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
  const externalId = optionalText(row.external_id);
  if (externalId !== undefined) user.externalId = externalId;
  // The column holds it lower-cased for lookups; the document has it as the client sent it.
  const email = primaryEmailOf(resource);
  if (email !== undefined) user.email = email;
  return user;
}

function toGroup(row: Row): ScimGroupRow {
  const group: ScimGroupRow = {
    id: text(row.id),
    organizationId: text(row.organization_id),
    displayName: text(row.display_name),
    members: JSON.parse(text(row.members)) as ScimMember[],
    version: Number(row.version),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
  const externalId = optionalText(row.external_id);
  if (externalId !== undefined) group.externalId = externalId;
  return group;
}

function toToken(row: Row): ScimTokenRow {
  const token: ScimTokenRow = {
    id: text(row.id),
    organizationId: text(row.organization_id),
    secretHash: text(row.secret_hash),
    createdAt: date(row.created_at),
  };
  const name = optionalText(row.name);
  if (name !== undefined) token.name = name;
  if (row.last_used_at !== null) token.lastUsedAt = date(row.last_used_at);
  if (row.revoked_at !== null) token.revokedAt = date(row.revoked_at);
  return token;
}

function optional<T>(row: Row | undefined, map: (row: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/.test(error.message);
}
