/**
 * A store that cannot be reached, as one typed error. Each backend's adapter classifies its driver's errors at
 * its edge (`postgres/errors.ts`, `redis/errors.ts`, `sqlite/errors.ts`) and wraps its stores with
 * {@link guardStore}, so everything above the store layer sees either a result, a
 * {@link StoreUnavailableError} (an outage: answer 503, try again later), or a genuine bug (500).
 */

/** Which backend failed. */
export type StoreBackend = 'postgres' | 'redis' | 'sqlite';

/** The stable code of a store outage: HTTP answers, the connection-health record and the log all use it. */
export const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE';

/** Seconds a client is told to wait (`Retry-After`) when a store is down. */
export const DEFAULT_STORE_RETRY_AFTER_SECONDS = 5;

const STORE_NAMES: Record<StoreBackend, string> = {
  postgres: 'PostgreSQL',
  redis: 'Redis',
  sqlite: 'SQLite',
};

/**
 * A store (database or Redis) could not serve the call: refused or dropped connection, server shutting down or
 * starting up, database locked, pool closed. Retrying later may succeed; the request itself was not at fault.
 * The driver's error is kept as `cause` (for the log only: it names hosts and ports).
 *
 * @example
 * ```ts
 * try {
 *   await stores.sessions.get(id, new Date());
 * } catch (err) {
 *   if (isStoreUnavailable(err)) res.status(503).set('Retry-After', String(err.retryAfterSeconds));
 * }
 * ```
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = STORE_UNAVAILABLE;
  /** The HTTP status a web adapter answers with. */
  readonly status = 503;
  readonly store: StoreBackend;
  readonly retryAfterSeconds: number;
  /** The driver's error code when it had one (`ECONNREFUSED`, `57P01`, `SQLITE_BUSY`, ...). */
  readonly reason: string | undefined;

  constructor(
    store: StoreBackend,
    options: { cause?: unknown; reason?: string; retryAfterSeconds?: number } = {},
  ) {
    super(`${STORE_NAMES[store]} cannot be reached${options.reason ? ` (${options.reason})` : ''}.`, {
      cause: options.cause,
    });
    this.store = store;
    this.reason = options.reason;
    this.retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_STORE_RETRY_AFTER_SECONDS;
  }
}

export function isStoreUnavailable(value: unknown): value is StoreUnavailableError {
  return value instanceof StoreUnavailableError;
}

/** Maps a driver error to a StoreUnavailableError, or returns undefined when it is not an outage. */
export type StoreErrorClassifier = (error: unknown) => StoreUnavailableError | undefined;

/** Socket-level failures every network driver reports with Node's `code`. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** The `code` of an error, or of the first error inside an AggregateError (Node's happy-eyeballs connect). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = errorCode(inner);
      if (innerCode) return innerCode;
    }
  }
  return undefined;
}

/**
 * Wraps a store so that every method's failure passes through `classify`: outages surface as
 * StoreUnavailableError, every other error unchanged. Methods run on the store itself (private fields work),
 * and `instanceof` still sees the store's class.
 *
 * @example
 * ```ts
 * const sessions = guardStore(new PostgresSessionStore(pool), classifyPostgresError);
 * ```
 */
export function guardStore<T extends object>(store: T, classify: StoreErrorClassifier): T {
  // One wrapper per method function (not per name: a test or a decorator may replace a method later).
  const wrappers = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>();
  const translate = (error: unknown): never => {
    throw classify(error) ?? error;
  };
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      let wrapper = wrappers.get(method);
      if (wrapper === undefined) {
        wrapper = (...args: unknown[]): unknown => {
          try {
            const result = Reflect.apply(method, target, args);
            return result instanceof Promise ? result.catch(translate) : result;
          } catch (error) {
            return translate(error);
          }
        };
        wrappers.set(method, wrapper);
      }
      return wrapper;
    },
  });
}

/**
 * Applies {@link guardStore} to every store object of a set of stores (the `Stores` of one backend), leaving
 * functions (`close`) and arrays as they are.
 *
 * @example
 * ```ts
 * return guardStores({ connections, users, sessions, requests, replay, close }, classifyPostgresError);
 * ```
 */
export function guardStores<T extends object>(stores: T, classify: StoreErrorClassifier): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stores)) {
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? guardStore(value, classify)
        : value;
  }
  return out as T;
}
