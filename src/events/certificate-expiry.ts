/**
 * Where an IdP signing certificate stands against the expiry thresholds (30, 7 and 1 days, then expired).
 * Pure: the daily watch, the admin page's banner and `saml-sp connections list` all read it from here.
 */
import type { Connection, IdpCertificate } from '../core/types.ts';
import { CERTIFICATE_THRESHOLDS, type EventType } from './catalogue.ts';

const DAY_MS = 24 * 3_600_000;

/** A certificate within the widest threshold of its expiry, or past it. */
export interface CertificateWarning {
  connectionId: string;
  displayName: string;
  fingerprintSha256: string;
  subject: string;
  notAfter: string;
  /** Whole days left, rounded up (a certificate that expires in 5.2 days has 6); 0 or less once expired. */
  daysLeft: number;
  /** `30d`, `7d`, `1d` or `expired`: the tightest threshold crossed. */
  threshold: '30d' | '7d' | '1d' | 'expired';
  /** The event this threshold raises. */
  eventType: Extract<EventType, `certificate.${string}`>;
}

/**
 * The tightest threshold `certificate` has crossed at `now`, or undefined when it is further than 30 days
 * from its expiry.
 *
 * @example
 * ```ts
 * expiryThreshold({ notAfter: '2026-01-07T00:00:00Z' }, new Date('2026-01-01T00:00:00Z')); // { threshold: '7d', daysLeft: 6 }
 * ```
 */
export function expiryThreshold(
  certificate: Pick<IdpCertificate, 'notAfter'>,
  now: Date,
): { threshold: CertificateWarning['threshold']; daysLeft: number } | undefined {
  const msLeft = Date.parse(certificate.notAfter) - now.getTime();
  if (Number.isNaN(msLeft)) return undefined;
  if (msLeft <= 0) return { threshold: 'expired', daysLeft: Math.floor(msLeft / DAY_MS) };
  const daysLeft = Math.ceil(msLeft / DAY_MS);
  // Tightest first: 1 day, then 7, then 30.
  for (const days of [...CERTIFICATE_THRESHOLDS].reverse()) {
    if (msLeft <= days * DAY_MS)
      return { threshold: `${days}d` as CertificateWarning['threshold'], daysLeft };
  }
  return undefined;
}

/**
 * The certificates of `connections` that need attention at `now`, most urgent first. Only certificates the
 * IdP still lists count: one it dropped (kept for the rollover grace period) is on its way out anyway.
 *
 * @example
 * ```ts
 * for (const w of certificateWarnings(await stores.connections.list(), new Date())) console.log(w.connectionId, w.daysLeft);
 * ```
 */
export function certificateWarnings(connections: readonly Connection[], now: Date): CertificateWarning[] {
  const warnings: CertificateWarning[] = [];
  for (const connection of connections) {
    for (const certificate of connection.signingCertificates) {
      if (!stillListed(connection, certificate)) continue;
      const crossed = expiryThreshold(certificate, now);
      if (!crossed) continue;
      warnings.push({
        connectionId: connection.id,
        displayName: connection.displayName,
        fingerprintSha256: certificate.fingerprintSha256,
        subject: certificate.subject,
        notAfter: certificate.notAfter,
        ...crossed,
        eventType:
          crossed.threshold === 'expired'
            ? 'certificate.expired'
            : `certificate.expiring_${crossed.threshold}`,
      });
    }
  }
  return warnings.sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter));
}

/** Whether the latest metadata listed the certificate (or no rollover bookkeeping says otherwise). */
function stillListed(connection: Connection, certificate: IdpCertificate): boolean {
  const importedAt = connection.metadataStatus?.importedAt;
  if (certificate.lastSeenAt === undefined || importedAt === undefined) return true;
  return Date.parse(certificate.lastSeenAt) >= Date.parse(importedAt);
}
