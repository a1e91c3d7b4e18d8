/**
 * Which `pg` errors mean "PostgreSQL cannot be reached" (an outage: 503, try again) rather than a bug or a
 * constraint violation. Classified here, at the adapter's edge, so nothing above the store layer reads driver
 * codes or messages.
 */
import { errorCode, NETWORK_ERROR_CODES, StoreUnavailableError } from '../errors.ts';

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 53 (insufficient resources: too many
 * connections, disk full, out of memory), 57P01-57P03 and 57P05 (administrator or crash shutdown, starting
 * up, idle session timeout), 58030 (I/O error), 28000/28P01 (credentials refused: rotated under a running
 * server) and 3D000 (the database is gone).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1235]|58030|28000|28P01|3D000)$/;

/** `pg`'s own texts for a connection that broke, timed out or belongs to an ended pool. */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end on the pool|Query read timeout)/;

/**
 * A StoreUnavailableError for `pg` errors that mean an outage, else undefined.
 *
 * @example
 * ```ts
 * classifyPostgresError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
 * // StoreUnavailableError { store: 'postgres', reason: 'ECONNREFUSED' }
 * ```
 */
export function classifyPostgresError(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  const code = errorCode(error);
  if (code !== undefined && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) {
    return new StoreUnavailableError('postgres', { cause: error, reason: code });
  }
  if (error instanceof Error && UNAVAILABLE_MESSAGE.test(error.message)) {
    return new StoreUnavailableError('postgres', { cause: error, reason: 'connection lost' });
  }
  return undefined;
}
