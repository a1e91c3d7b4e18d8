/** The SP key ring in process memory (the `memory:` backend and tests). */
import { clipFetchBy, type MetadataFetchRecord, type SpKeyRecord, type SpKeyStore } from '../sp-keys.ts';

/**
 * An in-memory {@link SpKeyStore}. Records are copied in and out, as a database would.
 *
 * @example
 * ```ts
 * const keys = new MemorySpKeyStore();
 * ```
 */
export class MemorySpKeyStore implements SpKeyStore {
  readonly #keys = new Map<string, SpKeyRecord>();
  readonly #fetches = new Map<string, MetadataFetchRecord>();
  /** Bumped at every put: the version. */
  #writes = 0;

  async list(): Promise<SpKeyRecord[]> {
    return [...this.#keys.values()]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
      .map(copy);
  }

  async get(id: string): Promise<SpKeyRecord | undefined> {
    const record = this.#keys.get(id);
    return record && copy(record);
  }

  async put(record: SpKeyRecord): Promise<void> {
    this.#keys.set(record.id, copy(record));
    this.#writes++;
  }

  async version(): Promise<string> {
    return String(this.#writes);
  }

  async recordMetadataFetch(connectionId: string, fetch: MetadataFetchRecord): Promise<void> {
    this.#fetches.set(connectionId, { at: new Date(fetch.at), by: clipFetchBy(fetch.by) });
  }

  async lastMetadataFetch(connectionId: string): Promise<MetadataFetchRecord | undefined> {
    const fetch = this.#fetches.get(connectionId);
    return fetch && { at: new Date(fetch.at), by: fetch.by };
  }
}

function copy(record: SpKeyRecord): SpKeyRecord {
  return {
    ...record,
    createdAt: new Date(record.createdAt),
    ...(record.activatedAt ? { activatedAt: new Date(record.activatedAt) } : {}),
    ...(record.retiredAt ? { retiredAt: new Date(record.retiredAt) } : {}),
  };
}
