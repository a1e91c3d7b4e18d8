/**
 * `GET /healthz` (the process is alive and serving) and `GET /readyz` (it can do useful work: every store
 * reachable, migrations applied, not shutting down), for load balancers and orchestrators.
 *
 * /healthz never touches a store: a database outage must not get healthy instances restarted. /readyz runs
 * every store check concurrently, each bounded by a timeout, and answers 200 or 503 with the detail as JSON.
 * The detail holds codes and timings only: driver messages name hosts and ports, so they go to the log.
 */
import express, { type Router } from 'express';
import { isStoreUnavailable, STORE_UNAVAILABLE } from '../store/errors.ts';
import { type StoreCheck, StoreNotReadyError } from '../store/readiness.ts';
import { type Logger, silentLogger } from './logger.ts';

export interface HealthRoutesOptions {
  /** The stores' readiness checks (`stores.checks`). */
  checks?: readonly StoreCheck[] | undefined;
  /** True once shutdown has begun: /readyz then answers 503 `SHUTTING_DOWN` so traffic moves elsewhere. */
  draining?: () => boolean;
  /** Longest wait for one check (default 2000 ms); a slower store counts as unreachable. */
  checkTimeoutMs?: number;
  logger?: Logger;
  /** Injectable clock (milliseconds) for the uptime. */
  now?: () => number;
}

/** One check's line in the /readyz answer. */
export interface CheckReport {
  status: 'ok' | 'unavailable';
  backend: StoreCheck['backend'];
  latencyMs: number;
  code?: string;
  [fact: string]: unknown;
}

/** Seconds a load balancer is told to wait before asking /readyz again after a 503. */
const READYZ_RETRY_AFTER_SECONDS = 5;

/**
 * The router with GET /healthz and GET /readyz.
 *
 * @example
 * ```ts
 * app.use(healthRoutes({ checks: stores.checks, draining: () => shuttingDown }));
 * ```
 */
export function healthRoutes(options: HealthRoutesOptions = {}): Router {
  const now = options.now ?? Date.now;
  const started = now();
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const logger = options.logger ?? silentLogger;
  const router = express.Router();

  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      status: 'ok',
      uptimeSeconds: Math.floor((now() - started) / 1000),
      ...(options.draining?.() ? { draining: true } : {}),
    });
  });

  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const reports = await Promise.all(
      (options.checks ?? []).map(
        async (check) => [check.name, await runCheck(check, timeoutMs, logger)] as const,
      ),
    );
    const checks = Object.fromEntries(reports);
    const draining = options.draining?.() ?? false;
    const failed = reports.find(([, r]) => r.status !== 'ok')?.[1];
    if (draining || failed) {
      res.status(503).setHeader('Retry-After', String(READYZ_RETRY_AFTER_SECONDS));
      res.json({
        status: draining ? 'draining' : 'unavailable',
        code: draining ? 'SHUTTING_DOWN' : failed?.code,
        checks,
      });
      return;
    }
    res.json({ status: 'ready', checks });
  });

  return router;
}

async function runCheck(check: StoreCheck, timeoutMs: number, logger: Logger): Promise<CheckReport> {
  const start = performance.now();
  const latency = () => Math.round(performance.now() - start);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(timeoutMs)), timeoutMs);
  });
  try {
    const facts = await Promise.race([check.run(), timeout]);
    return { status: 'ok', backend: check.backend, latencyMs: latency(), ...facts };
  } catch (error) {
    const code =
      error instanceof StoreNotReadyError
        ? error.code
        : isStoreUnavailable(error) || error instanceof CheckTimeout
          ? STORE_UNAVAILABLE
          : 'CHECK_FAILED';
    logger.warn('readyz.check_failed', {
      check: check.name,
      backend: check.backend,
      code,
      message: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.cause instanceof Error ? { cause: error.cause.message } : {}),
    });
    return {
      status: 'unavailable',
      backend: check.backend,
      latencyMs: latency(),
      code,
      ...(error instanceof StoreNotReadyError ? error.details : {}),
      ...(error instanceof CheckTimeout ? { timedOut: true } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}

class CheckTimeout extends Error {
  constructor(ms: number) {
    super(`The check did not answer within ${ms} ms.`);
  }
}
