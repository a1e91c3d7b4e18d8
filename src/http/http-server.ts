/**
 * The node:http server under the Express app: the server's own limits on slow clients, and a graceful drain.
 *
 * Limits: `headersTimeout` (the request line and headers), `requestTimeout` (the whole request, body
 * included: a body trickled at 1 byte/s is cut off with 408 when it runs out) and `keepAliveTimeout` (an
 * idle kept-alive connection). Node checks the first two every `connectionsCheckingInterval`, 30 s by
 * default, which would let a slow client overstay by that much: the interval here follows the timeouts.
 *
 * Drain: stop accepting, answer the requests already received (each with `Connection: close`), close idle
 * connections as they become idle, and cut whatever is left at the deadline.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';

export interface HttpTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** What a drain did, for the shutdown log. */
export interface DrainResult {
  /** Requests being served when the drain began. */
  inFlight: number;
  /** Connections still open at the deadline, cut without an answer. */
  forced: number;
  ms: number;
}

/** A node:http server for `app` (an Express app or any request listener) with the given timeouts, and the means to drain it. */
export interface DrainableServer {
  server: Server;
  /** True once {@link drain} has been called. */
  readonly draining: boolean;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** Stops accepting and waits for in-flight requests until `deadline` (epoch ms), then cuts the rest. */
  drain(deadline: number): Promise<DrainResult>;
}

/**
 * Creates (does not start) the server.
 *
 * @example
 * ```ts
 * const http = createHttpServer(app, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
 * http.server.listen(3000, '127.0.0.1');
 * process.once('SIGTERM', () => http.drain(Date.now() + 10_000));
 * ```
 */
export function createHttpServer(app: RequestListener, timeouts: HttpTimeouts): DrainableServer {
  const shortest = Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs);
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      // A slow client is cut within a quarter of its timeout (at most 1 s) after it runs out.
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(shortest / 4))),
    },
    app,
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;

  let draining = false;
  const inFlight = new Set<ServerResponse>();
  // Before the app's listener, so the header is set before any handler writes.
  server.prependListener('request', (_req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) res.setHeader('Connection', 'close');
  });

  return {
    server,
    get draining() {
      return draining;
    },
    get inFlight() {
      return inFlight.size;
    },
    async drain(deadline) {
      const started = Date.now();
      const atStart = inFlight.size;
      draining = true;
      // Answers still being prepared go out with `Connection: close`: the client opens its next connection
      // elsewhere instead of finding this one closed under it.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
      });
      // server.close() closes the idle connections once; the busy ones become idle after their answer.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
      });
      const outcome = await Promise.race([closed.then(() => 'closed' as const), timedOut]);
      clearInterval(sweep);
      clearTimeout(timer);
      let forced = 0;
      if (outcome === 'timeout') {
        forced = await openConnections(server);
        server.closeAllConnections();
        await closed;
      }
      return { inFlight: atStart, forced, ms: Date.now() - started };
    },
  };
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));
}
