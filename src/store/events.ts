/**
 * The stores behind lifecycle events (issue #13): webhook endpoints, the outbox of events waiting to be
 * delivered with its delivery log ({@link WebhookStore}), and the record of certificate-expiry alerts already
 * raised ({@link CertificateAlertStore}). One adapter per backend (memory, SQLite, PostgreSQL: migration 7),
 * one contract suite (test/store/events.contract.ts).
 *
 * The outbox keeps the delivery state per (event, endpoint) message. Messages about one connection to one
 * endpoint carry the same ordering key and go out in `seq` order: {@link WebhookStore.due} offers only the
 * oldest pending message of each key, so a later one waits until the earlier one is delivered or given up.
 */

/** A registered webhook receiver. */
export interface WebhookEndpointRecord {
  /** `ep_` + random. */
  id: string;
  url: string;
  /**
   * The Standard Webhooks signing secret (`whsec_` + base64). Stored as is, because signing needs it; the
   * admin API shows it once, at creation.
   */
  secret: string;
  description?: string;
  /** Event types (or `family.*`, `*`) to deliver; empty delivers every type. */
  eventTypes: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** An event as the outbox keeps it: the envelope as JSON text, exactly as it will be delivered. */
export interface OutboxEvent {
  id: string;
  type: string;
  /** The JSON body of every delivery (the signature covers these bytes). */
  payload: string;
  createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event on its way to one endpoint. */
export interface OutboxMessage {
  /** `msg_` + random. */
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  /** Messages with the same key (the connection id) to the same endpoint are delivered in `seq` order. */
  orderingKey?: string;
  /** Insertion order across the outbox. */
  seq: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  lastAttemptAt?: Date;
  lastStatusCode?: number;
  lastError?: string;
}

/** A message due for delivery, with the bytes to send. */
export interface DueMessage {
  message: OutboxMessage;
  event: OutboxEvent;
}

/** One delivery attempt, as the delivery log shows it. */
export interface DeliveryAttempt {
  messageId: string;
  /** 1 for the first attempt; manual redeliveries continue the count. */
  attempt: number;
  at: Date;
  /** The receiver's HTTP status; absent when no answer came (refused, timed out). */
  statusCode?: number;
  durationMs: number;
  /** Why it failed (network error, HTTP status); absent on success. */
  error?: string;
}

/** What becomes of a message after an attempt. */
export type AttemptOutcome =
  | { status: 'delivered' }
  | { status: 'failed' }
  | { status: 'pending'; nextAttemptAt: Date };

export interface WebhookStore {
  /** Inserts or replaces an endpoint by id. */
  putEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  /** Oldest first. */
  listEndpoints(): Promise<WebhookEndpointRecord[]>;
  /** Removes the endpoint and its messages; false when there was none. */
  deleteEndpoint(id: string): Promise<boolean>;

  /**
   * Writes the event and one pending message per endpoint (due at `event.createdAt`) in one transaction.
   * Nothing is written when `endpointIds` is empty.
   */
  enqueue(event: OutboxEvent, endpointIds: readonly string[], orderingKey: string | undefined): Promise<void>;
  /**
   * Pending messages due at `now`, oldest first, at most `limit`, and of each (endpoint, ordering key) only
   * the oldest pending one: a message is never offered while an earlier one of its key is pending.
   */
  due(now: Date, limit: number): Promise<DueMessage[]>;
  /** Logs an attempt and moves its message on (delivered, given up, or pending until `nextAttemptAt`). */
  recordAttempt(attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void>;
  getMessage(id: string): Promise<OutboxMessage | undefined>;
  /** Newest first. */
  listMessages(filter?: {
    endpointId?: string;
    status?: DeliveryStatus;
    limit?: number;
  }): Promise<OutboxMessage[]>;
  /** Oldest first. */
  listAttempts(messageId: string): Promise<DeliveryAttempt[]>;
  /** Manual redelivery: the message is pending again, due at `now`. False when there is no such message. */
  redeliver(messageId: string, now: Date): Promise<boolean>;
  /** How many messages are pending (the outbox depth). */
  depth(): Promise<number>;
  /**
   * Forgets delivered and given-up messages created before `before`, with their attempts, and events left
   * without messages. Pending messages are never purged. Returns how many messages went.
   */
  purge(before: Date): Promise<number>;
}

/** Which certificate-expiry thresholds were already raised, so each is raised once per certificate. */
export interface CertificateAlertStore {
  /** Whether `key` was recorded. */
  has(key: CertificateAlertKey): Promise<boolean>;
  /** Records `key`; returns false when it was already recorded (atomic: of two callers one gets true). */
  record(key: CertificateAlertKey, at: Date): Promise<boolean>;
  /** The recorded alerts of one connection. */
  list(connectionId: string): Promise<Array<CertificateAlertKey & { at: Date }>>;
}

export interface CertificateAlertKey {
  connectionId: string;
  fingerprintSha256: string;
  /** `30d`, `7d`, `1d` or `expired`. */
  threshold: string;
}

/** The id of the message carrying `eventId` to `endpointId` (the same in every backend). */
export function messageIdFor(eventId: string, endpointId: string): string {
  return `msg_${eventId.replace(/^evt_/, '')}_${endpointId.replace(/^ep_/, '')}`;
}
