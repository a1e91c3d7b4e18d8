/**
 * The JSON view of a connection (CONTRACT.md): the stored connection plus the SP values an IdP admin needs,
 * each certificate's state, the policy in force, the vendor lint and the sign-in health. The admin API, the
 * admin page and `saml-sp connections show` all show this object.
 */

import { acceptedSignatureMethods } from '../core/algorithms.ts';
import { connectionStatus } from '../core/connection-lifecycle.ts';
import { metadataLimits } from '../core/metadata/limits.ts';
import type { LintWarning } from '../core/metadata/lint.ts';
import type { Connection, IdpCertificate } from '../core/types.ts';
import type { ConnectionHealth } from '../store/connection-health.ts';
import type { ServiceProvider } from './service-provider.ts';

/** Extras computed outside the stored connection. */
export interface ConnectionViewExtras {
  lint?: LintWarning[];
  health?: ConnectionHealth | undefined;
  now?: Date;
}

/** `ok`: nothing to do; `warning`: works, needs attention; `error`: sign-in cannot work as configured. */
export type HealthStatus = 'ok' | 'warning' | 'error';

export type CertificateState = 'active' | 'expired' | 'not-yet-valid';

/**
 * A connection with the SP values an IdP admin needs, as the admin API shows it.
 *
 * @example
 * ```ts
 * res.json(connectionView(sp, connection, { lint, health }));
 * ```
 */
export function connectionView(sp: ServiceProvider, c: Connection, extras: ConnectionViewExtras = {}) {
  const spValues = sp.spIdentity(c);
  const now = extras.now ?? new Date();
  const { metadataXml: _omit, metadataStatus, metadataSigningCertificates, ...rest } = c;
  const lint = extras.lint ?? [];
  const certificates = c.signingCertificates.map((cert) =>
    certificateView(cert, now, metadataStatus?.importedAt),
  );
  return {
    ...rest,
    /** draft (no metadata) -> testing (no passing test yet) -> active (accepts sign-ins). */
    status: connectionStatus(c),
    spEntityIdMode: c.spEntityIdMode ?? (c.spEntityId ? 'custom' : 'shared'),
    /** The entity IDs each mode would give, so a page can offer the switch. */
    spEntityIdChoices: {
      connection: sp.spIdentity({ id: c.id, spEntityIdMode: 'connection' }).entityId,
      shared: sp.entityId,
    },
    history: c.history ?? [],
    organizationId: c.organizationId ?? null,
    ssoUrl: c.ssoEndpoints.find((e) => e.binding === 'redirect' || e.binding === 'post')?.location ?? null,
    sloUrl: c.sloEndpoints[0]?.location ?? null,
    signingCertificates: certificates,
    allowIdpInitiated: c.policy.allowIdpInitiated,
    acceptedSignatureAlgorithms: acceptedSignatureMethods(c.policy),
    spEntityId: spValues.entityId,
    acsUrl: spValues.acsUrl,
    spSloUrl: spValues.sloUrl,
    metadataUrl: spValues.metadataUrl,
    spCertificatePem: spValues.signing.certificatePem,
    /** The SP signing certificate as a PEM download (public, like the metadata that carries it). */
    spCertificateUrl: spValues.metadataUrl.replace(/\/metadata$/, '/certificate.pem'),
    idpMetadataUrl: c.metadataUrl ?? null,
    metadata: {
      source: metadataStatus?.source ?? (c.metadataUrl ? 'url' : 'file'),
      url: c.metadataUrl ?? null,
      importedAt: metadataStatus?.importedAt ?? null,
      changedAt: metadataStatus?.changedAt ?? null,
      validUntil: metadataStatus?.validUntil ?? null,
      cacheDuration: metadataStatus?.cacheDuration ?? null,
      nextRefreshAt: metadataStatus?.nextRefreshAt ?? null,
      /** The document limit and download cap in force (policy.metadataMaxBytes, else the defaults). */
      ...metadataLimits(c.policy),
      /** Set when the metadata was a large aggregate of which only the chosen entity is kept. */
      aggregate: metadataStatus?.aggregate ?? null,
      lastAttemptAt: metadataStatus?.lastAttemptAt ?? null,
      lastError: metadataStatus?.lastError ?? null,
      consecutiveFailures: metadataStatus?.consecutiveFailures ?? 0,
      signatureVerifiedBy: metadataStatus?.signatureVerifiedBy ?? null,
      pinnedSigningCertificates: (metadataSigningCertificates ?? []).map((p) => ({
        fingerprintSha256: p.fingerprintSha256,
        subject: p.subject,
        notAfter: p.notAfter,
      })),
    },
    lint,
    health: healthView(extras.health, lint, certificates, metadataStatus?.lastError ?? undefined),
  };
}

export type ConnectionView = ReturnType<typeof connectionView>;

function certificateView(cert: IdpCertificate, now: Date, importedAt: string | undefined) {
  const t = now.getTime();
  const state: CertificateState =
    Date.parse(cert.notAfter) <= t ? 'expired' : Date.parse(cert.notBefore) > t ? 'not-yet-valid' : 'active';
  return {
    ...cert,
    expiresAt: cert.notAfter,
    state,
    /** No longer listed by the IdP's metadata; trusted only for the rollover grace period. */
    retired: !!(cert.lastSeenAt && importedAt && Date.parse(cert.lastSeenAt) < Date.parse(importedAt)),
  };
}

function healthView(
  health: ConnectionHealth | undefined,
  lint: LintWarning[],
  certificates: ReturnType<typeof certificateView>[],
  metadataError: { at: string; code: string } | undefined,
) {
  const lastSuccess = health?.lastSuccess;
  const lastFailure = health?.lastFailure;
  const lastAttemptFailed =
    !!lastFailure && (!lastSuccess || lastFailure.at.getTime() > lastSuccess.at.getTime());
  const status: HealthStatus = lint.some((l) => l.severity === 'error')
    ? 'error'
    : lint.some((l) => l.severity === 'warning') || lastAttemptFailed || metadataError
      ? 'warning'
      : 'ok';
  const active = certificates.filter((c) => c.state === 'active');
  return {
    status,
    /** When the last currently valid certificate expires: sign-in stops working then without a rollover. */
    certificatesValidUntil: active.length
      ? active
          .map((c) => c.notAfter)
          .sort()
          .at(-1)!
      : null,
    lastSignInAt: lastSuccess?.at.toISOString() ?? null,
    lastSignInNameId: lastSuccess?.nameId ?? null,
    lastFailure: lastFailure
      ? {
          at: lastFailure.at.toISOString(),
          code: lastFailure.code,
          message: lastFailure.message,
          hint: lastFailure.hint,
          traceId: lastFailure.traceId ?? null,
        }
      : null,
    lastAttemptFailed,
    successCount: health?.successCount ?? 0,
    failureCount: health?.failureCount ?? 0,
  };
}
