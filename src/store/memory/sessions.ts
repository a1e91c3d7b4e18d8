/** Sessions in process memory: for tests and `DATABASE_URL=memory:`. */
import type { SessionRecord, SessionStore } from '../types.ts';

/** Sweep expired sessions once per this many creates, so a long-running process without purge calls stays lean. */
const SWEEP_EVERY_CREATES = 1_000;

/**
 * An in-process {@link SessionStore}, indexed by (connection, NameID value) for IdP-initiated logout.
 *
 * `sessionIndexes` semantics (shared with every adapter): `undefined` or an empty list matches every live
 * session of the NameID, as a LogoutRequest without `<SessionIndex>` ends all of them; otherwise a session
 * matches when its own SessionIndex is in the list.
 *
 * @example
 * ```ts
 * const sessions = new MemorySessionStore();
 * await sessions.create(record);
 * const live = await sessions.findByNameId('acme', 'alice@example.com', ['_idx1'], new Date());
 * ```
 */
export class MemorySessionStore implements SessionStore {
  readonly #byId = new Map<string, SessionRecord>();
  readonly #byNameId = new Map<string, Set<string>>();
  #createsSinceSweep = 0;

  async create(session: SessionRecord): Promise<void> {
    if (++this.#createsSinceSweep >= SWEEP_EVERY_CREATES) {
      this.#createsSinceSweep = 0;
      this.#purge(session.createdAt);
    }
    this.#remove(session.id);
    this.#byId.set(session.id, structuredClone(session));
    const key = nameIdKey(session.connectionId, session.nameId.value);
    let ids = this.#byNameId.get(key);
    if (ids === undefined) {
      ids = new Set();
      this.#byNameId.set(key, ids);
    }
    ids.add(session.id);
  }

  async get(id: string, now: Date): Promise<SessionRecord | undefined> {
    const session = this.#byId.get(id);
    if (session === undefined) return undefined;
    if (isExpired(session, now)) {
      this.#remove(id);
      return undefined;
    }
    return structuredClone(session);
  }

  async delete(id: string): Promise<boolean> {
    return this.#remove(id);
  }

  async findByNameId(
    connectionId: string,
    nameIdValue: string,
    sessionIndexes: string[] | undefined,
    now: Date,
  ): Promise<SessionRecord[]> {
    const wanted =
      sessionIndexes === undefined || sessionIndexes.length === 0 ? undefined : new Set(sessionIndexes);
    const found: SessionRecord[] = [];
    for (const id of this.#byNameId.get(nameIdKey(connectionId, nameIdValue)) ?? []) {
      const session = this.#byId.get(id);
      if (session === undefined || isExpired(session, now)) continue;
      if (wanted !== undefined && (session.sessionIndex === undefined || !wanted.has(session.sessionIndex)))
        continue;
      found.push(structuredClone(session));
    }
    return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async purgeExpired(now: Date): Promise<number> {
    return this.#purge(now);
  }

  #purge(now: Date): number {
    let removed = 0;
    for (const session of this.#byId.values()) {
      if (isExpired(session, now) && this.#remove(session.id)) removed++;
    }
    return removed;
  }

  #remove(id: string): boolean {
    const session = this.#byId.get(id);
    if (session === undefined) return false;
    this.#byId.delete(id);
    const key = nameIdKey(session.connectionId, session.nameId.value);
    const ids = this.#byNameId.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#byNameId.delete(key);
    return true;
  }
}

function isExpired(session: SessionRecord, now: Date): boolean {
  return now.getTime() >= session.expiresAt.getTime();
}

function nameIdKey(connectionId: string, nameIdValue: string): string {
  return JSON.stringify([connectionId, nameIdValue]);
}
