/**
 * The connections (and organizations) the sign-in path uses, kept parsed between requests. At every request
 * the store is asked whether the record changed since the version held here (`getIfChanged`: SQLite reads
 * its change counter, PostgreSQL compares an MD5 the server computes, memory a write counter), so an admin's
 * edit, made on this instance or any other, applies at the very next sign-in, and an unchanged record is
 * neither read whole nor parsed again.
 *
 * What is handed out is frozen (deeply): it is shared by every request until the record changes, and a
 * caller that wants to edit one reads its own copy (`stores.connections.get`, ConnectionService).
 */

import type { Organization } from '../core/organization.ts';
import type { Connection } from '../core/types.ts';
import type { ConnectionStore, OrganizationStore } from '../store/types.ts';

/** A store as {@link VersionedCache} reads it: `get`, and optionally `getIfChanged` with its answer unwrapped. */
export interface VersionedSource<T> {
  get(id: string): Promise<T | undefined>;
  getIfChanged?(
    id: string,
    version: string | undefined,
  ): Promise<{ value: T; version: string } | 'unchanged' | undefined>;
}

/** Records by id, re-read only when their store's version says they changed. */
export class VersionedCache<T> {
  readonly #source: VersionedSource<T>;
  /** One entry per record that exists (an unknown id is never cached), dropped when it is gone. */
  readonly #entries = new Map<string, { version: string; value: Readonly<T> }>();

  constructor(source: VersionedSource<T>) {
    this.#source = source;
  }

  /** The record, or undefined when there is none. */
  async get(id: string): Promise<Readonly<T> | undefined> {
    if (!this.#source.getIfChanged) return this.#source.get(id);
    const cached = this.#entries.get(id);
    const read = await this.#source.getIfChanged(id, cached?.version);
    if (read === 'unchanged' && cached) return cached.value;
    if (read === undefined || read === 'unchanged') {
      this.#entries.delete(id);
      return read === undefined ? undefined : this.#source.get(id);
    }
    const value = deepFreeze(read.value);
    this.#entries.set(id, { version: read.version, value });
    return value;
  }
}

/** The sign-in path's connections. */
export class ConnectionCache extends VersionedCache<Connection> {
  constructor(store: ConnectionStore) {
    super(versionedSource(store, (read) => read.connection));
  }
}

/** The sign-in path's organizations (their domain and JIT policy is checked at every ACS). */
export class OrganizationCache extends VersionedCache<Organization> {
  constructor(store: OrganizationStore) {
    super(versionedSource(store, (read) => read.organization));
  }
}

/** A store whose `getIfChanged` answers `{ version, <record> }` as a {@link VersionedSource}. */
function versionedSource<T, R extends { version: string }>(
  store: {
    get(id: string): Promise<T | undefined>;
    getIfChanged?(id: string, version: string | undefined): Promise<R | 'unchanged' | undefined>;
  },
  recordOf: (read: R) => T,
): VersionedSource<T> {
  return {
    get: (id) => store.get(id),
    ...(store.getIfChanged
      ? {
          getIfChanged: async (id, version) => {
            // Looked up at each call, as `get` is: the store's methods are its own to replace.
            const read = await store.getIfChanged?.(id, version);
            return typeof read === 'object' ? { value: recordOf(read), version: read.version } : read;
          },
        }
      : {}),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
