/**
 * The SCIM directory's answer to "which SCIM user is signing in?", kept between requests behind the `scim`
 * change counter (migration 17). The question is asked at the ACS and again at every session read (`/me`,
 * src/scim/linking.ts), so a sign-in read the directory twice, and an organization whose directory holds no
 * user at all paid the same indexed read for nothing.
 *
 * Never stale: the counter is bumped by triggers inside every transaction that writes `scim_users`,
 * `scim_groups` or `scim_group_members`, on every instance sharing the file, and it is read BEFORE the rows
 * (a write landing between the two shows as a changed counter at the next question, never as a row kept). So a
 * user deprovisioned on another instance is refused at the next request here, as an edited connection is. A
 * write of this process drops the request's counter snapshot (`countedWrite`), so it is seen at once too.
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import { changeCounter } from './change-counters.ts';

type Row = Record<string, SQLOutputValue>;

/** Answers kept per counter value: organizations, and (organization, keys) lookups. Past that, kept afresh. */
const MAX_KEPT = 4_096;

/**
 * @example
 * ```ts
 * const lookups = new ScimSignInLookups(db);
 * const row = lookups.find('acme', ['alice@acme.test']); // the raw row, or undefined
 * ```
 */
export class ScimSignInLookups {
  readonly #db: DatabaseSync;
  readonly #version: () => number;
  readonly #anyUser: StatementSync;
  /** The lookup's statement per number of keys (one or two at every sign-in): prepared once each. */
  readonly #byKeys = new Map<number, StatementSync>();
  /** The counter value the maps below were read at. */
  #at = -1;
  /** Organization -> whether its directory holds any user (tombstones count: they must be refused). */
  readonly #populated = new Map<string, boolean>();
  /** Organization and lower-cased keys -> the row found, or null for none. */
  readonly #found = new Map<string, Row | null>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#version = changeCounter(db, 'scim');
    this.#anyUser = db.prepare(
      'SELECT EXISTS (SELECT 1 FROM scim_users WHERE organization_id = ?) AS populated',
    );
  }

  /**
   * The row of the user whose userName or email (lower-cased) is one of `lowered`, a live user before a
   * tombstone; undefined when there is none. The row is shared: map it to a fresh object, do not change it.
   */
  find(organizationId: string, lowered: string[]): Row | undefined {
    const version = this.#version();
    if (version !== this.#at) {
      this.#populated.clear();
      this.#found.clear();
      this.#at = version;
    }
    let populated = this.#populated.get(organizationId);
    if (populated === undefined) {
      populated = this.#anyUser.get(organizationId)?.populated === 1;
      keep(this.#populated, organizationId, populated);
    }
    if (!populated) return undefined;
    const key = `${organizationId}\u0000${lowered.join('\u0000')}`;
    const kept = this.#found.get(key);
    if (kept !== undefined) return kept ?? undefined;
    const row = this.#statement(lowered.length).get(organizationId, ...lowered, ...lowered);
    keep(this.#found, key, row ?? null);
    return row;
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

/** Sets `key`, starting the map afresh when it is full (what was kept is only a cache of the file). */
function keep<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_KEPT) map.clear();
  map.set(key, value);
}
