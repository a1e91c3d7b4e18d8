/**
 * Step 8: find the assertion, decrypting an EncryptedAssertion with the SP key.
 *
 * The decryptor never reads the attacker's document. The parts of the EncryptedAssertion are read strictly
 * (encrypted-parts.ts: the XML Encryption namespace only, at the places its schema gives them), their
 * algorithms are checked against the allow lists, and a fresh EncryptedData holding only those checked parts
 * is what xml-encryption sees: whatever it looks up by local name, it can only find the values checked here.
 * xml-encryption unwraps the content key with its insecure-algorithm refusal on; the content is decrypted
 * here, with the block cipher the allow list checked, by name.
 *
 * AES-CBC ciphertext is malleable: an attacker who can replay an altered ciphertext and watch the outcome
 * can decrypt it (Jager & Somorovsky, 2011). CBC is therefore decrypted only when a verified Response
 * signature covers the ciphertext, or when the connection opts in with `allowCbcWithoutResponseSignature`.
 *
 * Every failure after the algorithm checks (key unwrap, padding, GCM tag, the plaintext not being XML) gives
 * one and the same error message, so that failures cannot be told apart; the specific reason goes only into
 * `details`, for the admin log.
 */
import { createDecipheriv } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { BLOCK_ENCRYPTION } from '../algorithms.ts';
import { decrypterOf, type SpKey } from '../crypto/signer.ts';
import { SamlSpError } from '../errors.ts';
import { parseXml } from '../xml/parse.ts';
import { checkEncryptionAlgorithms, type EncryptedParts, readEncryptedParts } from './encrypted-parts.ts';
import { checkAssertionDocument } from './structure.ts';

/** Options of {@link decryptAssertion}. */
export interface DecryptOptions {
  /** The SP decryption key as PEM (the single-key form). */
  keyPem?: string | undefined;
  /**
   * Every key to try (the non-retired encryption keys of a key ring, the primary first), each with its PEM
   * key or a {@link Decrypter} that holds it elsewhere. Takes precedence over `keyPem`.
   */
  keys?: readonly SpKey[];
  /** Retired encryption keys: an assertion wrapped for one is refused by name (SAML_DECRYPTION_KEY_RETIRED). */
  retiredKeys?: readonly { id: string; certificatePem: string }[];
  maxBytes: number;
  maxDepth: number;
  /** A verified Response signature covers the EncryptedAssertion (it was read from the signed bytes). */
  ciphertextSigned: boolean;
  /** The connection's `allowCbcWithoutResponseSignature`. */
  allowCbcWithoutResponseSignature: boolean;
}

/**
 * Checks the algorithms of an EncryptedAssertion, decrypts it and returns the root of the plaintext assertion
 * document (its signature, if any, is verified in that document).
 *
 * The content key is unwrapped by the key the EncryptedKey's KeyInfo names (certificate or KeyName) when it
 * names one of ours, else by each key in turn; only that small unwrap goes through the key's
 * {@link Decrypter} (possibly another process or a KMS), the assertion itself is decrypted here.
 *
 * @example
 * ```ts
 * const assertion = await decryptAssertion(encryptedAssertion, {
 *   keyPem: sp.decryptionKeyPem, maxBytes, maxDepth, ciphertextSigned: false, allowCbcWithoutResponseSignature: false,
 * });
 * ```
 */
export async function decryptAssertion(encrypted: Element, options: DecryptOptions): Promise<Element> {
  const keys: readonly SpKey[] =
    options.keys ?? (options.keyPem ? [{ certificatePem: '', privateKeyPem: options.keyPem }] : []);
  if (keys.length === 0) {
    throw new SamlSpError(
      'SAML_DECRYPTION_FAILED',
      'The assertion is encrypted and the SP has no decryption key.',
      {
        hint: 'Configure the SP encryption key (SP_KEY_FILE), or turn off assertion encryption for this application in the IdP.',
        status: 500,
      },
    );
  }
  const parts = readEncryptedParts(encrypted);
  checkEncryptionAlgorithms(parts, options);
  const retired = retiredKeyNamed(parts, options.retiredKeys ?? []);
  if (retired && !keys.some((k) => names(parts, k))) throw retiredKeyError(retired);

  // Parsed before the loop: an unreadable SP key is a configuration error, not a rejected message.
  const decrypters = orderByKeyInfo(parts, keys).map((key) => decrypterOf(key));
  let assertion: Element | undefined;
  let lastCause: unknown;
  for (const decrypter of decrypters) {
    try {
      const contentKey = Buffer.from(await decrypter.unwrapKey(parts.key));
      const plaintext = decryptContent(parts, contentKey);
      assertion = checkAssertionDocument(
        parseXml(plaintext, {
          maxBytes: options.maxBytes,
          maxDepth: options.maxDepth,
          what: 'decrypted assertion',
        }),
      );
      break;
    } catch (cause) {
      // A key service that is down is an outage (503), not a bad message.
      if (cause instanceof SamlSpError && cause.code === 'SAML_KEY_UNAVAILABLE') throw cause;
      lastCause = cause;
    }
  }
  if (!assertion) {
    throw new SamlSpError(
      'SAML_DECRYPTION_FAILED',
      'The encrypted assertion could not be decrypted with the SP key.',
      {
        hint: 'Check that the IdP encrypts with the SP encryption certificate published in the SP metadata (re-upload it after an SP key change).',
        details: {
          reason: lastCause instanceof Error ? lastCause.message : String(lastCause),
          keysTried: keys.length,
        },
        cause: lastCause,
      },
    );
  }
  return assertion;
}

/** The keys in the order to try them: the one the EncryptedKey's KeyInfo names first (a hint, not a rule). */
function orderByKeyInfo(parts: EncryptedParts, keys: readonly SpKey[]): SpKey[] {
  const named = keys.filter((k) => names(parts, k));
  return [...named, ...keys.filter((k) => !named.includes(k))];
}

function names(parts: EncryptedParts, key: { id?: string; certificatePem: string }): boolean {
  if (parts.key.keyName !== undefined && key.id !== undefined && parts.key.keyName === key.id) return true;
  return parts.key.namedCertificate !== undefined && derOf(key.certificatePem) === parts.key.namedCertificate;
}

function retiredKeyNamed(parts: EncryptedParts, retired: readonly { id: string; certificatePem: string }[]) {
  return retired.find((k) => names(parts, k));
}

function retiredKeyError(key: { id: string; certificatePem: string }): SamlSpError {
  return new SamlSpError(
    'SAML_DECRYPTION_KEY_RETIRED',
    `The assertion is encrypted for the SP encryption key "${key.id}", which is retired.`,
    {
      hint: `The IdP still encrypts with the old SP encryption certificate. Upload the current SP metadata (or the active encryption certificate) to the IdP; key "${key.id}" was retired and is no longer used to decrypt.`,
      details: { keyId: key.id },
    },
  );
}

/** The base64 DER of a PEM certificate, as a KeyInfo carries it ('' for none). */
function derOf(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** Node cipher, key length and IV length of each allowed block algorithm. */
const BLOCK_CIPHERS: Readonly<
  Record<string, { cipher: string; keyLength: number; ivLength: number; gcm: boolean }>
> = {
  [BLOCK_ENCRYPTION['aes128-gcm']]: { cipher: 'aes-128-gcm', keyLength: 16, ivLength: 12, gcm: true },
  [BLOCK_ENCRYPTION['aes256-gcm']]: { cipher: 'aes-256-gcm', keyLength: 32, ivLength: 12, gcm: true },
  [BLOCK_ENCRYPTION['aes128-cbc']]: { cipher: 'aes-128-cbc', keyLength: 16, ivLength: 16, gcm: false },
  [BLOCK_ENCRYPTION['aes256-cbc']]: { cipher: 'aes-256-cbc', keyLength: 32, ivLength: 16, gcm: false },
};

/** Decrypts the content with the block cipher the allow list checked (XML-Enc 1.1 §5.2: IV first, GCM tag last). */
function decryptContent(parts: EncryptedParts, contentKey: Buffer): string {
  const spec = BLOCK_CIPHERS[parts.blockAlgorithm];
  if (!spec) throw new Error(`no cipher for ${parts.blockAlgorithm}`);
  if (contentKey.length !== spec.keyLength)
    throw new Error('content key length does not match the algorithm');
  const data = Buffer.from(parts.cipherValue, 'base64');
  const iv = data.subarray(0, spec.ivLength);
  if (spec.gcm) {
    if (data.length < spec.ivLength + 16) throw new Error('ciphertext too short');
    const decipher = createDecipheriv(spec.cipher as 'aes-256-gcm', contentKey, iv);
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([
      decipher.update(data.subarray(spec.ivLength, data.length - 16)),
      decipher.final(),
    ]).toString('utf8');
  }
  const decipher = createDecipheriv(spec.cipher, contentKey, iv);
  // XML-Enc padding: the last byte says how many bytes to drop; the others are arbitrary (not PKCS#7).
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(data.subarray(spec.ivLength)), decipher.final()]);
  const pad = padded.at(-1) ?? 0;
  if (pad < 1 || pad > 16) throw new Error('padding length invalid');
  return padded.subarray(0, padded.length - pad).toString('utf8');
}
