/**
 * Connection health with successes counted in memory and written now and then: a successful sign-in was one
 * database write of its own (the counter upsert) for a figure an admin reads a few times a day. Failures are
 * written at once: they are rare, and an admin who is fixing a connection waits for them.
 *
 * This instance's reads add what it has not written yet, so its admin page and API never lag; another
 * instance sees the successes counted here at the next flush (at most `flushMs` late). `close()` writes what
 * is left (the server calls it on shutdown, before the stores close). A flush that fails (the database
 * blinked) keeps its counts for the next one: nothing is lost short of a crash, which loses at most
 * `flushMs` of success counts and never a failure.
 */

import type {
  ConnectionHealth,
  ConnectionHealthStore,
  SignInFailureRecord,
  SignInSuccessRecord,
} from './connection-health.ts';
import { SerialFlush } from './serial-flush.ts';

/** The default of {@link BufferedConnectionHealthOptions.flushMs} (HEALTH_FLUSH_MS). */
export const DEFAULT_HEALTH_FLUSH_MS = 5_000;

export interface BufferedConnectionHealthOptions {
  /** How often buffered successes are written, in milliseconds. 0: every success is written at once. */
  flushMs?: number;
  /** Told when a flush fails (the counts stay buffered and are retried at the next one). */
  onFlushError?: (error: unknown) => void;
}

interface Pending {
  count: number;
  last: SignInSuccessRecord;
}

/**
 * A {@link ConnectionHealthStore} that buffers successes in front of another one.
 *
 * @example
 * ```ts
 * const health = new BufferedConnectionHealth(stores.connectionHealth, { flushMs: 5_000 });
 * // ... on shutdown, before stores.close():
 * await health.close();
 * ```
 */
export class BufferedConnectionHealth implements ConnectionHealthStore {
  readonly #store: ConnectionHealthStore;
  readonly #flushMs: number;
  readonly #onFlushError: (error: unknown) => void;
  #pending = new Map<string, Pending>();
  /** The batch being written: still counted by reads until its write lands. */
  #inFlight = new Map<string, Pending>();
  readonly #flusher: SerialFlush;

  constructor(store: ConnectionHealthStore, options: BufferedConnectionHealthOptions = {}) {
    this.#store = store;
    this.#flushMs = options.flushMs ?? DEFAULT_HEALTH_FLUSH_MS;
    this.#flusher = new SerialFlush(() => this.#flushNow(), this.#flushMs);
    this.#onFlushError = options.onFlushError ?? (() => undefined);
  }

  async recordSuccess(connectionId: string, success: SignInSuccessRecord, count = 1): Promise<void> {
    if (this.#flushMs <= 0) return this.#store.recordSuccess(connectionId, success, count);
    const pending = this.#pending.get(connectionId);
    if (pending) {
      pending.count += count;
      if (success.at >= pending.last.at) pending.last = success;
    } else {
      this.#pending.set(connectionId, { count, last: success });
    }
    // One timer while anything is buffered; unref'd, so an idle process can exit.
    this.#flusher.schedule();
  }

  recordFailure(connectionId: string, failure: SignInFailureRecord): Promise<void> {
    return this.#store.recordFailure(connectionId, failure);
  }

  async get(connectionId: string): Promise<ConnectionHealth | undefined> {
    const stored = await this.#store.get(connectionId);
    return withPending(stored, connectionId, this.#buffered(connectionId));
  }

  async list(): Promise<ConnectionHealth[]> {
    const stored = await this.#store.list();
    const byId = new Map(stored.map((h) => [h.connectionId, h]));
    const ids = new Set([...byId.keys(), ...this.#pending.keys(), ...this.#inFlight.keys()]);
    return [...ids]
      .sort()
      .map((id) => withPending(byId.get(id), id, this.#buffered(id)))
      .filter((h): h is ConnectionHealth => h !== undefined);
  }

  async delete(connectionId: string): Promise<boolean> {
    // Both maps: `||` would leave an in-flight count behind when a pending one was dropped.
    const pending = this.#pending.delete(connectionId);
    const inFlight = this.#inFlight.delete(connectionId);
    // The running flush may be writing this connection's counts right now: deleting before that write lands
    // would let it put the row back. A flush that has not reached it yet skips it (it left #inFlight above).
    if (inFlight) await this.#flusher.running;
    return (await this.#store.delete(connectionId)) || pending || inFlight;
  }

  /** Writes every buffered success now. Never throws: a failed write stays buffered for the next flush. */
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
    for (const [connectionId, { count, last }] of this.#inFlight) {
      try {
        await this.#store.recordSuccess(connectionId, last, count);
      } catch (error) {
        this.#onFlushError(error);
        // Kept for the next flush, merged with what arrived since; unless the connection's health was deleted
        // while this write was under way (it left #inFlight then).
        if (this.#inFlight.has(connectionId)) void this.recordSuccess(connectionId, last, count);
      }
      this.#inFlight.delete(connectionId);
    }
  }

  /** What this instance counted and has not written yet, for one connection. */
  #buffered(connectionId: string): Pending | undefined {
    const a = this.#pending.get(connectionId);
    const b = this.#inFlight.get(connectionId);
    if (!a || !b) return a ?? b;
    return { count: a.count + b.count, last: a.last.at >= b.last.at ? a.last : b.last };
  }
}

function withPending(
  stored: ConnectionHealth | undefined,
  connectionId: string,
  pending: Pending | undefined,
): ConnectionHealth | undefined {
  if (!pending) return stored;
  const base = stored ?? { connectionId, successCount: 0, failureCount: 0 };
  const newer = !base.lastSuccess || pending.last.at >= base.lastSuccess.at;
  return {
    ...base,
    successCount: base.successCount + pending.count,
    // A copy: callers may change what they read.
    ...(newer ? { lastSuccess: { ...pending.last, at: new Date(pending.last.at) } } : {}),
  };
}
