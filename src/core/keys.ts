/**
 * SP key pairs and certificate plumbing.
 *
 * SAML uses certificates only as key containers: nobody checks a chain, so the SP publishes a self-signed
 * certificate in its metadata and IdPs pin it. What matters is that the key is strong (RSA-2048, SHA-256) and
 * that every certificate we read, however an IdP console formatted it, ends up in one canonical PEM form, so
 * fingerprints compare equal.
 */
import { X509Certificate } from 'node:crypto';
import { InvalidOptionError } from './errors.ts';
import type { IdpCertificate, KeyPair } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options of {@link generateKeyPair}. */
export interface GenerateKeyPairOptions {
  /** The certificate's subject CN, e.g. the SP host name. */
  commonName: string;
  /** Validity in days. Default 3650: IdPs pin the certificate, so a rollover is a manual chore for every customer. */
  days?: number;
  /** The certificate's notBefore. Default: the current time. */
  now?: Date;
}

/**
 * Generates an RSA-2048 key and a self-signed SHA-256 X.509 certificate for SAML signing or encryption.
 *
 * @example
 * ```ts
 * const { privateKeyPem, certificatePem } = await generateKeyPair({ commonName: 'sp.example.com' });
 * ```
 */
export async function generateKeyPair(options: GenerateKeyPairOptions): Promise<KeyPair> {
  const commonName = options.commonName?.trim();
  if (!commonName) throw new InvalidOptionError('generateKeyPair: commonName must be a non-empty string.');
  const days = options.days ?? 3650;
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new InvalidOptionError(`generateKeyPair: days must be an integer from 1 to 36500, got ${days}.`);
  }
  const notBefore = options.now ?? new Date();
  if (Number.isNaN(notBefore.getTime()))
    throw new InvalidOptionError('generateKeyPair: now is an invalid Date.');

  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const x509 = await loadX509();
  // The global WebCrypto (Node's webcrypto) carries the DOM key types @peculiar/x509 is declared with.
  const subtle = globalThis.crypto.subtle;
  const keys = await subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const serial = globalThis.crypto.getRandomValues(new Uint8Array(16));
  // A positive INTEGER: the high bit of the first octet must be clear.
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(serial).toString('hex'),
      // The JSON form keeps a CN with commas or '=' from being read as further RDNs.
      name: [{ CN: [commonName] }],
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * DAY_MS),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        // One key may serve signing and (as the encryption KeyDescriptor) key transport.
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, globalThis.crypto),
      ],
    },
    globalThis.crypto,
  );
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return {
    privateKeyPem: toPem(Buffer.from(pkcs8).toString('base64'), 'PRIVATE KEY'),
    certificatePem: toPem(Buffer.from(cert.rawData).toString('base64'), 'CERTIFICATE'),
  };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Returns a certificate as canonical PEM (64-character lines, trailing newline). Accepts PEM, or the bare base64
 * found in `<ds:X509Certificate>` and in IdP consoles, with any whitespace.
 *
 * Throws {@link InvalidOptionError} when the input is not a certificate.
 *
 * @example
 * ```ts
 * normalizeCertificatePem('MIIC8DCCAdigAwIBAgI...'); // '-----BEGIN CERTIFICATE-----\nMIIC8DCC...'
 * ```
 */
export function normalizeCertificatePem(input: string): string {
  const pem = PEM_CERT.exec(input);
  const body = (pem ? pem[1]! : input).replace(/\s+/g, '');
  if (!BASE64.test(body) || body.length % 4 !== 0) {
    throw new InvalidOptionError('The certificate is neither PEM nor base64-encoded DER.');
  }
  const normalized = toPem(body, 'CERTIFICATE');
  try {
    new X509Certificate(normalized);
  } catch (cause) {
    throw Object.assign(new InvalidOptionError('The certificate does not decode as X.509 DER.'), { cause });
  }
  return normalized;
}

/** The certificate's base64 DER without armour or line breaks, as `<ds:X509Certificate>` carries it. */
export function certificateBase64(pem: string): string {
  return normalizeCertificatePem(pem)
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
}

/**
 * Describes a certificate the way admin consoles show it: SHA-256 fingerprint (upper-case hex with colons),
 * subject, and validity as ISO timestamps. Accepts PEM or bare base64.
 *
 * @example
 * ```ts
 * describeCertificate(pem).fingerprintSha256; // 'AB:12:...'
 * ```
 */
export function describeCertificate(pem: string): IdpCertificate {
  const normalized = normalizeCertificatePem(pem);
  const cert = new X509Certificate(normalized);
  return {
    pem: normalized,
    fingerprintSha256: cert.fingerprint256,
    // Node separates RDNs with newlines; one line reads better in logs and tables.
    subject: cert.subject.split('\n').join(', '),
    notBefore: cert.validFromDate.toISOString(),
    notAfter: cert.validToDate.toISOString(),
  };
}

/**
 * Loads @peculiar/x509 on first use. Its dependency tsyringe needs the `reflect-metadata` polyfill, which sets a
 * global; loading both only when a key is generated keeps message verification free of it.
 */
async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

function toPem(base64: string, label: string): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
