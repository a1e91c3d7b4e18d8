/** Connection health in process memory: tests, `DATABASE_URL=memory:`, and the fallback for adapters without one. */
import {
  type ConnectionHealth,
  type ConnectionHealthStore,
  clip,
  type SignInFailureRecord,
  type SignInSuccessRecord,
} from '../connection-health.ts';

/**
 * An in-process {@link ConnectionHealthStore}. Values are copied in and out.
 *
 * @example
 * ```ts
 * const health = new MemoryConnectionHealthStore();
 * await health.recordSuccess('acme', { at: new Date(), nameId: 'alice', userId: 'u1' });
 * ```
 */
export class MemoryConnectionHealthStore implements ConnectionHealthStore {
  readonly #rows = new Map<string, ConnectionHealth>();

  #row(connectionId: string): ConnectionHealth {
    let row = this.#rows.get(connectionId);
    if (!row) {
      row = { connectionId, successCount: 0, failureCount: 0 };
      this.#rows.set(connectionId, row);
    }
    return row;
  }

  async recordSuccess(connectionId: string, success: SignInSuccessRecord, count = 1): Promise<void> {
    const row = this.#row(connectionId);
    row.successCount += count;
    row.lastSuccess = { ...success, at: new Date(success.at) };
  }

  async recordFailure(connectionId: string, failure: SignInFailureRecord): Promise<void> {
    const row = this.#row(connectionId);
    row.failureCount += 1;
    row.lastFailure = {
      at: new Date(failure.at),
      code: failure.code,
      message: clip(failure.message),
      hint: clip(failure.hint),
      ...(failure.traceId !== undefined ? { traceId: failure.traceId } : {}),
    };
  }

  async get(connectionId: string): Promise<ConnectionHealth | undefined> {
    const row = this.#rows.get(connectionId);
    return row && structuredClone(row);
  }

  async list(): Promise<ConnectionHealth[]> {
    return [...this.#rows.values()]
      .sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0))
      .map((row) => structuredClone(row));
  }

  async delete(connectionId: string): Promise<boolean> {
    return this.#rows.delete(connectionId);
  }
}
