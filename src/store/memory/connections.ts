/** Connections in process memory: for tests and `DATABASE_URL=memory:`. */
import type { Connection } from '../../core/types.ts';
import type { ConnectionStore, ConnectionVersion } from '../types.ts';

/**
 * An in-process {@link ConnectionStore}. Values are copied in and out, so a caller mutating a returned
 * connection does not change the stored one (the SQLite adapter behaves the same way).
 *
 * @example
 * ```ts
 * const connections = new MemoryConnectionStore();
 * await connections.put(connection);
 * ```
 */
export class MemoryConnectionStore implements ConnectionStore {
  readonly #connections = new Map<string, Connection>();
  /** Bumped at every put: the version getIfChanged compares. */
  #writes = 0;
  readonly #versions = new Map<string, string>();

  async get(id: string): Promise<Connection | undefined> {
    const connection = this.#connections.get(id);
    return connection === undefined ? undefined : structuredClone(connection);
  }

  /** Sorted by id, like the SQLite adapter. */
  async list(): Promise<Connection[]> {
    return [...this.#connections.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((c) => structuredClone(c));
  }

  async put(connection: Connection): Promise<void> {
    this.#connections.set(connection.id, structuredClone(connection));
    this.#versions.set(connection.id, String(++this.#writes));
  }

  async getIfChanged(
    id: string,
    version: string | undefined,
  ): Promise<ConnectionVersion | 'unchanged' | undefined> {
    const connection = this.#connections.get(id);
    const current = this.#versions.get(id);
    if (connection === undefined || current === undefined) return undefined;
    if (current === version) return 'unchanged';
    return { connection: structuredClone(connection), version: current };
  }

  async delete(id: string): Promise<boolean> {
    this.#versions.delete(id);
    return this.#connections.delete(id);
  }
}
