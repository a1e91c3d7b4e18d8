/**
 * The change counters of migrations 15 and 17: one integer per kind of configuration the sign-in path keeps
 * parsed between requests (connections, organizations, SP keys), and one for the SCIM directory, whose answers
 * about a signing-in user it keeps too. Triggers bump it inside every writing transaction, on
 * every process sharing the file, so "has anything of this kind changed since I read it?" is one point read of
 * an integer: no row read, no JSON compared or hashed. The three are read together, and inside a request of
 * the sign-in path (`withConfigSnapshot`, src/store/config-snapshot.ts) once per request: a login asks about
 * the connection and the SP keys, an ACS about those and the organization, each read of the file costs its
 * locks.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { noteConfigWrite, snapshotOf } from '../config-snapshot.ts';

export type CountedKind = 'connections' | 'organizations' | 'sp_keys' | 'scim';

type Counters = Readonly<Record<CountedKind, number>>;

/** Every kind's counter of one database, in one statement. */
class ChangeCounters {
  readonly #read: StatementSync;

  constructor(db: DatabaseSync) {
    this.#read = db.prepare(`
      SELECT (SELECT version FROM change_counters WHERE name = 'connections') AS connections,
             (SELECT version FROM change_counters WHERE name = 'organizations') AS organizations,
             (SELECT version FROM change_counters WHERE name = 'sp_keys') AS sp_keys,
             (SELECT version FROM change_counters WHERE name = 'scim') AS scim`);
  }

  version(kind: CountedKind): number {
    const version = snapshotOf(this, () => this.#readAll())[kind];
    if (typeof version !== 'number') throw new Error(`SQLite change counter "${kind}" is missing`);
    return version;
  }

  #readAll(): Counters {
    const row = this.#read.get();
    return row as unknown as Counters;
  }
}

const countersOf = new WeakMap<DatabaseSync, ChangeCounters>();

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
  let counters = countersOf.get(db);
  if (!counters) {
    counters = new ChangeCounters(db);
    countersOf.set(db, counters);
  }
  const of = counters;
  return () => of.version(kind);
}

/**
 * To be called by a store after each write to a counted table (the triggers bump the counters in the file):
 * a snapshot taken earlier in a request of this process is then read again.
 */
export const countedWrite = noteConfigWrite;
