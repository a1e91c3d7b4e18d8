/** Users in process memory: for tests and `DATABASE_URL=memory:`. */
import { randomUUID } from 'node:crypto';
import type { UserRecord } from '../../core/types.ts';
import type { UserStore, UserUpsert } from '../types.ts';

/** The profile fields an upsert replaces; the IdP's latest assertion is the truth, so a dropped one is cleared. */
const PROFILE_FIELDS = [
  'nameIdFormat',
  'email',
  'firstName',
  'lastName',
  'displayName',
  'externalId',
] as const;

/**
 * An in-process {@link UserStore}: one user per (connectionId, nameId), created on first sign-in with a random
 * UUID and updated (profile, groups, attributes, lastLoginAt) on later ones.
 *
 * @example
 * ```ts
 * const users = new MemoryUserStore();
 * const user = await users.upsert({ connectionId: 'acme', nameId: 'alice', groups: [], attributes: {} }, new Date());
 * ```
 */
export class MemoryUserStore implements UserStore {
  readonly #byId = new Map<string, UserRecord>();
  readonly #byNameId = new Map<string, string>();

  async upsert(user: UserUpsert, now: Date): Promise<UserRecord> {
    const key = nameIdKey(user.connectionId, user.nameId);
    const existingId = this.#byNameId.get(key);
    const existing = existingId === undefined ? undefined : this.#byId.get(existingId);
    const at = now.toISOString();
    const record: UserRecord = {
      id: existing?.id ?? user.id ?? randomUUID(),
      connectionId: user.connectionId,
      nameId: user.nameId,
      groups: [...user.groups],
      attributes: structuredClone(user.attributes),
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      lastLoginAt: at,
    };
    for (const field of PROFILE_FIELDS) {
      const value = user[field];
      if (value !== undefined) record[field] = value;
    }
    this.#byId.set(record.id, record);
    this.#byNameId.set(key, record.id);
    return structuredClone(record);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const user = this.#byId.get(id);
    return user === undefined ? undefined : structuredClone(user);
  }

  async findByNameId(connectionId: string, nameId: string): Promise<UserRecord | undefined> {
    const id = this.#byNameId.get(nameIdKey(connectionId, nameId));
    return id === undefined ? undefined : this.get(id);
  }

  /** In creation order. */
  async list(options: { connectionId?: string } = {}): Promise<UserRecord[]> {
    const users = [...this.#byId.values()];
    return users
      .filter((u) => options.connectionId === undefined || u.connectionId === options.connectionId)
      .map((u) => structuredClone(u));
  }
}

function nameIdKey(connectionId: string, nameId: string): string {
  // JSON keeps the two parts apart whatever characters they hold.
  return JSON.stringify([connectionId, nameId]);
}
