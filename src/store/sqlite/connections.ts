/** Connections in SQLite: the id plus the whole connection as JSON, so new fields need no migration. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Connection } from '../../core/types.ts';
import type { ConnectionStore, ConnectionVersion } from '../types.ts';
import { changeCounter, counted } from './change-counters.ts';
import { text } from './database.ts';

/**
 * A SQLite {@link ConnectionStore}.
 *
 * @example
 * ```ts
 * const connections = new SqliteConnectionStore(openSqliteDatabase('/tmp/sp.db'));
 * ```
 */
export class SqliteConnectionStore implements ConnectionStore {
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #put: StatementSync;
  readonly #delete: StatementSync;
  readonly #version: () => number;

  constructor(db: DatabaseSync) {
    this.#version = changeCounter(db, 'connections');
    this.#get = db.prepare('SELECT data FROM connections WHERE id = ?');
    this.#list = db.prepare('SELECT data FROM connections ORDER BY id');
    this.#put = db.prepare(
      'INSERT INTO connections (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
    );
    this.#delete = db.prepare('DELETE FROM connections WHERE id = ?');
  }

  async get(id: string): Promise<Connection | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : parse(row.data);
  }

  /**
   * The version is the connections' change counter (migration 15), read before the row: while no connection
   * was written, on this instance or another, the answer is one integer read.
   */
  async getIfChanged(
    id: string,
    version: string | undefined,
  ): Promise<ConnectionVersion | 'unchanged' | undefined> {
    const counter = String(this.#version());
    if (counter === version) return 'unchanged';
    const row = this.#get.get(id);
    return row === undefined ? undefined : { connection: parse(row.data), version: counter };
  }

  /** Sorted by id. */
  async list(): Promise<Connection[]> {
    return this.#list.all().map((row) => parse(row.data));
  }

  async put(connection: Connection): Promise<void> {
    counted(() => this.#put.run(connection.id, JSON.stringify(connection)));
  }

  async delete(id: string): Promise<boolean> {
    return counted(() => Number(this.#delete.run(id).changes) > 0);
  }
}

function parse(data: unknown): Connection {
  return JSON.parse(text(data)) as Connection;
}
