/**
 * What `/readyz` asks of the stores: one check per backend (the database, and Redis when configured). A check
 * resolves with facts when its store can serve requests and throws when it cannot: a StoreUnavailableError
 * (unreachable) or a {@link StoreNotReadyError} (reachable, but the schema is behind this code).
 */

/** One readiness check of {@link import('./types.ts').Stores}. */
export interface StoreCheck {
  /** What `/readyz` reports it as: `'database'` or `'redis'`. */
  name: 'database' | 'redis';
  backend: 'memory' | 'sqlite' | 'postgres' | 'redis';
  /** Resolves with facts (e.g. `{ migrations: { applied: 4, expected: 4 } }`); throws when not ready. */
  run(): Promise<Record<string, unknown>>;
}

/**
 * The store answers, but is not ready for this code (its migrations have not all been applied).
 *
 * @example
 * ```ts
 * if (error instanceof StoreNotReadyError) console.error(error.code, error.details.pending); // MIGRATIONS_PENDING [5]
 * ```
 */
export class StoreNotReadyError extends Error {
  override readonly name = 'StoreNotReadyError';
  readonly code = 'MIGRATIONS_PENDING';
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown>) {
    super(message);
    this.details = details;
  }
}

/**
 * Compares the versions a database reports as applied with the versions this code ships; throws
 * StoreNotReadyError when one is missing.
 *
 * @example
 * ```ts
 * migrationFacts([1, 2, 3], MIGRATIONS); // { migrations: { applied: 3, expected: 3 } }, or throws
 * ```
 */
export function migrationFacts(
  applied: readonly number[],
  expected: readonly { version: number }[],
): { migrations: { applied: number; expected: number } } {
  const done = new Set(applied);
  const pending = expected.map((m) => m.version).filter((v) => !done.has(v));
  const facts = { migrations: { applied: applied.length, expected: expected.length } };
  if (pending.length > 0) {
    throw new StoreNotReadyError(`Migrations not applied: ${pending.join(', ')}.`, {
      ...facts.migrations,
      pending,
    });
  }
  return facts;
}
