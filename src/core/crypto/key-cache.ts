/**
 * Parsed certificates and keys, cached by PEM text.
 *
 * Every ACS request verifies against the same few IdP certificates and decrypts with the same SP key, so
 * parsing the PEM (ASN.1 decoding, key import) once per process instead of once per message is a cheap,
 * measurable win. Entries are immutable, so sharing them between requests is safe.
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { SamlSpError } from '../errors.ts';

/** An IdP certificate the connection trusts, ready for verification. */
export interface TrustedCertificate {
  /** SHA-256 over the DER, upper-case hex with colons (the form IdP consoles show). */
  fingerprint: string;
  publicKey: KeyObject;
  keyType: string;
}

// A connection has a handful of certificates; the cap only guards against a caller that feeds unbounded input.
const MAX_ENTRIES = 1000;
const certificates = new Map<string, TrustedCertificate>();
const privateKeys = new Map<string, KeyObject>();
const keyInfoFingerprints = new Map<string, string>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(key, value);
  return value;
}

/** Accepts a PEM certificate, or the bare base64 DER that IdP consoles and metadata often hand out. */
function toPem(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return trimmed;
  const body = trimmed.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----`;
}

/**
 * Parses (once) a trusted IdP certificate. A certificate that does not parse is a connection problem, so it
 * is reported as SAML_CONNECTION_INVALID rather than as a rejected message.
 *
 * @example
 * ```ts
 * const { fingerprint, publicKey } = trustedCertificate(connection.signingCertificates[0].pem);
 * ```
 */
export function trustedCertificate(pem: string): TrustedCertificate {
  const cached = certificates.get(pem);
  if (cached) return cached;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(toPem(pem));
  } catch (cause) {
    throw new SamlSpError(
      'SAML_CONNECTION_INVALID',
      'A signing certificate of this connection cannot be parsed.',
      {
        hint: 'Re-import the IdP metadata, or paste the IdP signing certificate again as PEM.',
        cause,
        status: 500,
      },
    );
  }
  return remember(certificates, pem, {
    fingerprint: cert.fingerprint256,
    publicKey: cert.publicKey,
    keyType: cert.publicKey.asymmetricKeyType ?? 'unknown',
  });
}

/**
 * The SHA-256 fingerprint of a base64 DER certificate as found in a KeyInfo, for diagnostics only: a KeyInfo
 * certificate is never used to verify anything.
 *
 * @example
 * ```ts
 * fingerprintOfBase64Der('MIIC...'); // 'AB:CD:...'
 * ```
 */
export function fingerprintOfBase64Der(base64: string): string {
  const cached = keyInfoFingerprints.get(base64);
  if (cached) return cached;
  const hex = createHash('sha256')
    .update(Buffer.from(base64.replace(/\s+/g, ''), 'base64'))
    .digest('hex');
  const fingerprint = hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
  // KeyInfo is attacker-controlled: only certificate-sized values are cached, and the entry cap bounds the map.
  return base64.length <= 8192 ? remember(keyInfoFingerprints, base64, fingerprint) : fingerprint;
}

/**
 * Parses (once) the SP private key used to decrypt assertions.
 *
 * @example
 * ```ts
 * const key = privateKey(sp.decryptionKeyPem);
 * ```
 */
export function privateKey(pem: string): KeyObject {
  const cached = privateKeys.get(pem);
  if (cached) return cached;
  try {
    return remember(privateKeys, pem, createPrivateKey(pem));
  } catch (cause) {
    throw new SamlSpError('SAML_CONNECTION_INVALID', 'The SP decryption key cannot be parsed.', {
      hint: 'Check SP_KEY_FILE: it must hold an unencrypted PEM private key (PKCS#8 or PKCS#1).',
      cause,
      status: 500,
    });
  }
}
