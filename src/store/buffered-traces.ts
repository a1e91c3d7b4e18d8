/**
 * Sign-in traces with the successful ones written behind, in batches: a trace was one durable commit of its
 * own per sign-in (the INSERT into `sign_in_traces`), for a record support reads when something went wrong.
 *
 * - A failed attempt's trace is written at once: the end user quotes its ID to support right after the
 *   error page, and it must be there, on every instance.
 * - A successful attempt's trace waits in memory and is written with the others every `flushMs` (one
 *   transaction for the batch on SQLite, one INSERT on PostgreSQL), and at `close()`.
 * - This instance's `get` and `list` include what it has not written yet; another instance sees a successful
 *   trace at most `flushMs` late.
 * - Loss window: a crash (not a shutdown) loses the successful traces of the last `flushMs`, at most
 *   `maxBuffered` of them; never a failure's trace.
 * - Fail-safe when full: a success that finds `maxBuffered` traces waiting writes the batch and waits for it
 *   (back-pressure, nothing dropped). A flush that fails (the database blinked) keeps its traces for the next
 *   one, up to `maxBuffered`; what does not fit is reported to `onFlushError` and dropped, as a trace whose
 *   write failed always was (TraceService reports it as `trace.write_failed`).
 */
import { SerialFlush } from './serial-flush.ts';
import type { SignInTrace, TraceQuery, TraceStore } from './traces.ts';
import { traceListLimit } from './traces.ts';

/** The default of {@link BufferedTraceStoreOptions.flushMs} (TRACE_FLUSH_MS). */
export const DEFAULT_TRACE_FLUSH_MS = 1_000;
/** The default of {@link BufferedTraceStoreOptions.maxBuffered}. */
export const DEFAULT_TRACE_MAX_BUFFERED = 2_000;

export interface BufferedTraceStoreOptions {
  /** How often buffered traces are written, in milliseconds. 0: every trace is written at once. */
  flushMs?: number;
  /** How many successful traces may wait; one more writes the batch first. */
  maxBuffered?: number;
  /** Told when a flush fails (with how many traces it kept and dropped). */
  onFlushError?: (error: unknown, facts: { kept: number; dropped: number }) => void;
}

/**
 * A {@link TraceStore} that buffers the traces of successful attempts in front of another one.
 *
 * @example
 * ```ts
 * const traces = new BufferedTraceStore(stores.traces, { flushMs: 1_000 });
 * // ... on shutdown, before stores.close():
 * await traces.close();
 * ```
 */
export class BufferedTraceStore implements TraceStore {
  // `put` keeps the trace object itself until it is written: do not change a trace after putting it.
  readonly #store: TraceStore;
  readonly #flushMs: number;
  readonly #maxBuffered: number;
  readonly #onFlushError: NonNullable<BufferedTraceStoreOptions['onFlushError']>;
  #pending = new Map<string, SignInTrace>();
  /** The batch being written: still read from here until its write lands. */
  #inFlight = new Map<string, SignInTrace>();
  readonly #flusher: SerialFlush;

  constructor(store: TraceStore, options: BufferedTraceStoreOptions = {}) {
    this.#store = store;
    this.#flushMs = options.flushMs ?? DEFAULT_TRACE_FLUSH_MS;
    this.#flusher = new SerialFlush(() => this.#flushNow(), this.#flushMs);
    this.#maxBuffered = Math.max(1, options.maxBuffered ?? DEFAULT_TRACE_MAX_BUFFERED);
    this.#onFlushError = options.onFlushError ?? (() => undefined);
  }

  /** How many traces wait to be written (pending and in flight). */
  get buffered(): number {
    return this.#pending.size + this.#inFlight.size;
  }

  async put(trace: SignInTrace): Promise<void> {
    if (this.#flushMs <= 0 || trace.outcome !== 'succeeded') return this.#store.put(trace);
    // Trace IDs are random; a repeated one keeps its first write, as the stores do.
    if (this.#pending.has(trace.traceId) || this.#inFlight.has(trace.traceId)) return;
    if (this.#pending.size >= this.#maxBuffered) await this.flush();
    // Kept as given, not copied (a copy per sign-in showed in the profile): TraceService builds a new trace
    // per attempt and never touches it again. Reads hand out copies.
    this.#pending.set(trace.traceId, trace);
    // One timer while anything is buffered; unref'd, so an idle process can exit.
    this.#flusher.schedule();
  }

  async putMany(traces: readonly SignInTrace[]): Promise<void> {
    for (const trace of traces) await this.put(trace);
  }

  async get(traceId: string): Promise<SignInTrace | undefined> {
    // The store first: a trace written there is the first write of its ID.
    const stored = await this.#store.get(traceId);
    if (stored) return stored;
    const buffered = this.#pending.get(traceId) ?? this.#inFlight.get(traceId);
    return buffered && structuredClone(buffered);
  }

  async list(query: TraceQuery = {}): Promise<SignInTrace[]> {
    const stored = await this.#store.list(query);
    const matching = [...this.#inFlight.values(), ...this.#pending.values()].filter(
      (t) =>
        (query.connectionId === undefined || t.connectionId === query.connectionId) &&
        (query.outcome === undefined || t.outcome === query.outcome),
    );
    if (matching.length === 0) return stored;
    const seen = new Set(stored.map((t) => t.traceId));
    return [...stored, ...matching.filter((t) => !seen.has(t.traceId)).map((t) => structuredClone(t))]
      .sort((a, b) => b.at.getTime() - a.at.getTime() || (a.traceId < b.traceId ? 1 : -1))
      .slice(0, traceListLimit(query));
  }

  async purge(options: { olderThan: Date; maxCount: number }): Promise<number> {
    // The cap counts every trace: write what waits first.
    await this.flush();
    return this.#store.purge(options);
  }

  /** Writes every buffered trace now. Never throws: a failed batch stays buffered for the next flush. */
  flush(): Promise<void> {
    return this.#flusher.flush();
  }

  /** Stops the timer and writes what is left (call before the underlying store closes). */
  close(): Promise<void> {
    return this.#flusher.close();
  }

  async #flushNow(): Promise<void> {
    if (this.#pending.size === 0) return;
    this.#inFlight = this.#pending;
    this.#pending = new Map();
    const batch = [...this.#inFlight.values()];
    try {
      if (this.#store.putMany) await this.#store.putMany(batch);
      else for (const trace of batch) await this.#store.put(trace);
    } catch (error) {
      // Kept ahead of what arrived since, within the bound; the rest is dropped and reported.
      const room = Math.max(0, this.#maxBuffered - this.#pending.size);
      const kept = room === 0 ? [] : batch.slice(Math.max(0, batch.length - room));
      const merged = new Map(kept.map((t) => [t.traceId, t]));
      for (const [id, t] of this.#pending) if (!merged.has(id)) merged.set(id, t);
      this.#pending = merged;
      this.#onFlushError(error, { kept: kept.length, dropped: batch.length - kept.length });
      if (this.#pending.size > 0) {
        this.#flusher.schedule();
      }
    } finally {
      this.#inFlight = new Map();
    }
  }
}
