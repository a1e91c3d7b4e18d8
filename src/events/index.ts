/**
 * The events room (issue #13): the typed catalogue, the in-process bus, the webhook outbox worker (Standard
 * Webhooks), the webhook service behind the admin surfaces, and the certificate watch. Other rooms import
 * from here, never from the files.
 */
export { EventBus, type EventBusOptions, type EventListener, type EventLogger, newEventId } from './bus.ts';
export {
  CERTIFICATE_THRESHOLDS,
  type CertificateFacts,
  type CertificateThreshold,
  EVENT_TYPES,
  EVENT_VERSION,
  type EventData,
  type EventOf,
  type EventType,
  filterMatches,
  isEventType,
  isValidFilter,
  orderingKeyOf,
  type SamlSpEvent,
} from './catalogue.ts';
export { type CertificateWarning, certificateWarnings, expiryThreshold } from './certificate-expiry.ts';
export {
  CERTIFICATE_WATCH_LEASE,
  CertificateWatch,
  type CertificateWatchOptions,
} from './certificate-watch.ts';
export {
  DELIVERY_LEASE,
  type DeliveryPass,
  type WebhookDeliveryOptions,
  WebhookDeliveryWorker,
} from './delivery-worker.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, resolveRetryPolicy, retryDelay } from './retry-policy.ts';
export {
  type CreateWebhookInput,
  createWebhookSchema,
  type DeliveryView,
  type UpdateWebhookInput,
  updateWebhookSchema,
  type WebhookEndpointView,
  WebhookService,
  type WebhookServiceOptions,
} from './webhook-service.ts';
