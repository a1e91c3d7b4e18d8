/**
 * The SP's private-key operations behind two small async interfaces, so that a key can live outside the
 * process (a cloud KMS, Vault's transit engine, an HSM, a signing sidecar): the SAML core never needs the
 * private key itself, only
 *
 * - `Signer.sign`: an RSA PKCS#1 v1.5 signature over bytes the core prepared (the canonical SignedInfo of an
 *   XML signature, or the query octets of the HTTP-Redirect binding), and
 * - `Decrypter.unwrapKey`: the RSA-OAEP unwrap of an assertion's content key (a few dozen bytes). The
 *   assertion itself is then decrypted here with that AES key: the bulk data never leaves the process.
 *
 * `pemSigner` and `pemDecrypter` are the default in-process implementations over a PEM private key.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { DOMImplementation, type Element } from '@xmldom/xmldom';
import * as xmlenc from 'xml-encryption';
import { InvalidOptionError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { privateKey as cachedPrivateKey } from './key-cache.ts';

/** The signature algorithms the SP signs with (RSA PKCS#1 v1.5). */
export type SignatureAlgorithmName = 'rsa-sha256' | 'rsa-sha512';

/**
 * Signs bytes with an SP private key: RSASSA-PKCS1-v1_5 with the hash the algorithm names, over the message
 * itself (the implementation hashes). AWS KMS: `RSASSA_PKCS1_V1_5_SHA_256`, MessageType RAW; Google Cloud
 * KMS: `RSA_SIGN_PKCS1_2048_SHA256` over the digest; Vault transit: `sign` with `signature_algorithm=pkcs1v15`.
 *
 * @example
 * ```ts
 * const signer: Signer = { sign: async (data, algorithm) => kms.sign(keyId, data, algorithm) };
 * ```
 */
export interface Signer {
  sign(data: Uint8Array, algorithm: SignatureAlgorithmName): Promise<Uint8Array>;
}

/**
 * The key transport part of an EncryptedAssertion, as the SP read and checked it (algorithm URIs from the
 * allow list, the wrapped key base64-encoded).
 */
export interface WrappedKey {
  /** `http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p` or `http://www.w3.org/2009/xmlenc11#rsa-oaep`. */
  algorithm: string;
  /** The base64 CipherValue of the EncryptedKey. */
  cipherValue: string;
  /** ds:DigestMethod (the OAEP digest; SHA-1 when absent). */
  digestMethod?: string;
  /** xenc11:MGF (MGF1 with SHA-1 when absent). */
  mgf?: string;
  /** xenc:OAEPparams, the base64 OAEP label. */
  oaepParams?: string;
}

/**
 * Unwraps the content key of an encrypted assertion with an SP private key (RSA-OAEP). Returns the AES key.
 * A KMS that decrypts RSA-OAEP (AWS KMS `RSAES_OAEP_SHA_1`/`_SHA_256`, Vault transit `decrypt` on an RSA key)
 * can implement it; it must refuse what it cannot do exactly (another digest or label), never guess.
 *
 * @example
 * ```ts
 * const decrypter: Decrypter = { unwrapKey: async (wrapped) => kms.decrypt(keyId, wrapped) };
 * ```
 */
export interface Decrypter {
  unwrapKey(wrapped: WrappedKey): Promise<Uint8Array>;
}

/**
 * One SP key as the core uses it: its certificate (published in metadata and KeyInfo) and either the PEM
 * private key (in-process) or a signer/decrypter that holds it elsewhere. A plain {@link KeyPair} is one.
 */
export interface SpKey {
  certificatePem: string;
  privateKeyPem?: string;
  signer?: Signer;
  decrypter?: Decrypter;
  /** The key ring ID, for logs and error details. */
  id?: string;
}

const HASH = { 'rsa-sha256': 'sha256', 'rsa-sha512': 'sha512' } as const;

/**
 * The in-process signer over a PEM private key.
 *
 * @example
 * ```ts
 * const signature = await pemSigner(privateKeyPem).sign(Buffer.from('data'), 'rsa-sha256');
 * ```
 */
export function pemSigner(privateKeyPem: string): Signer {
  const key = parsePrivateKey(privateKeyPem);
  return {
    async sign(data, algorithm) {
      const hash = HASH[algorithm];
      if (!hash) throw new InvalidOptionError(`Unknown signing algorithm "${String(algorithm)}".`);
      return sign(hash, data, key);
    },
  };
}

/**
 * The in-process decrypter over a PEM private key. The unwrap is xml-encryption's (its OAEP digest and MGF
 * handling, its refusal of insecure algorithms), fed a fresh EncryptedData that holds only the checked parts.
 *
 * @example
 * ```ts
 * const aesKey = await pemDecrypter(privateKeyPem).unwrapKey(parts.key);
 * ```
 */
export function pemDecrypter(privateKeyPem: string): Decrypter {
  // Parsed once per process (key-cache): the ACS builds a decrypter per request.
  const key = cachedPrivateKey(privateKeyPem);
  return { unwrapKey: async (wrapped) => unwrapWithKey(wrapped, key) };
}

/** The signer of a key: its own, else one over its PEM private key. */
export function signerOf(key: SpKey): Signer {
  if (key.signer) return key.signer;
  if (key.privateKeyPem) return pemSigner(key.privateKeyPem);
  throw new InvalidOptionError(`The SP key ${key.id ?? ''} has neither a private key nor a signer.`.trim());
}

/** The decrypter of a key: its own, else one over its PEM private key. */
export function decrypterOf(key: SpKey): Decrypter {
  if (key.decrypter) return key.decrypter;
  if (key.privateKeyPem) return pemDecrypter(key.privateKeyPem);
  throw new InvalidOptionError(
    `The SP key ${key.id ?? ''} has neither a private key nor a decrypter.`.trim(),
  );
}

/**
 * RSA-OAEP unwrap with an in-process key (xml-encryption's implementation, insecure algorithms refused).
 * Exported for signer processes and tests that hold the key themselves.
 */
export function unwrapWithKey(wrapped: WrappedKey, key: KeyObject): Buffer {
  const doc = new DOMImplementation().createDocument(NS.xenc, 'xenc:EncryptedData', null);
  const root = doc.documentElement!;
  const add = (parent: Element, ns: string, name: string, attrs: Record<string, string>, text?: string) => {
    const el = doc.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.appendChild(doc.createTextNode(text));
    parent.appendChild(el);
    return el;
  };
  const keyInfo = add(root, NS.dsig, 'ds:KeyInfo', {});
  const encryptedKey = add(keyInfo, NS.xenc, 'xenc:EncryptedKey', {});
  const method = add(encryptedKey, NS.xenc, 'xenc:EncryptionMethod', { Algorithm: wrapped.algorithm });
  if (wrapped.digestMethod) add(method, NS.dsig, 'ds:DigestMethod', { Algorithm: wrapped.digestMethod });
  if (wrapped.mgf) add(method, NS.xenc11, 'xenc11:MGF', { Algorithm: wrapped.mgf });
  if (wrapped.oaepParams) add(method, NS.xenc, 'xenc:OAEPparams', {}, wrapped.oaepParams);
  add(
    add(encryptedKey, NS.xenc, 'xenc:CipherData', {}),
    NS.xenc,
    'xenc:CipherValue',
    {},
    wrapped.cipherValue,
  );
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

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw Object.assign(new InvalidOptionError('The SP private key is not a readable PEM private key.'), {
      cause,
    });
  }
}
