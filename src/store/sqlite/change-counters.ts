/**
 * The change counters of migration 15: one integer per kind of configuration the sign-in path keeps parsed
 * between requests (connections, organizations, SP keys). Triggers bump it inside every writing transaction, on
 * every process sharing the file, so "has anything of this kind changed since I read it?" is one point read of
 * an integer: no row read, no JSON compared or hashed.
 */
import type { DatabaseSync } from 'node:sqlite';

export type CountedKind = 'connections' | 'organizations' | 'sp_keys';

/**
 * A reader of one kind's counter. Read it BEFORE the rows it versions: a write that lands between the two
 * reads then shows as a changed counter at the next request (one extra read), never as a stale row kept.
 *
 * @example
 * ```ts
 * const connectionsVersion = changeCounter(db, 'connections');
 * const version = connectionsVersion(); // 7
 * ```
 */
export function changeCounter(db: DatabaseSync, kind: CountedKind): () => number {
  const read = db.prepare('SELECT version FROM change_counters WHERE name = ?');
  return () => {
    const version = read.get(kind)?.version;
    if (typeof version !== 'number') throw new Error(`SQLite change counter "${kind}" is missing`);
    return version;
  };
}
