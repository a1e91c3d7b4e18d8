/** One write transaction on the shared SQLite connection. */
import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` between `BEGIN IMMEDIATE` and `COMMIT`, and rolls back when it throws. `work` must be synchronous:
 * node:sqlite is, so no other request's statement can slip into the transaction. IMMEDIATE takes the write lock
 * at the start (waiting up to the busy timeout), so a read inside `work` sees what no other writer can change
 * before the commit.
 *
 * @example
 * ```ts
 * const written = writeTransaction(db, () => { insert.run(a); return update.run(b).changes; });
 * ```
 */
export function writeTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
