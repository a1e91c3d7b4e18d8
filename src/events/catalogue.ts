/**
 * The lifecycle event catalogue: every event saml-sp-kit emits, as one discriminated union on `type`.
 *
 * The envelope follows the Standard Webhooks payload shape (`type`, `timestamp`, `data`) plus our own `id`
 * (the `webhook-id` of every delivery, stable across retries, so receivers can deduplicate) and `version`
 * (the payload schema version of this type; a breaking change to a `data` shape bumps it).
 *
 * Payloads carry ids and facts only: never a secret (tokens, webhook secrets, session cookies), never the raw
 * SAML message, and never text taken from an unverified message (an anonymous stranger must not be able to
 * put words into an admin's webhook receiver). Error codes are the stable `SAML_…` codes.
 */

/** `certificate.expiring_*` thresholds, in days, from the earliest warning to the last. */
export const CERTIFICATE_THRESHOLDS = [30, 7, 1] as const;
export type CertificateThreshold = (typeof CERTIFICATE_THRESHOLDS)[number];

/** The `data` of each event type. */
export interface EventData {
  'signin.succeeded': { connectionId: string; userId: string; authnContextClassRef?: string };
  /**
   * `signatureVerified` is false when the message failed before (or at) its signature check: its sender is
   * unknown, so such failures are rate-limited and carry the code only.
   */
  'signin.failed': { connectionId: string; code: string; signatureVerified: boolean };
  'user.provisioned': { userId: string; connectionId: string; email?: string };
  /** `changed` names the profile fields that differ from the stored user (never their values). */
  'user.updated': { userId: string; connectionId: string; email?: string; changed: string[] };
  'session.ended': { userId: string; connectionId: string; reason: 'logout' | 'idp-logout' };
  /** The IdP asked us to end sessions (IdP-initiated Single Logout). */
  'logout.in': { connectionId: string; sessionsEnded: number };
  /** We asked the IdP to end its session (SP-initiated Single Logout). */
  'logout.out': { connectionId: string; userId: string };
  'connection.created': {
    connectionId: string;
    organizationId?: string;
    idpEntityId?: string;
    actor: string;
  };
  'connection.updated': { connectionId: string; organizationId?: string; fields: string[]; actor: string };
  /** A draft connection became active (emitted by the connection-status feature). */
  'connection.activated': { connectionId: string; actor: string };
  'connection.deleted': { connectionId: string; organizationId?: string; actor: string };
  /** A metadata URL was read successfully; `textChanged` when the document differs from the last copy. */
  'metadata.refreshed': { connectionId: string; textChanged: boolean };
  /** The IdP's signing certificates changed: fingerprints (SHA-256) that appeared in or left its metadata. */
  'metadata.changed': { connectionId: string; added: string[]; removed: string[] };
  /** A metadata refresh failed; the last good copy stays in use. */
  'metadata.failing': { connectionId: string; code: string; consecutiveFailures: number };
  'certificate.expiring_30d': CertificateFacts;
  'certificate.expiring_7d': CertificateFacts;
  'certificate.expiring_1d': CertificateFacts;
  'certificate.expired': CertificateFacts;
  'setup_link.created': { setupLinkId: string; organizationId: string; expiresAt: string; actor: string };
  'setup_link.used': { setupLinkId: string; organizationId: string; connectionId?: string };
  'setup_link.expired': { setupLinkId: string; organizationId: string };
  'admin.signed_in': { actor: string; via: 'page' | 'api' };
}

/** An IdP signing certificate nearing or past its expiry. */
export interface CertificateFacts {
  connectionId: string;
  fingerprintSha256: string;
  subject: string;
  notAfter: string;
  /** Whole days left at the check (0 or less once expired). */
  daysLeft: number;
}

export type EventType = keyof EventData;

/** Every event type, in catalogue order (for filters, docs and validation). */
export const EVENT_TYPES = [
  'signin.succeeded',
  'signin.failed',
  'user.provisioned',
  'user.updated',
  'session.ended',
  'logout.in',
  'logout.out',
  'connection.created',
  'connection.updated',
  'connection.activated',
  'connection.deleted',
  'metadata.refreshed',
  'metadata.changed',
  'metadata.failing',
  'certificate.expiring_30d',
  'certificate.expiring_7d',
  'certificate.expiring_1d',
  'certificate.expired',
  'setup_link.created',
  'setup_link.used',
  'setup_link.expired',
  'admin.signed_in',
] as const satisfies readonly EventType[];

// Compile-time check that the list names every type of the union.
type Missing = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
const _complete: Missing extends never ? true : Missing = true;
void _complete;

/** The payload schema version of every type today. */
export const EVENT_VERSION = 1 as const;

/** One event as emitted, delivered and stored. */
export type SamlSpEvent = {
  [T in EventType]: {
    /** `evt_` + random: the `webhook-id` of its deliveries. */
    id: string;
    type: T;
    version: typeof EVENT_VERSION;
    /** ISO 8601, when it happened. */
    timestamp: string;
    data: EventData[T];
  };
}[EventType];

/** The event of one type. */
export type EventOf<T extends EventType> = Extract<SamlSpEvent, { type: T }>;

/** Whether `value` names a catalogue event type. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Whether an endpoint filter matches a type: an exact type, a family wildcard (`certificate.*`) or `*`.
 *
 * @example
 * ```ts
 * filterMatches(['certificate.*'], 'certificate.expiring_7d'); // true
 * ```
 */
export function filterMatches(filter: readonly string[] | undefined, type: EventType): boolean {
  if (filter === undefined || filter.length === 0) return true;
  return filter.some((f) => f === '*' || f === type || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))));
}

/** Whether a filter entry is valid: a catalogue type, `*`, or a family wildcard of an existing family. */
export function isValidFilter(entry: string): boolean {
  if (entry === '*' || isEventType(entry)) return true;
  return entry.endsWith('.*') && EVENT_TYPES.some((t) => t.startsWith(entry.slice(0, -1)));
}

/** The connection an event is about, if any: events of one connection are delivered in order. */
export function orderingKeyOf(event: SamlSpEvent): string | undefined {
  const data = event.data as { connectionId?: unknown };
  return typeof data.connectionId === 'string' ? data.connectionId : undefined;
}
