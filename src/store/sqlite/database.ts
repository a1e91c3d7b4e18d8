/** Opening the one SQLite file every SQLite store shares. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate } from './migrations.ts';

/** How long a writer waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * WAL pages after which a commit checkpoints (SQLite's default is 1,000). A sign-in writes about 9 pages, so
 * the default checkpointed every ~100 sign-ins, each time copying pages back and calling fsync twice, on the
 * request path. 10,000 pages (a WAL of up to ~40 MB) checkpoints ten times less often, and each checkpoint
 * writes a hot page once instead of once per hundred sign-ins: measured ~17% off the sign-in transaction.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * SQLite's page cache per connection, in KiB (SQLite's default is 2,000). Sessions and replay records are
 * inserted at random places of their B-trees (keys are random), so a sign-in touches leaf pages all over the
 * file, and since migration 16 the sessions' B-tree holds whole rows: with the default cache many of those
 * pages were read back with a pread. Measured over 31,000 sign-ins' store calls: 3.1 reads per sign-in with the
 * default (1.8 before migration 16), 1.4 with 8 MiB. Costs at most that much memory per process.
 */
const PAGE_CACHE_KIB = 8_192;

/**
 * Opens (creating it and its parent directories when missing) and migrates the database at `file`, an
 * absolute path or `':memory:'`. WAL lets readers run beside the single writer; `synchronous=NORMAL` is the
 * usual WAL pairing (durable against application crashes, may lose the last commits on power loss).
 *
 * @example
 * ```ts
 * const db = openSqliteDatabase('/var/lib/saml-sp/saml-sp.db');
 * ```
 */
export function openSqliteDatabase(file: string): DatabaseSync {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.exec(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Reads a TEXT column that the schema declares NOT NULL. */
export function text(value: unknown): string {
  if (typeof value !== 'string')
    throw new TypeError(`Expected a TEXT value from SQLite, got ${typeof value}`);
  return value;
}

/** Reads a nullable TEXT column, mapping NULL to undefined. */
export function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : text(value);
}

/** Reads an INTEGER column holding epoch milliseconds. */
export function date(value: unknown): Date {
  if (typeof value !== 'number')
    throw new TypeError(`Expected an INTEGER value from SQLite, got ${typeof value}`);
  return new Date(value);
}
