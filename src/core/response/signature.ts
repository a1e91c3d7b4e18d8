/**
 * Verifies one enveloped signature (on the Response or on the Assertion) and returns the signed bytes.
 *
 * This is XML-DSig core validation (xmldsig-core §3.2) narrowed to what SAML uses, built on our exclusive
 * canonicaliser (crypto/exc-c14n.ts, held byte-equal to xml-crypto's and, where that one departs from the
 * spec, to libxml2's) and Node's crypto. It does what xml-crypto's SignedXml.checkSignature does, minus its
 * whole-document re-parse and XPath, plus the SAML rules:
 * 1. Only the connection's trusted certificates verify. The certificate in KeyInfo is read for the error
 *    message only (its fingerprint tells the admin which key signed); it never verifies anything.
 * 2. Everything about the Reference is read from the SignedInfo as canonicalised, the exact content the
 *    signature value covers, and the Reference must point at the signature's parent by ID (signature-shape.ts).
 * 3. After verification only the signed content is read: the referenced element, whose digest matched, is
 *    reduced to what its canonical bytes hold (crypto/signed-view.ts: its enveloped Signature removed, no
 *    comments, each run of text joined as c14n joins it, detached from any unsigned parent), and that element
 *    is what later steps see. Comments (the c14n comment truncation trick in NameID) and anything outside the
 *    signed subtree cannot reach the result. The message is parsed once: the view is made from the subtree
 *    that was canonicalised, not by parsing the canonical bytes again (issue #16), and the differential test
 *    test/core/response/signed-view.test.ts holds it equal to such a parse.
 * The SignatureValue is checked before the digest, so an untrusted signature costs no canonicalisation of
 * the (large) signed element.
 */
import { createHash, verify as cryptoVerify, timingSafeEqual } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import type { SignatureMethodSpec } from '../algorithms.ts';
import { canonicalizeExclusive, digestExclusive } from '../crypto/exc-c14n.ts';
import { fingerprintOfBase64Der, type TrustedCertificate } from '../crypto/key-cache.ts';
import { reduceToCanonicalView } from '../crypto/signed-view.ts';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { MAX_XML_DEPTH_LIMIT, parseXml, singleChild } from '../xml/parse.ts';
import { checkSignedInfo, readSignatureParts, type SignedElementName } from './signature-shape.ts';

/** A signature that verified, and what it covers. */
export interface VerifiedSignature {
  /**
   * The signed element as its signed bytes hold it (its own enveloped Signature removed, no comments, text
   * joined as c14n joins it, no unsigned parent): parsed again from those bytes, or with `reduceInPlace` the
   * element itself reduced to them (crypto/signed-view.ts).
   */
  signed: Element;
  /** SHA-256 fingerprint of the trusted certificate that verified. */
  certificateFingerprint: string;
  /** The SignatureMethod URI. */
  algorithm: string;
}

/** Inputs of {@link verifyEnvelopedSignature}. */
export interface VerifySignatureInput {
  /** The Response or Assertion whose direct ds:Signature child is verified. */
  element: Element;
  what: SignedElementName;
  certificates: readonly TrustedCertificate[];
  allowSha1: boolean;
  /**
   * Read the SignedInfo and the signed element from the very subtrees that were canonicalised, reduced in
   * place to what their canonical bytes hold (crypto/signed-view.ts), instead of parsing those bytes again.
   * The caller's document changes: comments go, text runs are joined, the enveloped Signature is removed and
   * the signed element is detached from an unsigned parent. validateResponse does this (one parse per
   * message, issue #16); the default, false, leaves the document as received (IdP metadata reads its
   * Signature afterwards) and parses the signed bytes again.
   */
  reduceInPlace?: boolean;
}

/** The direct ds:Signature child of an element, if any (several are refused). */
export function findSignature(element: Element): Element | undefined {
  return singleChild(element, NS.dsig, 'Signature');
}

/**
 * Verifies the element's enveloped signature if it has one; undefined when it is unsigned (whether that is
 * acceptable is for signature-policy.ts to say). A signature that is present but bad always throws.
 *
 * @example
 * ```ts
 * const verified = verifyIfSigned({ element: response, what: 'Response', certificates, allowSha1: false });
 * ```
 */
export function verifyIfSigned(
  input: Omit<VerifySignatureInput, 'certificates'> & { certificates: () => readonly TrustedCertificate[] },
): VerifiedSignature | undefined {
  const signature = findSignature(input.element);
  return signature
    ? verifyEnvelopedSignature(signature, { ...input, certificates: input.certificates() })
    : undefined;
}

/**
 * Verifies `signature`, the enveloped ds:Signature child of `input.element`, against the trusted certificates.
 *
 * @example
 * ```ts
 * const { signed, certificateFingerprint } = verifyEnvelopedSignature(signatureEl, {
 *   element: assertion, what: 'Assertion', certificates, allowSha1: false,
 * });
 * ```
 */
export function verifyEnvelopedSignature(signature: Element, input: VerifySignatureInput): VerifiedSignature {
  const { element, what, certificates } = input;
  if (signature.parentNode !== element)
    throw new Error('verifyEnvelopedSignature: the signature must be a child of the element.');
  const parts = readSignatureParts(signature, what);

  // The exact bytes the SignatureValue covers. The Reference is read from the subtree they were rendered
  // from, reduced to what they hold (no comments, text joined), so it says what the signed bytes say.
  const signedInfoBytes = canonicalizeExclusive(parts.signedInfo, { prefixList: parts.c14nPrefixes });
  const signedInfo = input.reduceInPlace
    ? reduceToCanonicalView(parts.signedInfo, { detach: false })
    : reparse(signedInfoBytes, `${what} SignedInfo`);
  const facts = checkSignedInfo(signedInfo, element, what, input);

  const keyInfoFingerprints = parts.keyInfoCertificates.map(fingerprintOfBase64Der);
  const trustedFingerprints = certificates.map((c) => c.fingerprint);
  const details = { element: what, keyInfoFingerprints, trustedFingerprints, algorithm: facts.method.uri };

  const matched = verifyWithTrusted(
    facts.method,
    signedInfoBytes,
    parts.signatureValue,
    certificates,
    keyInfoFingerprints,
  );
  if (!matched) throw noTrustedKey(what, keyInfoFingerprints, trustedFingerprints, details);

  const c14n = { prefixList: facts.transformPrefixes, exclude: signature };
  // Read in place, the signed bytes are only hashed: as they are produced (a 15 MB aggregate is never one
  // string). Parsed again, they are kept.
  const signedBytes = input.reduceInPlace ? undefined : canonicalizeExclusive(element, c14n);
  const digest =
    signedBytes === undefined
      ? digestExclusive(element, c14n, facts.digest)
      : createHash(facts.digest).update(signedBytes, 'utf8').digest();
  if (digest.length !== facts.digestValue.length || !timingSafeEqual(digest, facts.digestValue)) {
    throw new SamlSpError(
      'SAML_SIGNATURE_INVALID',
      `The ${what} was modified after it was signed (digest mismatch).`,
      {
        hint: 'The signed content does not match its digest. A proxy or browser extension that rewrites POST bodies can cause this; otherwise the response was tampered with.',
        details: { ...details, certificateFingerprint: matched.fingerprint },
      },
    );
  }

  // The digest matched: from here on the element is read as the bytes that matched it.
  const signed =
    signedBytes === undefined
      ? reduceToCanonicalView(element, { exclude: signature })
      : reparse(signedBytes, `signed ${what}`);
  if (signed.localName !== element.localName || signed.namespaceURI !== element.namespaceURI) {
    // Unreachable by construction; kept so that a canonicaliser change cannot turn into an accept.
    throw new SamlSpError('SAML_SIGNATURE_INVALID', `The ${what} signature covers a different element.`, {
      hint: 'Internal consistency check failed; report this message.',
      details,
    });
  }
  return { signed, certificateFingerprint: matched.fingerprint, algorithm: facts.method.uri };
}

/**
 * The root of a canonical form parsed again. It comes from a document parseXml already size- and
 * depth-limited (the caller's limits), so the highest limits apply: they can never refuse what the message
 * parse accepted.
 */
function reparse(canonical: string, what: string): Element {
  return parseXml(canonical, { what, maxBytes: Number.MAX_SAFE_INTEGER, maxDepth: MAX_XML_DEPTH_LIMIT })
    .documentElement!;
}

/** The trusted certificate whose key verifies the signature, trying the one KeyInfo names first. */
function verifyWithTrusted(
  method: SignatureMethodSpec,
  signedInfoBytes: string,
  signatureValue: Buffer,
  certificates: readonly TrustedCertificate[],
  keyInfoFingerprints: readonly string[],
): TrustedCertificate | undefined {
  const data = Buffer.from(signedInfoBytes, 'utf8');
  const named = (c: TrustedCertificate) => keyInfoFingerprints.includes(c.fingerprint);
  const ordered = [...certificates.filter(named), ...certificates.filter((c) => !named(c))];
  for (const cert of ordered) {
    if (cert.keyType !== method.keyType) continue;
    // XML-DSig ECDSA signature values are r || s (RFC 4050 §3.3), not DER.
    const key =
      method.keyType === 'ec' ? { key: cert.publicKey, dsaEncoding: 'ieee-p1363' as const } : cert.publicKey;
    try {
      if (cryptoVerify(method.hash, data, key, signatureValue)) return cert;
    } catch {
      // A malformed signature value for this key type: not a match.
    }
  }
  return undefined;
}

function noTrustedKey(
  what: string,
  keyInfoFingerprints: string[],
  trustedFingerprints: string[],
  details: Record<string, unknown>,
): SamlSpError {
  const trusted = trustedFingerprints.join(', ');
  if (keyInfoFingerprints.length > 0 && keyInfoFingerprints.every((f) => !trustedFingerprints.includes(f))) {
    return new SamlSpError(
      'SAML_SIGNATURE_UNTRUSTED',
      `The ${what} is signed with a certificate this connection does not trust.`,
      {
        hint: `The ${what} names signing certificate SHA-256 ${keyInfoFingerprints.join(', ')} in its KeyInfo; this connection trusts ${trusted}. If the IdP rolled its signing certificate over, refresh the connection's metadata or add the new certificate; otherwise the response is forged.`,
        details,
      },
    );
  }
  return new SamlSpError(
    'SAML_SIGNATURE_INVALID',
    `The ${what} signature does not verify with any trusted certificate.`,
    {
      hint:
        keyInfoFingerprints.length > 0
          ? `The certificate in KeyInfo (${keyInfoFingerprints.join(', ')}) is trusted, but the signature value does not match: the SignedInfo was altered.`
          : `No trusted certificate (${trusted}) verifies the signature, and the IdP sent none in KeyInfo. If the IdP changed its signing certificate, refresh the connection's metadata; otherwise the response was altered.`,
      details,
    },
  );
}
