/**
 * `GET /metrics` of the standalone server: Prometheus text for the bearer of METRICS_TOKEN. Off unless
 * METRICS=on; the text itself comes from the OpenTelemetry SDK's Prometheus exporter (src/metrics/prometheus.ts).
 */
import express, { type Request, type Response, type Router } from 'express';
import { tokenMatches } from '../sp/tokens.ts';

export interface MetricsRouteOptions {
  /** METRICS_TOKEN: the scraper sends `Authorization: Bearer <token>`. */
  token: string;
  /** Writes the current metrics as Prometheus text. */
  handle: (req: Request, res: Response) => void;
}

export function metricsRoute(options: MetricsRouteOptions): Router {
  const router = express.Router();
  router.get('/metrics', (req, res) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    res.setHeader('Cache-Control', 'no-store');
    if (!tokenMatches(match?.[1], options.token)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res.json({
        error: {
          code: 'METRICS_UNAUTHORIZED',
          message: 'Missing or wrong metrics token.',
          hint: 'Configure the scraper with `authorization: { credentials: $METRICS_TOKEN }` (Bearer).',
        },
      });
      return;
    }
    options.handle(req, res);
  });
  return router;
}
