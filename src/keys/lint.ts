/**
 * Key rollover lint, pure: what an admin should know before promoting or as a certificate nears its end.
 *
 * - `sp-key-next-not-fetched`: a `next` key was added and the connection's IdP has not fetched our metadata
 *   since. Promoting it then breaks sign-ins at an IdP that pins our certificate from metadata. Fetches are
 *   recorded from the public metadata URL, so anyone can cause one: the warning says who fetched last, for
 *   the admin to judge, and is a hint, never a gate.
 * - `sp-key-active-expiring`: the active key's certificate ends within 60 days (or has ended). SAML peers rarely
 *   check SP certificate dates, but some do (ADFS checks encryption certificates, Entra warns), and it is the
 *   reminder to roll over.
 */
import { X509Certificate } from 'node:crypto';
import type { LintWarning } from '../core/metadata/lint.ts';
import type { MetadataFetchRecord } from '../store/sp-keys.ts';
import type { ConnectionKeys } from './lifecycle.ts';

const DAY_MS = 24 * 3600 * 1000;
/** How long before the end of an active certificate the lint starts warning. */
export const KEY_EXPIRY_WARNING_DAYS = 60;

/**
 * The key lint of one connection.
 *
 * @example
 * ```ts
 * const warnings = lintKeys({ keys: keysForConnection(records, 'acme'), lastFetch, now: new Date() });
 * ```
 */
export function lintKeys(input: {
  keys: ConnectionKeys;
  lastFetch: MetadataFetchRecord | undefined;
  now: Date;
}): LintWarning[] {
  const { keys, lastFetch, now } = input;
  const warnings: LintWarning[] = [];
  const nextKeys = [...keys.signing.published, ...keys.encryption.published].filter(
    (k) => k.state === 'next',
  );
  for (const key of nextKeys) {
    if (lastFetch && lastFetch.at.getTime() >= key.createdAt.getTime()) continue;
    warnings.push({
      id: 'sp-key-next-not-fetched',
      severity: 'warning',
      message: lastFetch
        ? `The IdP has not fetched the SP metadata since the next ${key.use} key ${key.id} was added (${key.createdAt.toISOString()}); the last fetch was ${lastFetch.at.toISOString()} by ${lastFetch.by}.`
        : `No fetch of this connection's SP metadata URL is recorded since the next ${key.use} key ${key.id} was added (${key.createdAt.toISOString()}).`,
      hint: `Before promoting ${key.id}, make sure the IdP trusts its certificate: let it refresh the SP metadata, or upload the metadata or the certificate in the IdP console (an IdP that never reads the metadata URL needs the upload).`,
      fingerprint: fingerprintOf(key.certificatePem),
    });
  }
  for (const key of [keys.signing.active, keys.encryption.active]) {
    if (!key) continue;
    const notAfter = new X509Certificate(key.certificatePem).validToDate;
    const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
    if (daysLeft > KEY_EXPIRY_WARNING_DAYS) continue;
    warnings.push({
      id: 'sp-key-active-expiring',
      severity: daysLeft < 0 ? 'error' : 'warning',
      message:
        daysLeft < 0
          ? `The active ${key.use} key ${key.id} has a certificate that expired on ${notAfter.toISOString()}.`
          : `The active ${key.use} key ${key.id} has a certificate that expires in ${daysLeft} days (${notAfter.toISOString()}).`,
      hint: `Roll it over: saml-sp keys generate --use ${key.use}, give the IdPs the new certificate, then promote it and retire ${key.id}.`,
      fingerprint: fingerprintOf(key.certificatePem),
    });
  }
  return warnings;
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}
