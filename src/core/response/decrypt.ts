/**
 * Step 8: find the assertion, decrypting an EncryptedAssertion with the SP key.
 *
 * The decryptor never reads the attacker's document. The parts of the EncryptedAssertion are read strictly,
 * in the XML Encryption namespace only and at the places xenc-schema.xsd gives them (an element named
 * EncryptionMethod, CipherValue, … in any other namespace is refused), their algorithms are checked against
 * the allow lists, and a fresh EncryptedData holding only those checked parts is what xml-encryption sees:
 * whatever it looks up by local name, it can only find the values checked here. xml-encryption unwraps the
 * content key with its insecure-algorithm refusal on; the content is decrypted here, with the block cipher
 * the allow list checked, by name.
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
import {
  BLOCK_ENCRYPTION,
  blockEncryptionVerdict,
  KEY_TRANSPORT,
  keyTransportVerdict,
} from '../algorithms.ts';
import { privateKey } from '../crypto/key-cache.ts';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, parseXml, singleChild, textOf } from '../xml/parse.ts';
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
  checkAlgorithms(parts, options);
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

/** The parts of an EncryptedAssertion the decryptor uses, read in the xenc namespace only. */
interface EncryptedParts {
  blockAlgorithm: string;
  cipherValue: string;
  key: {
    algorithm: string;
    cipherValue: string;
    /** ds:DigestMethod, xenc11:MGF and xenc:OAEPparams of the key EncryptionMethod, as found. */
    digestMethod?: string;
    mgf?: string;
    oaepParams?: string;
  };
}

// The names XML Encryption gives its elements; read in the xenc namespace only, refused in any other.
const XENC_NAMES = new Set([
  'EncryptedData',
  'EncryptedKey',
  'EncryptionMethod',
  'CipherData',
  'CipherValue',
  'CipherReference',
]);

function readEncryptedParts(encrypted: Element): EncryptedParts {
  refuseForeignXencNames(encrypted);
  const data = childElements(encrypted, NS.xenc, 'EncryptedData');
  if (data.length !== 1) {
    throw structure(`The EncryptedAssertion has ${data.length} xenc:EncryptedData elements.`);
  }
  const encryptedData = data[0]!;
  const encryptedKey = findEncryptedKey(encrypted, encryptedData);
  const keyMethod = requiredMethod(encryptedKey, 'EncryptedKey');
  const digestMethod =
    singleChild(keyMethod, NS.dsig, 'DigestMethod')?.getAttribute('Algorithm') ?? undefined;
  const mgf = singleChild(keyMethod, NS.xenc11, 'MGF')?.getAttribute('Algorithm') ?? undefined;
  const oaepParams = textOf(singleChild(keyMethod, NS.xenc, 'OAEPparams'));
  return {
    blockAlgorithm: requiredMethod(encryptedData, 'EncryptedData').getAttribute('Algorithm') ?? '',
    cipherValue: cipherValueOf(encryptedData, 'EncryptedData'),
    key: {
      algorithm: keyMethod.getAttribute('Algorithm') ?? '',
      cipherValue: cipherValueOf(encryptedKey, 'EncryptedKey'),
      ...(digestMethod !== undefined ? { digestMethod } : {}),
      ...(mgf !== undefined ? { mgf } : {}),
      ...(oaepParams ? { oaepParams } : {}),
    },
  };
}

/** A foreign element named like an XML Encryption one is where a name-based reader would go wrong. */
function refuseForeignXencNames(encrypted: Element): void {
  const stack: Element[] = [encrypted];
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (XENC_NAMES.has(el.localName ?? '') && el.namespaceURI !== NS.xenc) {
      throw structure(
        `The EncryptedAssertion carries <${el.tagName}> in the namespace ${el.namespaceURI ?? '(none)'}, not XML Encryption's.`,
        { element: el.tagName, namespace: el.namespaceURI },
      );
    }
    for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) stack.push(n as Element);
  }
}

/**
 * The EncryptedKey for the content key: the one in EncryptedData's ds:KeyInfo, or the sibling a
 * ds:RetrievalMethod names by Id (Shibboleth and ADFS put it beside the EncryptedData).
 */
function findEncryptedKey(encrypted: Element, encryptedData: Element): Element {
  const keyInfo = singleChild(encryptedData, NS.dsig, 'KeyInfo');
  const inline = keyInfo ? childElements(keyInfo, NS.xenc, 'EncryptedKey') : [];
  if (inline.length > 1) throw structure(`The EncryptedData KeyInfo holds ${inline.length} EncryptedKeys.`);
  if (inline[0]) return inline[0];
  const retrieval = keyInfo ? singleChild(keyInfo, NS.dsig, 'RetrievalMethod') : undefined;
  const uri = retrieval?.getAttribute('URI') ?? '';
  const siblings = childElements(encrypted, NS.xenc, 'EncryptedKey');
  const named = uri.startsWith('#') ? siblings.filter((k) => k.getAttribute('Id') === uri.slice(1)) : [];
  if (named.length === 1) return named[0]!;
  throw new SamlSpError('SAML_DECRYPTION_FAILED', 'The encrypted assertion carries no usable EncryptedKey.', {
    hint: 'The IdP must wrap the content key for the SP encryption certificate (an xenc:EncryptedKey in the EncryptedData KeyInfo, or one a RetrievalMethod names).',
    details: { retrievalUri: uri || null, siblingKeys: siblings.length },
  });
}

function requiredMethod(parent: Element, what: string): Element {
  const method = singleChild(parent, NS.xenc, 'EncryptionMethod');
  if (!method) {
    throw new SamlSpError('SAML_ALGORITHM_FORBIDDEN', `The ${what} names no EncryptionMethod.`, {
      hint: 'The IdP must name its encryption algorithms (xenc:EncryptionMethod); the SP never guesses one.',
      details: { role: what === 'EncryptedKey' ? 'key-transport' : 'content-encryption' },
    });
  }
  return method;
}

function cipherValueOf(parent: Element, what: string): string {
  const value = textOf(
    singleChild(singleChild(parent, NS.xenc, 'CipherData') ?? parent, NS.xenc, 'CipherValue'),
  );
  if (!value) throw structure(`The ${what} has no xenc:CipherData/xenc:CipherValue.`);
  return value.replace(/\s+/g, '');
}

/** The digests and mask functions xml-encryption implements for RSA-OAEP; anything else is refused. */
const OAEP_DIGESTS = new Set([
  'http://www.w3.org/2000/09/xmldsig#sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const MGF_ALGORITHMS = new Set([
  'http://www.w3.org/2009/xmlenc11#mgf1sha1',
  'http://www.w3.org/2009/xmlenc11#mgf1sha224',
  'http://www.w3.org/2009/xmlenc11#mgf1sha256',
  'http://www.w3.org/2009/xmlenc11#mgf1sha384',
  'http://www.w3.org/2009/xmlenc11#mgf1sha512',
]);
const CBC = new Set<string>([BLOCK_ENCRYPTION['aes128-cbc'], BLOCK_ENCRYPTION['aes256-cbc']]);

function checkAlgorithms(parts: EncryptedParts, options: DecryptOptions): void {
  const { blockAlgorithm, key } = parts;
  const keyVerdict = keyTransportVerdict(key.algorithm);
  if (!keyVerdict.ok) throw forbidden(key.algorithm, 'key-transport');
  if (key.digestMethod !== undefined && !OAEP_DIGESTS.has(key.digestMethod)) {
    throw forbidden(key.digestMethod, 'key-transport-digest');
  }
  if (
    key.mgf !== undefined &&
    (key.algorithm === KEY_TRANSPORT['rsa-oaep-mgf1p'] || !MGF_ALGORITHMS.has(key.mgf))
  ) {
    throw forbidden(key.mgf, 'key-transport-mgf');
  }
  if (!blockEncryptionVerdict(blockAlgorithm).ok) throw forbidden(blockAlgorithm, 'content-encryption');
  if (CBC.has(blockAlgorithm) && !options.ciphertextSigned && !options.allowCbcWithoutResponseSignature) {
    throw new SamlSpError(
      'SAML_ALGORITHM_FORBIDDEN',
      'The assertion is encrypted with AES-CBC and no Response signature covers the ciphertext.',
      {
        hint:
          'AES-CBC ciphertext can be altered undetected, and replaying altered copies lets an attacker decrypt it (padding-oracle attacks). ' +
          'Either have the IdP sign the whole Response as well as the assertion (ADFS: Set-AdfsRelyingPartyTrust -TargetName <trust> -SamlResponseSignature MessageAndAssertion; ' +
          'Okta/Keycloak: sign the response/document), or switch the IdP to AES-GCM (Shibboleth: http://www.w3.org/2009/xmlenc11#aes128-gcm). ' +
          'Only if neither is possible, turn on policy.allowCbcWithoutResponseSignature for this connection.',
        details: { algorithm: blockAlgorithm, role: 'content-encryption', responseSigned: false },
      },
    );
  }
}

function forbidden(algorithm: string, role: string): SamlSpError {
  const rsa15 = algorithm.endsWith('#rsa-1_5');
  return new SamlSpError(
    'SAML_ALGORITHM_FORBIDDEN',
    `The assertion is encrypted with ${algorithm || '(no algorithm)'}, which is not allowed.`,
    {
      hint: rsa15
        ? 'RSA PKCS#1 v1.5 key transport is refused (padding-oracle attacks). Configure the IdP to use RSA-OAEP for key encryption (Shibboleth/ADFS: rsa-oaep-mgf1p).'
        : 'Allowed: AES-128/256-GCM or AES-128/256-CBC content encryption with RSA-OAEP key transport (SHA-1, SHA-256 or SHA-512 digest). Change the IdP encryption settings.',
      details: { algorithm, role },
    },
  );
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

function structure(message: string, details: Record<string, unknown> = {}): SamlSpError {
  return new SamlSpError('SAML_STRUCTURE_INVALID', message, {
    hint: 'An EncryptedAssertion holds one xenc:EncryptedData (with its xenc:EncryptionMethod, ds:KeyInfo and xenc:CipherData) and, optionally, xenc:EncryptedKey siblings, all in the XML Encryption namespace. A genuine IdP sends exactly that.',
    details,
  });
}
