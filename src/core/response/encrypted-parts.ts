/**
 * The parts of an EncryptedAssertion that decryption uses, read strictly, and the algorithm policy over them.
 *
 * EncryptedData, EncryptedKey, EncryptionMethod, CipherData and CipherValue are read in the XML Encryption
 * namespace only, at the places xenc-schema.xsd gives them; an element of one of those names in any other
 * namespace is refused, because a reader that goes by local name (xml-encryption does) would take it. Both
 * EncryptionMethods must be present: the SP never guesses an algorithm.
 */
import type { Element } from '@xmldom/xmldom';
import {
  BLOCK_ENCRYPTION,
  blockEncryptionVerdict,
  KEY_TRANSPORT,
  keyTransportVerdict,
} from '../algorithms.ts';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, singleChild, textOf } from '../xml/parse.ts';

/** The parts of an EncryptedAssertion the decryptor uses, read in the xenc namespace only. */
export interface EncryptedParts {
  blockAlgorithm: string;
  cipherValue: string;
  key: {
    algorithm: string;
    cipherValue: string;
    /** ds:DigestMethod, xenc11:MGF and xenc:OAEPparams of the key EncryptionMethod, as found. */
    digestMethod?: string;
    mgf?: string;
    oaepParams?: string;
    /**
     * Which SP key the IdP wrapped the content key for, when the EncryptedKey's ds:KeyInfo says so: the
     * base64 DER of its ds:X509Certificate, or its ds:KeyName. A hint for choosing the key to try first,
     * never trusted for anything else.
     */
    namedCertificate?: string;
    keyName?: string;
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

/**
 * Reads the parts of an EncryptedAssertion. Throws SAML_STRUCTURE_INVALID for a misplaced or foreign-namespace
 * XML Encryption element, SAML_ALGORITHM_FORBIDDEN for a missing EncryptionMethod.
 *
 * @example
 * ```ts
 * const parts = readEncryptedParts(encryptedAssertion); // { blockAlgorithm, cipherValue, key: { algorithm, … } }
 * ```
 */
export function readEncryptedParts(encrypted: Element): EncryptedParts {
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
  // Only a hint for which key to try first: read leniently (the first of each), never refused.
  const keyInfo = childElements(encryptedKey, NS.dsig, 'KeyInfo')[0];
  const x509Data = keyInfo ? childElements(keyInfo, NS.dsig, 'X509Data')[0] : undefined;
  const namedCertificate = textOf(
    x509Data ? childElements(x509Data, NS.dsig, 'X509Certificate')[0] : undefined,
  );
  const keyName = textOf(keyInfo ? childElements(keyInfo, NS.dsig, 'KeyName')[0] : undefined)?.trim();
  return {
    blockAlgorithm: requiredMethod(encryptedData, 'EncryptedData').getAttribute('Algorithm') ?? '',
    cipherValue: cipherValueOf(encryptedData, 'EncryptedData'),
    key: {
      algorithm: keyMethod.getAttribute('Algorithm') ?? '',
      cipherValue: cipherValueOf(encryptedKey, 'EncryptedKey'),
      ...(digestMethod !== undefined ? { digestMethod } : {}),
      ...(mgf !== undefined ? { mgf } : {}),
      ...(oaepParams ? { oaepParams } : {}),
      ...(namedCertificate ? { namedCertificate: namedCertificate.replace(/\s+/g, '') } : {}),
      ...(keyName ? { keyName } : {}),
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

/**
 * Checks every algorithm the decryptor will use against the allow lists, and AES-CBC against the signature
 * that covers it. Throws SAML_ALGORITHM_FORBIDDEN.
 *
 * @example
 * ```ts
 * checkEncryptionAlgorithms(parts, { ciphertextSigned: false, allowCbcWithoutResponseSignature: false });
 * ```
 */
export function checkEncryptionAlgorithms(
  parts: EncryptedParts,
  options: { ciphertextSigned: boolean; allowCbcWithoutResponseSignature: boolean },
): void {
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

function structure(message: string, details: Record<string, unknown> = {}): SamlSpError {
  return new SamlSpError('SAML_STRUCTURE_INVALID', message, {
    hint: 'An EncryptedAssertion holds one xenc:EncryptedData (with its xenc:EncryptionMethod, ds:KeyInfo and xenc:CipherData) and, optionally, xenc:EncryptedKey siblings, all in the XML Encryption namespace. A genuine IdP sends exactly that.',
    details,
  });
}
