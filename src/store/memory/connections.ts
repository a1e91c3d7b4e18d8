/** Connections in process memory: for tests and `DATABASE_URL=memory:`. */
import type { Connection } from '../../core/types.ts';
import type { ConnectionStore } from '../types.ts';

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
  }

  async delete(id: string): Promise<boolean> {
    return this.#connections.delete(id);
  }
}
