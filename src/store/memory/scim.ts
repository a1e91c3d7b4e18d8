/** The SCIM directory in process memory: for tests and `DATABASE_URL=memory:`. */
import type { Page, ScimGroupRow, ScimStore, ScimTokenRow, ScimUserRow } from '../scim.ts';

/**
 * An in-process {@link ScimStore}. Maps keep insertion order, which is the creation order lists promise.
 *
 * @example
 * ```ts
 * const scim = new MemoryScimStore();
 * await scim.insertUser(row);
 * ```
 */
export class MemoryScimStore implements ScimStore {
  readonly #users = new Map<string, ScimUserRow>();
  readonly #groups = new Map<string, ScimGroupRow>();
  readonly #tokens = new Map<string, ScimTokenRow>();

  async insertUser(row: ScimUserRow): Promise<boolean> {
    if (this.#users.has(row.id) || this.#userByName(row.organizationId, row.userName)) return false;
    this.#users.set(row.id, structuredClone(row));
    return true;
  }

  async updateUser(row: ScimUserRow): Promise<boolean> {
    const current = this.#users.get(row.id);
    if (current?.organizationId !== row.organizationId || current.version !== row.version - 1) return false;
    const clash = this.#userByName(row.organizationId, row.userName);
    if (clash && clash.id !== row.id) return false;
    this.#users.set(row.id, structuredClone(row));
    return true;
  }

  async purgeUser(organizationId: string, id: string): Promise<boolean> {
    return this.#users.get(id)?.organizationId === organizationId && this.#users.delete(id);
  }

  async getUser(organizationId: string, id: string): Promise<ScimUserRow | undefined> {
    const row = this.#users.get(id);
    return row?.organizationId === organizationId ? structuredClone(row) : undefined;
  }

  async findUserByUserName(organizationId: string, userName: string): Promise<ScimUserRow | undefined> {
    const row = this.#userByName(organizationId, userName);
    return row && structuredClone(row);
  }

  async findUsersByExternalId(organizationId: string, externalId: string): Promise<ScimUserRow[]> {
    return this.#live(organizationId)
      .filter((u) => u.externalId === externalId)
      .map((u) => structuredClone(u));
  }

  async findUserForSignIn(organizationId: string, keys: string[]): Promise<ScimUserRow | undefined> {
    const wanted = new Set(keys.map((k) => k.toLowerCase()));
    const matches = [...this.#users.values()].filter(
      (u) =>
        u.organizationId === organizationId &&
        (wanted.has(u.userName.toLowerCase()) ||
          (u.email !== undefined && wanted.has(u.email.toLowerCase()))),
    );
    const found = matches.find((u) => !u.deleted) ?? matches[0];
    return found && structuredClone(found);
  }

  async listUsers(
    organizationId: string,
    range: { offset: number; limit: number },
  ): Promise<Page<ScimUserRow>> {
    return page(this.#live(organizationId), range);
  }

  async insertGroup(row: ScimGroupRow): Promise<boolean> {
    if (this.#groups.has(row.id) || this.#groupByName(row.organizationId, row.displayName)) return false;
    this.#groups.set(row.id, structuredClone(row));
    return true;
  }

  async updateGroup(row: ScimGroupRow): Promise<boolean> {
    const current = this.#groups.get(row.id);
    if (current?.organizationId !== row.organizationId || current.version !== row.version - 1) return false;
    const clash = this.#groupByName(row.organizationId, row.displayName);
    if (clash && clash.id !== row.id) return false;
    this.#groups.set(row.id, structuredClone(row));
    return true;
  }

  async deleteGroup(organizationId: string, id: string): Promise<boolean> {
    return this.#groups.get(id)?.organizationId === organizationId && this.#groups.delete(id);
  }

  async getGroup(organizationId: string, id: string): Promise<ScimGroupRow | undefined> {
    const row = this.#groups.get(id);
    return row?.organizationId === organizationId ? structuredClone(row) : undefined;
  }

  async findGroupByDisplayName(
    organizationId: string,
    displayName: string,
  ): Promise<ScimGroupRow | undefined> {
    const row = this.#groupByName(organizationId, displayName);
    return row && structuredClone(row);
  }

  async findGroupsByExternalId(organizationId: string, externalId: string): Promise<ScimGroupRow[]> {
    return this.#orgGroups(organizationId)
      .filter((g) => g.externalId === externalId)
      .map((g) => structuredClone(g));
  }

  async groupsOfMember(organizationId: string, memberId: string): Promise<ScimGroupRow[]> {
    return this.#orgGroups(organizationId)
      .filter((g) => g.members.some((m) => m.value === memberId))
      .map((g) => structuredClone(g));
  }

  async groupsOfMembers(organizationId: string, memberIds: string[]): Promise<Map<string, ScimGroupRow[]>> {
    const out = new Map<string, ScimGroupRow[]>();
    for (const id of memberIds) {
      const groups = await this.groupsOfMember(organizationId, id);
      if (groups.length > 0) out.set(id, groups);
    }
    return out;
  }

  async listGroups(
    organizationId: string,
    range: { offset: number; limit: number },
  ): Promise<Page<ScimGroupRow>> {
    return page(this.#orgGroups(organizationId), range);
  }

  async insertToken(row: ScimTokenRow): Promise<void> {
    this.#tokens.set(row.id, structuredClone(row));
  }

  async getToken(id: string): Promise<ScimTokenRow | undefined> {
    const row = this.#tokens.get(id);
    return row && structuredClone(row);
  }

  async listTokens(organizationId: string): Promise<ScimTokenRow[]> {
    return [...this.#tokens.values()]
      .filter((t) => t.organizationId === organizationId)
      .map((t) => structuredClone(t));
  }

  async revokeToken(id: string, at: Date): Promise<boolean> {
    const row = this.#tokens.get(id);
    if (!row || row.revokedAt) return false;
    row.revokedAt = at;
    return true;
  }

  async touchToken(id: string, at: Date): Promise<void> {
    const row = this.#tokens.get(id);
    if (row) row.lastUsedAt = at;
  }

  #live(organizationId: string): ScimUserRow[] {
    return [...this.#users.values()].filter((u) => u.organizationId === organizationId && !u.deleted);
  }

  #orgGroups(organizationId: string): ScimGroupRow[] {
    return [...this.#groups.values()].filter((g) => g.organizationId === organizationId);
  }

  #userByName(organizationId: string, userName: string): ScimUserRow | undefined {
    const key = userName.toLowerCase();
    for (const u of this.#users.values()) {
      if (u.organizationId === organizationId && u.userName.toLowerCase() === key) return u;
    }
    return undefined;
  }

  #groupByName(organizationId: string, displayName: string): ScimGroupRow | undefined {
    const key = displayName.toLowerCase();
    for (const g of this.#groups.values()) {
      if (g.organizationId === organizationId && g.displayName.toLowerCase() === key) return g;
    }
    return undefined;
  }
}

function page<T>(rows: T[], range: { offset: number; limit: number }): Page<T> {
  return {
    total: rows.length,
    rows: rows.slice(range.offset, range.offset + range.limit).map((r) => structuredClone(r)),
  };
}
