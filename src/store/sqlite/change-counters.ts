/**
 * The change counters of migrations 15 and 17: one integer per kind of configuration the sign-in path keeps
 * parsed between requests (connections, organizations, SP keys), and one for the SCIM directory, whose answers
 * about a signing-in user it keeps too. Triggers bump it inside every writing transaction, on
 * every process sharing the file, so "has anything of this kind changed since I read it?" is one point read of
 * an integer: no row read, no JSON compared or hashed. They are read together, and inside a request of
 * the sign-in path (`withConfigSnapshot`, src/store/config-snapshot.ts) once per request: a login asks about
 * the connection and the SP keys, an ACS about those, the organization and the directory, each read of the file
 * costs its locks; `/me`'s session read carries them ({@link offerCounters}).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { noteConfigWrite, primeSnapshot, snapshotOf } from '../config-snapshot.ts';

export type CountedKind = 'connections' | 'organizations' | 'sp_keys' | 'scim';

type Counters = Readonly<Record<CountedKind, number>>;

const KINDS: readonly CountedKind[] = ['connections', 'organizations', 'sp_keys', 'scim'];

/**
 * Every counter as a column of a select list, each named `prefix` + its kind: a statement the request makes
 * anyway can carry them (see {@link offerCounters}).
 */
export function counterColumns(prefix: string): string {
  return KINDS.map((k) => `(SELECT version FROM change_counters WHERE name = '${k}') AS ${prefix}${k}`).join(
    ', ',
  );
}

/** Every kind's counter of one database, in one statement. */
class ChangeCounters {
  readonly #read: StatementSync;

  constructor(db: DatabaseSync) {
    this.#read = db.prepare(`SELECT ${counterColumns('')}`);
  }

  /** The counters a statement of this request read anyway, offered as the request's view of them. */
  offer(counters: Counters): void {
    primeSnapshot(this, counters);
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

function countersFor(db: DatabaseSync): ChangeCounters {
  let counters = countersOf.get(db);
  if (!counters) {
    counters = new ChangeCounters(db);
    countersOf.set(db, counters);
  }
  return counters;
}

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
  const of = countersFor(db);
  return () => of.version(kind);
}

/**
 * Hands the counters that a statement read beside its own rows (select list from {@link counterColumns}) to the
 * request's snapshot: inside `withConfigSnapshot`, the request's later questions are answered from them, with
 * no read of their own. The statement must come before the rows those questions version (as any counter read).
 *
 * @example
 * ```ts
 * const row = db.prepare(`SELECT s.*, ${counterColumns('cc_')} FROM ...`).get(id);
 * offerCounters(db, row, 'cc_');
 * ```
 */
export function offerCounters(db: DatabaseSync, row: Record<string, unknown>, prefix: string): void {
  const counters: Record<string, number> = {};
  for (const kind of KINDS) {
    const value = row[prefix + kind];
    if (typeof value !== 'number') return;
    counters[kind] = value;
  }
  countersFor(db).offer(counters as Counters);
}

/**
 * Runs a store's write to a counted table, then tells this process's request snapshots that the counters moved
 * (the triggers bump them in the file): a snapshot taken earlier in a request is then read again, so a request
 * that writes and then asks sees its write. Told even when the write failed (a snapshot read again costs one
 * read).
 *
 * @example
 * ```ts
 * return counted(() => Number(this.#delete.run(id).changes) > 0);
 * ```
 */
export function counted<T>(write: () => T): T {
  try {
    return write();
  } finally {
    noteConfigWrite();
  }
}
