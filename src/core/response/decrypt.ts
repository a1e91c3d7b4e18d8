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
import { createDecipheriv, type KeyObject } from 'node:crypto';
import { DOMImplementation, type Element } from '@xmldom/xmldom';
import * as xmlenc from 'xml-encryption';
import { BLOCK_ENCRYPTION } from '../algorithms.ts';
import { privateKey } from '../crypto/key-cache.ts';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { parseXml } from '../xml/parse.ts';
import { checkEncryptionAlgorithms, type EncryptedParts, readEncryptedParts } from './encrypted-parts.ts';
import { checkAssertionDocument } from './structure.ts';

/** Options of {@link decryptAssertion}. */
export interface DecryptOptions {
  keyPem: string | undefined;
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
 * @example
 * ```ts
 * const assertion = decryptAssertion(encryptedAssertion, {
 *   keyPem: sp.decryptionKeyPem, maxBytes, maxDepth, ciphertextSigned: false, allowCbcWithoutResponseSignature: false,
 * });
 * ```
 */
export function decryptAssertion(encrypted: Element, options: DecryptOptions): Element {
  if (!options.keyPem) {
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
  const key = privateKey(options.keyPem);

  let assertion: Element;
  try {
    const plaintext = decryptContent(parts, unwrapKey(parts, key));
    assertion = checkAssertionDocument(
      parseXml(plaintext, {
        maxBytes: options.maxBytes,
        maxDepth: options.maxDepth,
        what: 'decrypted assertion',
      }),
    );
  } catch (cause) {
    throw new SamlSpError(
      'SAML_DECRYPTION_FAILED',
      'The encrypted assertion could not be decrypted with the SP key.',
      {
        hint: 'Check that the IdP encrypts with the SP encryption certificate published in the SP metadata (re-upload it after an SP key change).',
        details: { reason: cause instanceof Error ? cause.message : String(cause) },
        cause,
      },
    );
  }
  return assertion;
}

/**
 * Unwraps the content key with xml-encryption, handing it a fresh EncryptedData that holds only the checked
 * key transport parts, with its insecure-algorithm refusal on.
 */
function unwrapKey(parts: EncryptedParts, key: KeyObject): Buffer {
  const doc = new DOMImplementation().createDocument(NS.xenc, 'xenc:EncryptedData', null);
  const root = doc.documentElement!;
  const add = (
    parent: Element,
    ns: string,
    name: string,
    attrs: Record<string, string> = {},
    text?: string,
  ) => {
    const el = doc.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.appendChild(doc.createTextNode(text));
    parent.appendChild(el);
    return el;
  };
  const keyInfo = add(root, NS.dsig, 'ds:KeyInfo');
  const encryptedKey = add(keyInfo, NS.xenc, 'xenc:EncryptedKey');
  const method = add(encryptedKey, NS.xenc, 'xenc:EncryptionMethod', { Algorithm: parts.key.algorithm });
  if (parts.key.digestMethod) add(method, NS.dsig, 'ds:DigestMethod', { Algorithm: parts.key.digestMethod });
  if (parts.key.mgf) add(method, NS.xenc11, 'xenc11:MGF', { Algorithm: parts.key.mgf });
  if (parts.key.oaepParams) add(method, NS.xenc, 'xenc:OAEPparams', {}, parts.key.oaepParams);
  add(add(encryptedKey, NS.xenc, 'xenc:CipherData'), NS.xenc, 'xenc:CipherValue', {}, parts.key.cipherValue);
  // xml-encryption accepts a DOM node and a KeyObject at run time (its typings say string).
  const decryptKeyInfo = xmlenc.decryptKeyInfo as unknown as (
    doc: Element,
    options: { key: KeyObject; disallowDecryptionWithInsecureAlgorithm: true; warnInsecureAlgorithm: false },
  ) => Buffer;
  return decryptKeyInfo(root, {
    key,
    disallowDecryptionWithInsecureAlgorithm: true,
    warnInsecureAlgorithm: false,
  });
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
