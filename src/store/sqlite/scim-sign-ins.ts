/**
 * The SCIM directory's answers to the sign-in path, kept between requests behind the `scim` change counter
 * (migration 17): "which SCIM user is signing in?", asked at the ACS and again at every session read (`/me`,
 * src/scim/linking.ts), and, for a linked user, "does the directory push groups?" and "which groups is the user
 * in?", asked at every session read. A sign-in read the directory at least twice, and an organization whose
 * directory holds no user at all paid an indexed read for nothing each time.
 *
 * Never stale: the counter is bumped by triggers inside every transaction that writes `scim_users`,
 * `scim_groups` or `scim_group_members`, on every instance sharing the file, and it is read BEFORE the rows
 * (a write landing between the two shows as a changed counter at the next question, never as a row kept). So a
 * user deprovisioned on another instance is refused at the next request here, as an edited connection is. A
 * write of this process drops the request's counter snapshot (`counted`), so it is seen at once too.
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import { changeCounter } from './change-counters.ts';

type Row = Record<string, SQLOutputValue>;

/** Answers kept per counter value. Past that, kept afresh. */
const MAX_KEPT = 4_096;

/**
 * Rows are shared between callers: map them to fresh objects, never change them.
 *
 * @example
 * ```ts
 * const answers = new ScimSignInAnswers(db);
 * const row = answers.userFor('acme', ['alice@acme.test']); // the raw row, or undefined
 * ```
 */
export class ScimSignInAnswers {
  readonly #db: DatabaseSync;
  readonly #version: () => number;
  readonly #anyUser: StatementSync;
  readonly #countGroups: StatementSync;
  readonly #groupsOf: StatementSync;
  /** The user lookup's statement per number of keys (one or two at every sign-in): prepared once each. */
  readonly #byKeys = new Map<number, StatementSync>();
  /** The counter value the answers below were read at. */
  #at = -1;
  readonly #kept = new Map<string, unknown>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#version = changeCounter(db, 'scim');
    this.#anyUser = db.prepare(
      'SELECT EXISTS (SELECT 1 FROM scim_users WHERE organization_id = ?) AS populated',
    );
    this.#countGroups = db.prepare('SELECT count(*) AS n FROM scim_groups WHERE organization_id = ?');
    this.#groupsOf = db.prepare(`SELECT g.* FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.organization_id = ? AND m.member_id = ? ORDER BY g.rowid`);
  }

  /**
   * The row of the user whose userName or email (lower-cased) is one of `lowered`, a live user before a
   * tombstone; undefined when there is none.
   */
  userFor(organizationId: string, lowered: string[]): Row | undefined {
    this.#current();
    // Tombstones count as users here: they must be found, to be refused.
    const populated = this.#keep(
      `populated\u0000${organizationId}`,
      () => this.#anyUser.get(organizationId)?.populated === 1,
    );
    if (!populated) return undefined;
    const key = `user\u0000${organizationId}\u0000${lowered.join('\u0000')}`;
    const row = this.#keep(
      key,
      () => this.#statement(lowered.length).get(organizationId, ...lowered, ...lowered) ?? null,
    );
    return row ?? undefined;
  }

  /** How many groups the organization's directory holds. */
  groupCount(organizationId: string): number {
    this.#current();
    return this.#keep(`groups\u0000${organizationId}`, () =>
      Number(this.#countGroups.get(organizationId)?.n),
    );
  }

  /** The rows of the groups whose members include `memberId`, in creation order. */
  groupsOf(organizationId: string, memberId: string): readonly Row[] {
    this.#current();
    return this.#keep(`member\u0000${organizationId}\u0000${memberId}`, () =>
      this.#groupsOf.all(organizationId, memberId),
    );
  }

  /** Drops what was kept when the counter moved (read first: before any row it versions). */
  #current(): void {
    const version = this.#version();
    if (version !== this.#at) {
      this.#kept.clear();
      this.#at = version;
    }
  }

  #keep<T>(key: string, read: () => T): T {
    if (this.#kept.has(key)) return this.#kept.get(key) as T;
    const value = read();
    // Only a cache of the file: when full, it starts afresh.
    if (this.#kept.size >= MAX_KEPT) this.#kept.clear();
    this.#kept.set(key, value);
    return value;
  }

  #statement(keys: number): StatementSync {
    let statement = this.#byKeys.get(keys);
    if (!statement) {
      const marks = Array.from({ length: keys }, () => '?').join(', ');
      // Few keys (a NameID and an email), each an index probe; a live user wins over a tombstone.
      statement = this.#db.prepare(
        `SELECT * FROM scim_users WHERE organization_id = ? AND (user_name_key IN (${marks}) OR email_key IN (${marks}))
         ORDER BY deleted, rowid LIMIT 1`,
      );
      // The keys come from one assertion (a NameID, an email): a handful of lengths, never an unbounded set.
      if (keys <= 8) this.#byKeys.set(keys, statement);
    }
    return statement;
  }
}
