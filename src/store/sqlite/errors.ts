/**
 * Which `node:sqlite` errors mean "the database cannot be used right now" (an outage: 503, try again): locked
 * past the busy timeout, I/O errors, a full disk, a file that cannot be opened or written, a closed handle.
 */
import { StoreUnavailableError } from '../errors.ts';

/** SQLite primary result codes (the low byte of the extended code) of an unusable database. */
const UNAVAILABLE_RESULT_CODES: ReadonlyMap<number, string> = new Map([
  [5, 'SQLITE_BUSY'],
  [6, 'SQLITE_LOCKED'],
  [8, 'SQLITE_READONLY'],
  [10, 'SQLITE_IOERR'],
  [13, 'SQLITE_FULL'],
  [14, 'SQLITE_CANTOPEN'],
]);

/**
 * A StoreUnavailableError for `node:sqlite` errors that mean an outage, else undefined.
 *
 * @example
 * ```ts
 * try { db.exec('INSERT ...'); } catch (err) { throw classifySqliteError(err) ?? err; } // 'database is locked'
 * ```
 */
export function classifySqliteError(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    const reason = UNAVAILABLE_RESULT_CODES.get(errcode & 0xff);
    return reason ? new StoreUnavailableError('sqlite', { cause: error, reason }) : undefined;
  }
  // A closed handle (a request racing the shutdown): node:sqlite reports the database, or the statements
  // it finalized on close.
  if (
    code === 'ERR_INVALID_STATE' &&
    (message === 'database is not open' || message === 'statement has been finalized')
  ) {
    return new StoreUnavailableError('sqlite', { cause: error, reason: 'closed' });
  }
  return undefined;
}
