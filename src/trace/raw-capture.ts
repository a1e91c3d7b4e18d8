/**
 * Raw message capture, sealed at rest with AES-256-GCM. A raw SAMLResponse holds personal data (names,
 * e-mail addresses, groups), so it is kept only while an admin switched capture on for one connection, for
 * at most {@link MAX_CAPTURE_MINUTES}, and only sealed.
 *
 * The key: `TRACE_CAPTURE_KEY` (32 bytes, base64) when set; otherwise derived with HKDF-SHA256 from the SP
 * encryption private key. Deriving means no new secret to keep: whoever can read that private key can
 * already decrypt the encrypted assertions the IdP sends, so a captured message is protected exactly like the
 * live traffic, and a copy of the database alone (a backup, a replica) reveals nothing. Rotating the SP key
 * makes older captures unreadable; they expire with the trace retention anyway. Each sealed message names
 * its key by a short fingerprint, so "sealed with another key" is told apart from "tampered with".
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import type { SealedMessage } from '../store/traces.ts';

/** The longest capture window an admin may open (24 h). */
export const MAX_CAPTURE_MINUTES = 24 * 60;

export interface CaptureKey {
  key: Buffer;
  keyId: string;
}

/**
 * The sealing key: an explicit 32-byte key, or one derived from the SP encryption key's PEM.
 *
 * @example
 * ```ts
 * const key = captureKey({ spPrivateKeyPem: keys.encryption.privateKeyPem });
 * ```
 */
export function captureKey(source: { explicitKey?: Buffer; spPrivateKeyPem: string }): CaptureKey {
  let key: Buffer;
  if (source.explicitKey) {
    if (source.explicitKey.length !== 32) throw new TypeError('The trace capture key must be 32 bytes.');
    key = source.explicitKey;
  } else {
    const der = createPrivateKey(source.spPrivateKeyPem).export({ format: 'der', type: 'pkcs8' });
    key = Buffer.from(hkdfSync('sha256', der, 'saml-sp-kit', 'trace raw capture v1', 32));
  }
  const keyId = createHash('sha256').update(key).update('key id').digest('hex').slice(0, 12);
  return { key, keyId };
}

/** Seals `plain` (the trace ID is bound in as associated data, so a sealed message cannot be moved). */
export function seal(plain: string, key: CaptureKey, traceId: string): SealedMessage {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(traceId));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { keyId: key.keyId, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url') };
}

/** Opens a sealed message; throws when the key differs or the bytes were changed. */
export function unseal(message: SealedMessage, key: CaptureKey, traceId: string): string {
  if (message.keyId !== key.keyId) {
    throw new Error(`Sealed with another key (${message.keyId}); this server's key is ${key.keyId}.`);
  }
  const bytes = Buffer.from(message.sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(traceId));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}
