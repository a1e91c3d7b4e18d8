/**
 * Vendor lint: what real IdPs do that an admin should hear about before their users do. Pure: it reads a
 * connection (with the facts its metadata import recorded) and a clock, and returns warnings, each with a
 * stable `id` (part of the public surface: the admin page, API and CLI show it, scripts may filter on it), a
 * severity and an admin-readable message and hint.
 *
 * Severities: `error` means sign-in cannot work as configured; `warning` means it works but something is
 * risky or about to break; `info` explains a vendor quirk that was handled.
 */
import { X509Certificate } from 'node:crypto';
import type { Connection, IdpCertificate } from '../types.ts';

export type LintSeverity = 'error' | 'warning' | 'info';

/** One finding. */
export interface LintWarning {
  id: LintId;
  severity: LintSeverity;
  message: string;
  hint?: string;
  /** The certificate a certificate finding is about. */
  fingerprint?: string;
}

/** The stable ids. Adding one is fine; renaming one breaks admins' filters. */
export const LINT_IDS = [
  'metadata-bom',
  'metadata-wsfed-roles',
  'metadata-other-roles',
  'metadata-aggregate',
  'metadata-signature-sha1',
  'metadata-insecure-url',
  'metadata-expired',
  'metadata-expiring',
  'metadata-refresh-failing',
  'metadata-stale',
  'metadata-note',
  'certificate-expired',
  'certificates-all-expired',
  'certificate-expiring',
  'certificate-not-yet-valid',
  'certificate-retired',
  'certificates-inactive',
  'certificate-weak-key',
  'sso-http',
  'slo-missing',
  'adfs-sha1',
  'sha1-allowed',
  'idp-initiated-allowed',
  'cbc-without-response-signature',
  'clock-skew-large',
  'authn-requests-unsigned',
  'sp-entity-shared',
  'soap-logout-destination-optional',
  'signature-requirement',
  // The SP key ring (src/keys/lint.ts).
  'sp-key-next-not-fetched',
  'sp-key-active-expiring',
] as const;

export type LintId = (typeof LINT_IDS)[number];

/** The connection facts the lint reads. */
export type LintedConnection = Pick<
  Connection,
  | 'id'
  | 'idpEntityId'
  | 'ssoEndpoints'
  | 'sloEndpoints'
  | 'signingCertificates'
  | 'policy'
  | 'wantAuthnRequestsSigned'
  | 'metadataUrl'
  | 'metadataSigningCertificates'
  | 'metadataStatus'
>;

/** Inputs of {@link lintConnection}. */
export interface LintInput {
  connection: LintedConnection;
  now: Date;
  /** The SP entity ID this connection presents (its override, or the SP-wide one). */
  spEntityId?: string;
  /** Other connections with the SP entity ID each presents: two with the same IdP and SP look alike to the IdP. */
  others?: readonly { id: string; idpEntityId: string; spEntityId: string }[];
  /** Certificates expiring sooner than this are flagged. Default 30 days. */
  expiringWithinMs?: number;
  /** URL metadata not fetched successfully for this long is stale. Default 48 hours. */
  staleAfterMs?: number;
}

const DAY = 24 * 3600 * 1000;
const SHA1_URIS = ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1'];

/**
 * Lints one connection. Findings come in a fixed order: metadata, certificates, endpoints, policy.
 *
 * @example
 * ```ts
 * const findings = lintConnection({ connection, now: new Date() });
 * findings.filter((f) => f.severity !== 'info').map((f) => f.id); // ['certificate-expiring']
 * ```
 */
export function lintConnection(input: LintInput): LintWarning[] {
  return [
    ...metadataFindings(input),
    ...certificateFindings(input),
    ...endpointFindings(input),
    ...policyFindings(input),
  ];
}

function metadataFindings({ connection, now, staleAfterMs }: LintInput): LintWarning[] {
  const out: LintWarning[] = [];
  const status = connection.metadataStatus;
  if (!status) return out;
  const { facts } = status;
  if (facts.byteOrderMark) {
    out.push(
      info(
        'metadata-bom',
        'The metadata starts with a UTF-8 byte-order mark (Entra ID writes one); it was ignored.',
      ),
    );
  }
  const wsfed = facts.otherRoles.filter((r) =>
    /SecurityTokenService|ApplicationService|RoleDescriptor/.test(r),
  );
  if (wsfed.length > 0) {
    out.push(
      info(
        'metadata-wsfed-roles',
        `The metadata also describes WS-Federation roles (${unique(wsfed).join(', ')}), as Entra ID and ADFS publish; only the SAML 2.0 IdP role and its keys are used.`,
      ),
    );
  }
  const others = facts.otherRoles.filter((r) => !wsfed.includes(r));
  if (others.length > 0) {
    out.push(
      info(
        'metadata-other-roles',
        `The entity also has ${unique(others).join(', ')} (ADFS lists its SP role beside the IdP role); ignored.`,
      ),
    );
  }
  if (facts.entityCount > 1) {
    out.push(
      info(
        'metadata-aggregate',
        `The document is an aggregate of ${facts.entityCount} entities; only ${connection.idpEntityId} is used.`,
      ),
    );
  }
  if (SHA1_URIS.includes(facts.signatureAlgorithm ?? '') || SHA1_URIS.includes(facts.digestAlgorithm ?? '')) {
    out.push({
      id: 'metadata-signature-sha1',
      severity: 'warning',
      message: 'The metadata is signed with SHA-1, as older ADFS farms do.',
      hint: 'Ask the IdP admin to move the farm to SHA-256. Responses signed with SHA-1 are refused unless the connection allows SHA-1.',
    });
  }
  if (connection.metadataUrl?.startsWith('http:') && !connection.metadataSigningCertificates?.length) {
    out.push({
      id: 'metadata-insecure-url',
      severity: isLocal(connection.metadataUrl) ? 'info' : 'warning',
      message: 'The metadata URL is plain http and no metadata signing certificate is pinned.',
      hint: 'Anyone on the network path can replace the IdP keys. Use the https URL, or pin the certificate that signs the metadata.',
    });
  }
  if (status.validUntil) {
    const left = Date.parse(status.validUntil) - now.getTime();
    if (left <= 0) {
      out.push({
        id: 'metadata-expired',
        severity: 'error',
        message: `The metadata in use expired at ${status.validUntil} (its validUntil).`,
        hint: connection.metadataUrl
          ? 'Refresh the metadata now and check the URL.'
          : 'Upload fresh metadata from the IdP.',
      });
    } else if (left < 7 * DAY && !connection.metadataUrl) {
      out.push({
        id: 'metadata-expiring',
        severity: 'warning',
        message: `The metadata expires at ${status.validUntil} (its validUntil) and is not refreshed from a URL.`,
        hint: 'Upload fresh metadata before then, or switch the connection to the IdP metadata URL so it refreshes itself.',
      });
    }
  }
  if (status.source === 'url' && status.lastError) {
    out.push({
      id: 'metadata-refresh-failing',
      severity: 'warning',
      message: `The last metadata refresh failed (${status.lastError.code} at ${status.lastError.at}): ${status.lastError.message} The last good copy from ${status.importedAt} stays in use.`,
      hint: status.lastError.hint,
    });
  }
  if (status.source === 'url' && now.getTime() - Date.parse(status.importedAt) > (staleAfterMs ?? 2 * DAY)) {
    out.push({
      id: 'metadata-stale',
      severity: 'warning',
      message: `The metadata was last fetched successfully at ${status.importedAt}.`,
      hint: 'A certificate rollover at the IdP would go unnoticed. Check that the server can reach the metadata URL.',
    });
  }
  for (const note of status.notes) out.push(info('metadata-note', note));
  return out;
}

function certificateFindings({ connection, now, expiringWithinMs }: LintInput): LintWarning[] {
  const out: LintWarning[] = [];
  const certs = connection.signingCertificates;
  const t = now.getTime();
  const valid = certs.filter((c) => Date.parse(c.notBefore) <= t && Date.parse(c.notAfter) > t);
  const latestExpiry = Math.max(...valid.map((c) => Date.parse(c.notAfter)));
  if (certs.length > 0 && valid.length === 0) {
    out.push({
      id: 'certificates-all-expired',
      severity: 'error',
      message: 'No trusted IdP signing certificate is currently valid.',
      hint: 'Sign-ins are refused until the connection trusts the certificate the IdP signs with now. Refresh or re-upload the IdP metadata.',
    });
  }
  const importedAt = connection.metadataStatus?.importedAt;
  for (const cert of certs) {
    const name = describe(cert);
    const notAfter = Date.parse(cert.notAfter);
    if (notAfter <= t) {
      out.push({
        id: 'certificate-expired',
        severity: 'warning',
        message: `Signing certificate ${name} expired at ${cert.notAfter}.`,
        hint: 'IdPs often keep an expired certificate listed after a rollover. Make sure the IdP signs with a current certificate.',
        fingerprint: cert.fingerprintSha256,
      });
    } else if (notAfter - t < (expiringWithinMs ?? 30 * DAY)) {
      const successor = latestExpiry > notAfter;
      out.push({
        id: 'certificate-expiring',
        severity: successor ? 'info' : 'warning',
        message: `Signing certificate ${name} expires at ${cert.notAfter}.${successor ? ' A later certificate is already trusted.' : ''}`,
        hint: successor
          ? 'Nothing to do if the IdP switches to the newer certificate in time.'
          : connection.metadataUrl
            ? 'The metadata URL is refreshed on a schedule: the IdP’s next certificate will be trusted as soon as it is published.'
            : 'Ask the IdP admin for the next certificate and upload the new metadata before this date, or use the metadata URL so rollover is automatic.',
        fingerprint: cert.fingerprintSha256,
      });
    }
    if (Date.parse(cert.notBefore) > t) {
      out.push({
        id: 'certificate-not-yet-valid',
        severity: 'info',
        message: `Signing certificate ${name} becomes valid at ${cert.notBefore} (an IdP publishing its next key).`,
        fingerprint: cert.fingerprintSha256,
      });
    }
    if (cert.lastSeenAt && importedAt && Date.parse(cert.lastSeenAt) < Date.parse(importedAt)) {
      out.push({
        id: 'certificate-retired',
        severity: 'info',
        message: `Signing certificate ${name} is no longer in the IdP metadata (last listed ${cert.lastSeenAt}); it stays trusted for a short grace period after a rollover.`,
        fingerprint: cert.fingerprintSha256,
      });
    }
    const bits = rsaBits(cert.pem);
    if (bits !== undefined && bits < 2048) {
      out.push({
        id: 'certificate-weak-key',
        severity: 'warning',
        message: `Signing certificate ${name} has a ${bits}-bit RSA key.`,
        hint: 'Ask the IdP admin to roll over to a 2048-bit (or larger) key.',
        fingerprint: cert.fingerprintSha256,
      });
    }
  }
  const inactive = certs.length - valid.length;
  if (certs.length > 1 && inactive > 0 && valid.length > 0) {
    out.push(
      info(
        'certificates-inactive',
        `The IdP lists ${certs.length} signing certificates, ${inactive} of them outside their validity period; a signature from any trusted, currently valid one is accepted.`,
      ),
    );
  }
  return out;
}

function endpointFindings({ connection }: LintInput): LintWarning[] {
  const out: LintWarning[] = [];
  const browserSso = connection.ssoEndpoints.filter((e) => e.binding === 'redirect' || e.binding === 'post');
  const plain = browserSso.filter((e) => e.location.startsWith('http:'));
  if (plain.length > 0) {
    const allPlain = plain.length === browserSso.length;
    const local = plain.every((e) => isLocal(e.location));
    out.push({
      id: 'sso-http',
      severity: local || !allPlain ? 'info' : 'warning',
      message: `${allPlain ? 'The' : 'An'} IdP SSO URL uses plain http: ${plain[0]!.location}.`,
      hint: local
        ? 'Fine for a local development IdP; never in production.'
        : 'Passwords and assertions would cross the network unencrypted. Use the IdP’s https endpoint.',
    });
  }
  if (connection.sloEndpoints.length === 0) {
    out.push({
      id: 'slo-missing',
      severity: 'info',
      message:
        'The IdP publishes no SingleLogoutService: signing out ends the session here only, not at the IdP.',
      hint: 'Expected for Google Workspace, which has no SAML logout. Elsewhere, enable SLO in the IdP application and refresh the metadata.',
    });
  }
  return out;
}

function policyFindings({ connection, spEntityId, others }: LintInput): LintWarning[] {
  const out: LintWarning[] = [];
  const { policy } = connection;
  if (policy.allowSha1) {
    out.push({
      id: 'sha1-allowed',
      severity: 'warning',
      message: 'This connection accepts SHA-1 signatures and digests.',
      hint: 'SHA-1 is broken for collision resistance. Switch the IdP to SHA-256 (ADFS: Set-AdfsRelyingPartyTrust -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256) and turn allowSha1 off.',
    });
  } else if (/\/adfs\/services\/trust\/?$/i.test(connection.idpEntityId)) {
    out.push({
      id: 'adfs-sha1',
      severity: 'info',
      message:
        'This looks like ADFS. Older ADFS relying-party trusts sign with SHA-1, which this connection refuses.',
      hint: 'If sign-in fails with SAML_ALGORITHM_FORBIDDEN, set the relying-party trust’s secure hash algorithm to SHA-256 (Set-AdfsRelyingPartyTrust -TargetName <trust> -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256).',
    });
  }
  if (policy.allowIdpInitiated) {
    out.push(
      info(
        'idp-initiated-allowed',
        'IdP-initiated sign-in is allowed: unsolicited responses are accepted (each assertion once), without a request to bind them to.',
      ),
    );
  }
  if (policy.allowCbcWithoutResponseSignature) {
    out.push({
      id: 'cbc-without-response-signature',
      severity: 'warning',
      message:
        'This connection decrypts AES-CBC encrypted assertions that no Response signature covers (allowCbcWithoutResponseSignature).',
      hint: 'Unauthenticated CBC ciphertext is open to padding-oracle attacks. Have the IdP sign the whole Response (ADFS: Set-AdfsRelyingPartyTrust -SamlResponseSignature MessageAndAssertion) or encrypt with AES-GCM, then turn the option off.',
    });
  }
  if (policy.clockSkewSeconds > 300) {
    out.push({
      id: 'clock-skew-large',
      severity: 'warning',
      message: `The tolerated clock skew is ${policy.clockSkewSeconds} s.`,
      hint: 'More than five minutes lengthens the window in which a captured assertion is accepted. Fix the clocks (NTP) and lower it.',
    });
  }
  if (policy.wantSigned === 'assertion' || policy.wantSigned === 'response-and-assertion') {
    out.push({
      id: 'signature-requirement',
      severity: 'info',
      message:
        policy.wantSigned === 'assertion'
          ? 'This connection requires the Assertion itself to be signed: a Response signature alone is refused.'
          : 'This connection requires both the Response and the Assertion to be signed.',
      hint:
        policy.wantSigned === 'assertion'
          ? 'IdPs that sign only the whole response (Keycloak\'s default client, Google\'s "Signed response") fail with SAML_SIGNATURE_MISSING here. The default, response-or-assertion, accepts either signature and reads only signed bytes; connections created before it became the default keep "assertion" until changed.'
          : 'The IdP must sign both (Entra: "Sign SAML response and assertion"; ADFS: -SamlResponseSignature MessageAndAssertion; Keycloak: "Sign documents" and "Sign assertions"). The default, response-or-assertion, accepts either.',
    });
  }
  if (policy.allowSoapLogoutWithoutDestination) {
    out.push({
      id: 'soap-logout-destination-optional',
      severity: 'warning',
      message:
        'Back-channel (SOAP) logout requests without a Destination are accepted: one the IdP signed for another of its applications can end sessions here.',
      hint: 'Set the back-channel (SOAP) logout URL of this application in the IdP so that it sends Destination (Keycloak, SimpleSAMLphp and samlify do), then turn policy.allowSoapLogoutWithoutDestination off.',
    });
  }
  if (connection.wantAuthnRequestsSigned && !policy.signAuthnRequests) {
    out.push({
      id: 'authn-requests-unsigned',
      severity: 'error',
      message:
        'The IdP wants signed AuthnRequests (WantAuthnRequestsSigned) but this connection does not sign them.',
      hint: 'Turn policy.signAuthnRequests on, or the IdP will refuse every sign-in.',
    });
  }
  const twin = spEntityId
    ? others?.find(
        (o) =>
          o.id !== connection.id && o.idpEntityId === connection.idpEntityId && o.spEntityId === spEntityId,
      )
    : undefined;
  if (twin) {
    out.push({
      id: 'sp-entity-shared',
      severity: 'warning',
      message: `Connection "${twin.id}" uses the same IdP and the same SP entity ID (${spEntityId}); the IdP cannot tell the two apart and may answer the wrong one.`,
      hint: 'Give one of them its own SP entity ID (the connection’s spEntityId) and register it at the IdP.',
    });
  }
  return out;
}

function info(id: LintId, message: string): LintWarning {
  return { id, severity: 'info', message };
}

function describe(cert: IdpCertificate): string {
  return `${cert.fingerprintSha256.slice(0, 23)}… (${cert.subject})`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function isLocal(url: string): boolean {
  const host = URL.parse(url)?.hostname ?? '';
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
}

function rsaBits(pem: string): number | undefined {
  try {
    const key = new X509Certificate(pem).publicKey;
    return key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  } catch {
    return undefined;
  }
}
