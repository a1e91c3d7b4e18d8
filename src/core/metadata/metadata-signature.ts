/**
 * The metadata's own XML signature. ADFS signs FederationMetadata.xml, federations sign their aggregates; when
 * a connection pins the signer's certificate, metadata fetched later (over a network the SP does not control)
 * is only used if that certificate signed it.
 *
 * The same verifier as for SAML messages (src/core/response/signature.ts) does the work: an enveloped
 * signature on the root element, a Reference to the root's own ID, exclusive c14n, SHA-256 or better unless
 * SHA-1 is allowed, and only the signed bytes are read afterwards.
 */
import type { Element } from '@xmldom/xmldom';
import { trustedCertificate } from '../crypto/key-cache.ts';
import { InvalidOptionError, isSamlSpError, SamlSpError } from '../errors.ts';
import { findSignature, verifyEnvelopedSignature } from '../response/signature.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements } from '../xml/parse.ts';

/** Options of {@link verifyMetadataSignature}. */
export interface MetadataSignatureOptions {
  /** The pinned certificates (PEM or bare base64) one of which must have signed the metadata. */
  certificates: readonly string[];
  /** Accept an RSA-SHA1 signature (older ADFS farms sign their metadata that way). Default false. */
  allowSha1?: boolean;
  /**
   * Return `root` itself, reduced in place to what its signed bytes hold (its Signature removed, no comments,
   * text joined: crypto/signed-view.ts), instead of a root parsed again from those bytes. One parse of a 15 MB
   * federation aggregate instead of two. The caller's document changes, so read anything else of it (its
   * Signature's algorithms) first. Default false.
   */
  reduceInPlace?: boolean;
}

/** A metadata document whose signature verified. */
export interface VerifiedMetadata {
  /**
   * The root element as its signed bytes hold it, parsed again from them (or, with `reduceInPlace`, the root
   * itself reduced to them): read the metadata from this element only.
   */
  root: Element;
  certificateFingerprint: string;
  algorithm: string;
}

/**
 * Verifies the enveloped signature on the metadata root (EntityDescriptor or EntitiesDescriptor) against the
 * pinned certificates and returns the signed root.
 *
 * Throws SAML_SIGNATURE_MISSING when the root is unsigned, SAML_SIGNATURE_UNTRUSTED when another key signed
 * it, SAML_SIGNATURE_INVALID when it was altered, SAML_ALGORITHM_FORBIDDEN for SHA-1 (unless allowed), each
 * with a hint written for metadata.
 *
 * @example
 * ```ts
 * const { root } = verifyMetadataSignature(doc.documentElement, { certificates: [adfsTokenSigningPem] });
 * ```
 */
export function verifyMetadataSignature(root: Element, options: MetadataSignatureOptions): VerifiedMetadata {
  const what = root.localName === 'EntitiesDescriptor' ? 'EntitiesDescriptor' : 'EntityDescriptor';
  if (options.certificates.length === 0) {
    throw new InvalidOptionError(
      'verifyMetadataSignature: certificates must list at least one pinned certificate.',
    );
  }
  const signature = findSignature(root);
  if (!signature) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', `The IdP metadata (${what}) is not signed.`, {
      hint: 'This connection pins a metadata signing certificate, so unsigned metadata is refused. Export the signed metadata (ADFS: /FederationMetadata/2007-06/FederationMetadata.xml), or remove the pinned certificate if the IdP does not sign its metadata.',
    });
  }
  const certificates = options.certificates.map((pem) => trustedCertificate(pem));
  try {
    const verified = verifyEnvelopedSignature(signature, {
      element: root,
      what,
      certificates,
      allowSha1: options.allowSha1 ?? false,
      reduceInPlace: options.reduceInPlace ?? false,
    });
    return {
      root: verified.signed,
      certificateFingerprint: verified.certificateFingerprint,
      algorithm: verified.algorithm,
    };
  } catch (err) {
    if (!isSamlSpError(err)) throw err;
    throw new SamlSpError(err.code, `The IdP metadata signature was refused: ${err.message}`, {
      hint: METADATA_HINTS[err.code] ?? err.hint,
      details: { ...err.details, pinned: certificates.map((c) => c.fingerprint) },
      cause: err,
    });
  }
}

const METADATA_HINTS: Partial<Record<string, string>> = {
  SAML_SIGNATURE_UNTRUSTED:
    'The metadata is signed by a certificate that is not the pinned one. If the IdP replaced its metadata signing certificate (ADFS rolls its token-signing certificate yearly), pin the new one after checking its fingerprint with the IdP admin; otherwise the metadata is not the IdP’s.',
  SAML_SIGNATURE_INVALID:
    'The metadata was changed after it was signed (or the signature is broken). Download it again directly from the IdP; do not edit signed metadata by hand.',
  SAML_ALGORITHM_FORBIDDEN:
    'The metadata is signed with SHA-1. Ask the IdP to sign with SHA-256; for an old ADFS farm that cannot, allow SHA-1 for this connection’s metadata explicitly.',
};

/** What the metadata says about its own signature, without verifying it (for the vendor lint). */
export interface MetadataSignatureFacts {
  signed: boolean;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
}

/**
 * Reads the SignatureMethod and DigestMethod of the signature on `element` (the root, or an entity inside an
 * aggregate). Informational only: nothing here is trusted.
 *
 * @example
 * ```ts
 * describeMetadataSignature(doc.documentElement); // { signed: true, signatureAlgorithm: '...#rsa-sha1', ... }
 * ```
 */
export function describeMetadataSignature(element: Element): MetadataSignatureFacts {
  const signature = childElements(element, NS.dsig, 'Signature')[0];
  if (!signature) return { signed: false };
  const signedInfo = childElements(signature, NS.dsig, 'SignedInfo')[0];
  const method = signedInfo && childElements(signedInfo, NS.dsig, 'SignatureMethod')[0];
  const reference = signedInfo && childElements(signedInfo, NS.dsig, 'Reference')[0];
  const digest = reference && childElements(reference, NS.dsig, 'DigestMethod')[0];
  const signatureAlgorithm = method?.getAttribute('Algorithm') ?? undefined;
  const digestAlgorithm = digest?.getAttribute('Algorithm') ?? undefined;
  return {
    signed: true,
    ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
    ...(digestAlgorithm ? { digestAlgorithm } : {}),
  };
}
