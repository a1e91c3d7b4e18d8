/**
 * Expiry for the session registry. Reads already ignore expired sessions (SessionStore.get and findByNameId
 * compare expiresAt), so this only keeps storage small: a timer that deletes expired rows now and then. The
 * timer is unref'd, so it never keeps a process alive on its own.
 */
import type { SessionStore } from '../store/types.ts';

export interface SessionSweeperOptions {
  /** Default 10 minutes. */
  intervalMs?: number;
  now?: () => Date;
  /** Told how many sessions each sweep removed, or why it failed. */
  onSweep?: (result: { removed: number } | { error: unknown }) => void;
}

/**
 * Starts sweeping; returns a stop function.
 *
 * @example
 * ```ts
 * const stop = startSessionSweeper(stores.sessions, { onSweep: (r) => logger.debug('sessions.swept', r) });
 * // on shutdown:
 * stop();
 * ```
 */
export function startSessionSweeper(sessions: SessionStore, options: SessionSweeperOptions = {}): () => void {
  const intervalMs = options.intervalMs ?? 10 * 60_000;
  const now = options.now ?? (() => new Date());
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sessions
      .purgeExpired(now())
      .then((removed) => options.onSweep?.({ removed }))
      .catch((error: unknown) => options.onSweep?.({ error }))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
