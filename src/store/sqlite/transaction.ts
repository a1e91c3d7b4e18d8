/** One write transaction on the shared SQLite connection. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** BEGIN IMMEDIATE, COMMIT and ROLLBACK, prepared once per connection (`exec` would parse them at every call). */
interface TransactionStatements {
  begin: StatementSync;
  commit: StatementSync;
  rollback: StatementSync;
}

const prepared = new WeakMap<DatabaseSync, TransactionStatements>();

function statementsOf(db: DatabaseSync): TransactionStatements {
  let statements = prepared.get(db);
  if (!statements) {
    statements = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
    prepared.set(db, statements);
  }
  return statements;
}

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
  const { begin, commit, rollback } = statementsOf(db);
  begin.run();
  try {
    const result = work();
    commit.run();
    return result;
  } catch (error) {
    if (db.isTransaction) rollback.run();
    throw error;
  }
}
