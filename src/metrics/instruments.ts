/**
 * The OpenTelemetry instruments of saml-sp-kit, on `@opentelemetry/api` only: the library never loads an SDK.
 * Without one registered, every instrument is the API's no-op and costs next to nothing. An embedder who
 * registers a MeterProvider (globally, or passed as `metrics: createSpMetrics(provider)`) gets:
 *
 * | instrument                       | kind           | attributes                              |
 * |----------------------------------|----------------|-----------------------------------------|
 * | `saml_sp.sign_ins`               | counter        | `connection`, `outcome`, `error_code`   |
 * | `saml_sp.acs.duration` (s)       | histogram      | `connection`, `outcome`                 |
 * | `saml_sp.metadata.refreshes`     | counter        | `connection`, `outcome`, `changed`      |
 * | `saml_sp.webhook.deliveries`     | counter        | `event_type`, `outcome`                 |
 * | `saml_sp.webhook.outbox_depth`   | gauge (async)  | none                                    |
 *
 * In Prometheus text these read `saml_sp_sign_ins_total`, `saml_sp_acs_duration_seconds_bucket`, ...
 * Labels are bounded: an ACS URL naming no known connection counts under `connection="(unknown)"`, so an
 * anonymous stranger cannot grow the label set by inventing connection ids.
 */
import { type Counter, type Histogram, type MeterProvider, metrics } from '@opentelemetry/api';

/** The meter (instrumentation scope) name. */
export const METER_NAME = 'saml-sp-kit';

/** Seconds; an ACS does XML parsing, one or two RSA verifications and a few store round trips. */
const ACS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface SpMetrics {
  /** One per ACS outcome. */
  readonly signIns: Counter<{ connection: string; outcome: 'success' | 'failure'; error_code: string }>;
  /** ACS wall time, success or failure. */
  readonly acsDuration: Histogram<{ connection: string; outcome: 'success' | 'failure' }>;
  /** One per metadata refresh attempt (scheduled or asked for). */
  readonly metadataRefreshes: Counter<{
    connection: string;
    outcome: 'success' | 'failure';
    changed: boolean;
  }>;
  /**
   * One per webhook delivery attempt. The events room calls it: `outcome` is `delivered`, `failed` (will be
   * retried) or `dead` (retries exhausted).
   */
  readonly webhookDeliveries: Counter<{ event_type: string; outcome: 'delivered' | 'failed' | 'dead' }>;
  /**
   * Registers the reader of the webhook outbox depth (messages not yet delivered), read at each collection.
   * The events room calls it once with its outbox; returns a function that unregisters it.
   */
  observeOutboxDepth(read: () => number | Promise<number>): () => void;
}

/**
 * The instruments on `provider` (default: the global MeterProvider of `@opentelemetry/api`, a no-op unless
 * the application registered an SDK).
 *
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * const sp = new ServiceProvider({ ...options, metrics: createSpMetrics(new MeterProvider({ readers: [reader] })) });
 * ```
 */
export function createSpMetrics(provider: MeterProvider = metrics.getMeterProvider()): SpMetrics {
  const meter = provider.getMeter(METER_NAME);
  const outboxDepth = meter.createObservableGauge('saml_sp.webhook.outbox_depth', {
    description: 'Webhook messages in the outbox, not yet delivered.',
    unit: '{message}',
  });
  return {
    signIns: meter.createCounter('saml_sp.sign_ins', {
      description: 'SAML sign-ins (ACS outcomes) by connection, outcome and error code.',
    }),
    acsDuration: meter.createHistogram('saml_sp.acs.duration', {
      description: 'Time the Assertion Consumer Service took to accept or refuse a SAMLResponse.',
      unit: 's',
      advice: { explicitBucketBoundaries: ACS_BUCKETS },
    }),
    metadataRefreshes: meter.createCounter('saml_sp.metadata.refreshes', {
      description: 'IdP metadata refresh attempts by connection and outcome.',
    }),
    webhookDeliveries: meter.createCounter('saml_sp.webhook.deliveries', {
      description: 'Webhook delivery attempts by event type and outcome.',
    }),
    observeOutboxDepth(read) {
      const callback = async (result: { observe(value: number): void }) => {
        result.observe(await read());
      };
      outboxDepth.addCallback(callback);
      return () => outboxDepth.removeCallback(callback);
    },
  };
}

/** The error code label of a refusal: a stable code, never free text. */
export function errorCodeLabel(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'INTERNAL_ERROR';
}
