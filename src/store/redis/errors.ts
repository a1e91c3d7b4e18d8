/**
 * Which node-redis errors mean "Redis cannot be reached" (an outage: 503, try again). Matched by class name and
 * reply prefix rather than `instanceof`, so this file does not load the driver.
 */
import { errorCode, NETWORK_ERROR_CODES, StoreUnavailableError } from '../errors.ts';

/** node-redis's connection-level error classes. */
const UNAVAILABLE_CLASSES: ReadonlySet<string> = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  'DisconnectsClientError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'ReconnectStrategyError',
  'RootNodesUnavailableError',
  'TimeoutError',
  'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError',
]);

/**
 * Error replies of a Redis that is up but cannot serve: loading its dataset, a read-only replica after a
 * failover, no reachable master, a cluster slot being moved or down, a script blocking it, out of memory.
 */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|BUSY|OOM)\b/;

/**
 * A StoreUnavailableError for node-redis errors that mean an outage, else undefined.
 *
 * @example
 * ```ts
 * try { await client.get(key); } catch (err) { throw classifyRedisError(err) ?? err; }
 * ```
 */
export function classifyRedisError(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  if (!(error instanceof Error)) return undefined;
  const className = error.constructor?.name ?? '';
  if (UNAVAILABLE_CLASSES.has(className)) {
    return new StoreUnavailableError('redis', { cause: error, reason: className });
  }
  const code = errorCode(error);
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return new StoreUnavailableError('redis', { cause: error, reason: code });
  }
  const reply = UNAVAILABLE_REPLY.exec(error.message);
  if (reply) return new StoreUnavailableError('redis', { cause: error, reason: reply[1] });
  return undefined;
}
