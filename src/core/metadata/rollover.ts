/**
 * IdP signing-certificate rollover without admin action.
 *
 * IdPs publish the next certificate beside the current one before they switch (ADFS: 20 days before expiry,
 * promoted 5 days later; Entra and Keycloak list active and passive keys), then drop the old one. Fresh
 * metadata therefore always wins, and a certificate that disappears from it stays trusted for a short grace
 * period (assertions already in flight, IdP nodes that switch later than others), but never past its own
 * expiry. Each certificate records when the metadata first and last listed it.
 */
import type { IdpCertificate } from '../types.ts';

/** How long a certificate the IdP no longer lists stays trusted. */
export const DEFAULT_ROLLOVER_GRACE_MS = 7 * 24 * 3600 * 1000;

/** Options of {@link mergeCertificates}. */
export interface MergeCertificatesOptions {
  now: Date;
  /** Default {@link DEFAULT_ROLLOVER_GRACE_MS}. */
  graceMs?: number;
}

/** The merged trust list and what changed, by SHA-256 fingerprint. */
export interface MergedCertificates {
  certificates: IdpCertificate[];
  /** In the fresh metadata and not trusted before. */
  added: string[];
  /** No longer in the metadata, still trusted for the grace period. */
  retained: string[];
  /** No longer in the metadata and past the grace period or expired: not trusted any more. */
  dropped: string[];
}

/**
 * Merges the certificates of freshly fetched metadata with the ones trusted so far.
 *
 * @example
 * ```ts
 * const { certificates, added } = mergeCertificates(connection.signingCertificates, parsed.signingCertificates, { now });
 * ```
 */
export function mergeCertificates(
  previous: readonly IdpCertificate[],
  fresh: readonly IdpCertificate[],
  options: MergeCertificatesOptions,
): MergedCertificates {
  const now = options.now.toISOString();
  const nowMs = options.now.getTime();
  const graceMs = options.graceMs ?? DEFAULT_ROLLOVER_GRACE_MS;
  const before = new Map(previous.map((c) => [c.fingerprintSha256, c]));
  const freshIds = new Set(fresh.map((c) => c.fingerprintSha256));
  const added: string[] = [];
  const retained: string[] = [];
  const dropped: string[] = [];

  const certificates: IdpCertificate[] = fresh.map((cert) => {
    const known = before.get(cert.fingerprintSha256);
    if (!known) added.push(cert.fingerprintSha256);
    return { ...cert, firstSeenAt: known?.firstSeenAt ?? now, lastSeenAt: now };
  });
  for (const old of previous) {
    if (freshIds.has(old.fingerprintSha256)) continue;
    // A certificate trusted before this bookkeeping existed counts as seen until now.
    const lastSeenAt = old.lastSeenAt ?? now;
    const expired = Date.parse(old.notAfter) <= nowMs;
    const graceOver = nowMs - Date.parse(lastSeenAt) >= graceMs;
    if (expired || graceOver) {
      dropped.push(old.fingerprintSha256);
      continue;
    }
    retained.push(old.fingerprintSha256);
    certificates.push({ ...old, firstSeenAt: old.firstSeenAt ?? lastSeenAt, lastSeenAt });
  }
  return { certificates, added, retained, dropped };
}

/** Stamps certificates read from metadata just now (an import, not a refresh: nothing older is kept). */
export function stampCertificates(certificates: readonly IdpCertificate[], now: Date): IdpCertificate[] {
  const at = now.toISOString();
  return certificates.map((c) => ({ ...c, firstSeenAt: at, lastSeenAt: at }));
}
