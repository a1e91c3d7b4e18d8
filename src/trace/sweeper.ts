/**
 * Retention for traces: a timer that purges what is past the retention period or the size cap now and then
 * (and once at start). Unref'd, so it never keeps a process alive on its own.
 */
import type { TraceService } from './service.ts';

/**
 * Starts sweeping; returns a stop function.
 *
 * @example
 * ```ts
 * const stop = startTraceSweeper(traces, { onSweep: (r) => logger.debug('traces.swept', r) });
 * ```
 */
export function startTraceSweeper(
  traces: TraceService,
  options: { intervalMs?: number; onSweep?: (result: { removed: number } | { error: unknown }) => void } = {},
): () => void {
  let running = false;
  const sweep = () => {
    if (running) return;
    running = true;
    traces
      .purge()
      .then((removed) => options.onSweep?.({ removed }))
      .catch((error: unknown) => options.onSweep?.({ error }))
      .finally(() => {
        running = false;
      });
  };
  sweep();
  const timer = setInterval(sweep, options.intervalMs ?? 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
