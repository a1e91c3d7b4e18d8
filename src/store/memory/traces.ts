/** Traces in process memory: tests, `DATABASE_URL=memory:`, and the fallback for a backend without a trace store. */
import { type SignInTrace, type TraceQuery, type TraceStore, traceListLimit } from '../traces.ts';

/**
 * An in-process {@link TraceStore}; values are copied in and out (structuredClone).
 *
 * @example
 * ```ts
 * const traces = new MemoryTraceStore();
 * ```
 */
export class MemoryTraceStore implements TraceStore {
  readonly #rows = new Map<string, SignInTrace>();

  async put(trace: SignInTrace): Promise<void> {
    if (!this.#rows.has(trace.traceId)) this.#rows.set(trace.traceId, structuredClone(trace));
  }

  async putMany(traces: readonly SignInTrace[]): Promise<void> {
    for (const trace of traces) await this.put(trace);
  }

  async get(traceId: string): Promise<SignInTrace | undefined> {
    const row = this.#rows.get(traceId);
    return row && structuredClone(row);
  }

  async list(query: TraceQuery = {}): Promise<SignInTrace[]> {
    return this.#newestFirst()
      .filter((t) => query.connectionId === undefined || t.connectionId === query.connectionId)
      .filter((t) => query.outcome === undefined || t.outcome === query.outcome)
      .slice(0, traceListLimit(query))
      .map((t) => structuredClone(t));
  }

  async purge({ olderThan, maxCount }: { olderThan: Date; maxCount: number }): Promise<number> {
    let removed = 0;
    this.#newestFirst().forEach((t, index) => {
      if (t.at < olderThan || index >= maxCount) {
        this.#rows.delete(t.traceId);
        removed += 1;
      }
    });
    return removed;
  }

  #newestFirst(): SignInTrace[] {
    return [...this.#rows.values()].sort(
      (a, b) => b.at.getTime() - a.at.getTime() || (a.traceId < b.traceId ? 1 : -1),
    );
  }
}
