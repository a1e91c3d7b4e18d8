/**
 * The standalone server's `/metrics`: an OpenTelemetry SDK MeterProvider read by the SDK's Prometheus
 * exporter, which serialises the text format (we write none of it by hand). Server-only: the library paths
 * import `@opentelemetry/api` alone, and this file is loaded (dynamically) only when METRICS=on, so the SDK
 * packages are optional peer dependencies.
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Request, Response } from 'express';

export interface PrometheusMetrics {
  provider: MeterProvider;
  /** Writes the Prometheus text of the current values. */
  handle(req: Request, res: Response): void;
  shutdown(): Promise<void>;
}

/** A MeterProvider of this server alone (not the global one: two servers in one process stay apart). */
export function createPrometheusMetrics(): PrometheusMetrics {
  // preventServerStart: the exporter's own HTTP server would listen on 9464 without our token check.
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({
    readers: [exporter],
    resource: resourceFromAttributes({ 'service.name': 'saml-sp-kit' }),
  });
  return {
    provider,
    handle: (req, res) => exporter.getMetricsRequestHandler(req, res),
    shutdown: () => provider.shutdown(),
  };
}
