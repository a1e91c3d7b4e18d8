/**
 * The connections the sign-in path uses, kept parsed between requests. At every request the store is asked
 * whether the connection changed since the version held here (`ConnectionStore.getIfChanged`: SQLite compares
 * the stored text, PostgreSQL an MD5 the server computes), so an admin's edit, made on this instance or any
 * other, applies at the very next sign-in, and an unchanged connection is not parsed again.
 *
 * What is handed out is frozen (deeply): it is shared by every request until the connection changes, and a
 * caller that wants to edit a connection reads its own copy (`stores.connections.get`, ConnectionService).
 */
import type { Connection } from '../core/types.ts';
import type { ConnectionStore } from '../store/types.ts';

export class ConnectionCache {
  readonly #store: ConnectionStore;
  /** One entry per connection that exists (an unknown id is never cached), dropped when it is gone. */
  readonly #entries = new Map<string, { version: string; connection: Readonly<Connection> }>();

  constructor(store: ConnectionStore) {
    this.#store = store;
  }

  /** The connection, or undefined when there is none. */
  async get(id: string): Promise<Readonly<Connection> | undefined> {
    if (!this.#store.getIfChanged) return this.#store.get(id);
    const cached = this.#entries.get(id);
    const read = await this.#store.getIfChanged(id, cached?.version);
    if (read === 'unchanged' && cached) return cached.connection;
    if (read === undefined || read === 'unchanged') {
      this.#entries.delete(id);
      return read === undefined ? undefined : this.#store.get(id);
    }
    const connection = deepFreeze(read.connection);
    this.#entries.set(id, { version: read.version, connection });
    return connection;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
