/** The metrics room's public module: OpenTelemetry instruments on `@opentelemetry/api` only. */
export { createSpMetrics, errorCodeLabel, METER_NAME, type SpMetrics } from './instruments.ts';
