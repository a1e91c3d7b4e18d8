/**
 * The shape a SAML signature must have (SAML core §5.4): an enveloped ds:Signature that is a direct child of
 * the signed element, exclusive c14n, one Reference whose URI is '#' + that element's ID, the
 * enveloped-signature and exclusive-c14n transforms only, and algorithms the policy allows.
 *
 * Pinning the Reference to the parent's ID is what makes "the signature is valid" mean "this element is
 * signed": a generic XML-DSig verifier accepts a valid signature over any element of the document.
 */
import type { Element } from '@xmldom/xmldom';
import {
  acceptedSignatureMethods,
  DIGEST_METHODS,
  digestMethod,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  type HashName,
  type SignatureMethodSpec,
  signatureMethod,
} from '../algorithms.ts';
import { SamlSpError } from '../errors.ts';
import { isBase64Alphabet } from '../xml/encoding.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, singleChild, textOf } from '../xml/parse.ts';

/** The element a signature sits on: a SAML message part, a logout message, or an IdP metadata document's root. */
export type SignedElementName =
  | 'Response'
  | 'Assertion'
  | 'LogoutRequest'
  | 'LogoutResponse'
  | 'EntityDescriptor'
  | 'EntitiesDescriptor';

/** The parts of a ds:Signature element read before any cryptography. */
export interface SignatureParts {
  signedInfo: Element;
  /** InclusiveNamespaces PrefixList of the SignedInfo CanonicalizationMethod. */
  c14nPrefixes: string[];
  signatureValue: Buffer;
  /** Base64 DER certificates found in KeyInfo (for diagnostics only; never trusted). */
  keyInfoCertificates: string[];
}

/** What the signed SignedInfo says about its one Reference. */
export interface SignedInfoFacts {
  method: SignatureMethodSpec;
  digest: HashName;
  digestValue: Buffer;
  /** InclusiveNamespaces PrefixList of the exclusive-c14n transform. */
  transformPrefixes: string[];
}

/** The advice shown whenever SHA-1 is refused. */
export const SHA1_HINT =
  'Switch the IdP to SHA-256. ADFS: Set-AdfsRelyingPartyTrust -TargetName <trust> -SignatureAlgorithm ' +
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256; Okta/Entra: choose SHA-256 in the application's " +
  'signing options. Only if the IdP cannot change, opt this connection in with policy.allowSha1.';

/**
 * Reads a ds:Signature: one SignedInfo canonicalised with exclusive c14n, a SignatureValue, no ds:Object.
 *
 * @example
 * ```ts
 * const { signedInfo, signatureValue } = readSignatureParts(signatureEl, 'Assertion');
 * ```
 */
export function readSignatureParts(signature: Element, what: SignedElementName): SignatureParts {
  assertSignatureChildren(signature, what);
  const signedInfo = singleChild(signature, NS.dsig, 'SignedInfo');
  const value = textOf(singleChild(signature, NS.dsig, 'SignatureValue'));
  if (!signedInfo || !value) throw malformed(what, 'The signature has no SignedInfo or no SignatureValue.');
  if (childElements(signature, NS.dsig, 'Object').length > 0) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', `The ${what} signature carries a ds:Object.`, {
      hint: 'SAML signatures never need ds:Object; it is where signature-wrapping attacks hide content.',
    });
  }
  const c14n = singleChild(signedInfo, NS.dsig, 'CanonicalizationMethod');
  const c14nAlgorithm = c14n?.getAttribute('Algorithm') ?? '';
  if (c14nAlgorithm !== EXC_C14N) {
    throw forbidden(
      what,
      `CanonicalizationMethod ${c14nAlgorithm || '(none)'}`,
      `Only exclusive c14n (${EXC_C14N}) is accepted.`,
    );
  }
  return {
    signedInfo,
    c14nPrefixes: prefixList(c14n!),
    signatureValue: base64Value(value, what, 'SignatureValue'),
    keyInfoCertificates: keyInfoCertificates(signature),
  };
}

/**
 * The element children of a ds:Signature must be, in order, SignedInfo, SignatureValue, an optional KeyInfo and
 * ds:Object elements (XMLDSig's schema; ds:Object is refused just after). Checked here as well as by the
 * response's schema-shape step, so that every caller of the verifier (logout messages, metadata) refuses what
 * xmlsec1 refuses: an unknown element before SignedInfo was accepted by the verifier alone
 * (test/fuzz/xmlsec-differential.test.ts).
 */
function assertSignatureChildren(signature: Element, what: SignedElementName): void {
  const expected = ['SignedInfo', 'SignatureValue', 'KeyInfo'];
  let next = 0;
  for (let n = signature.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const child = n as Element;
    const name = child.localName ?? '';
    if (child.namespaceURI === NS.dsig && name === 'Object') continue;
    const at = child.namespaceURI === NS.dsig ? expected.indexOf(name, next) : -1;
    // SignedInfo and SignatureValue are required in their places; KeyInfo may be skipped.
    if (at === -1 || (at > next && expected[next] !== 'KeyInfo')) {
      throw new SamlSpError(
        'SAML_STRUCTURE_INVALID',
        `The ${what} signature has <${child.nodeName}> where XML Signature requires ${next < expected.length ? `<ds:${expected[next]}>` : 'no further element'}.`,
        {
          hint: 'A ds:Signature holds SignedInfo, SignatureValue and an optional KeyInfo, in that order. Anything else is a broken IdP or a signature-wrapping attempt.',
        },
      );
    }
    next = at + 1;
  }
}

/**
 * Checks the SignedInfo (parsed from its canonical, signed form) against the element it must cover and the
 * algorithm policy.
 *
 * @example
 * ```ts
 * const facts = checkSignedInfo(canonicalSignedInfo, assertionEl, 'Assertion', { allowSha1: false });
 * ```
 */
export function checkSignedInfo(
  signedInfo: Element,
  signed: Element,
  what: SignedElementName,
  policy: { allowSha1: boolean },
): SignedInfoFacts {
  const methodUri = singleChild(signedInfo, NS.dsig, 'SignatureMethod')?.getAttribute('Algorithm') ?? '';
  const method = signatureMethod(methodUri, policy);
  if ('refused' in method) {
    throw method.refused === 'sha1'
      ? forbidden(what, `SignatureMethod ${methodUri} (SHA-1)`, SHA1_HINT)
      : forbidden(
          what,
          `SignatureMethod ${methodUri || '(none)'}`,
          `Accepted: ${acceptedSignatureMethods(policy).join(', ')}.`,
        );
  }

  const references = childElements(signedInfo, NS.dsig, 'Reference');
  if (references.length !== 1) {
    throw malformed(what, `The signature has ${references.length} References; exactly one is allowed.`);
  }
  const reference = references[0]!;
  const id = signed.getAttribute('ID') ?? '';
  const uri = reference.getAttribute('URI') ?? '';
  if (uri !== `#${id}`) {
    throw new SamlSpError(
      'SAML_SIGNATURE_INVALID',
      `The ${what} signature references "${uri}", not its own ID "#${id}".`,
      {
        hint: 'A signature must cover the element that contains it. A mismatch is a signature-wrapping pattern.',
        details: { element: what, referenceUri: uri, elementId: id },
      },
    );
  }

  const transformsEl = singleChild(reference, NS.dsig, 'Transforms');
  const transforms = transformsEl ? childElements(transformsEl, NS.dsig, 'Transform') : [];
  const algorithms = transforms.map((t) => t.getAttribute('Algorithm') ?? '');
  if (algorithms.length !== 2 || algorithms[0] !== ENVELOPED_SIGNATURE || algorithms[1] !== EXC_C14N) {
    throw forbidden(
      what,
      `Transforms [${algorithms.join(', ')}]`,
      'Only the enveloped-signature transform followed by exclusive c14n is accepted (SAML core §5.4.4).',
    );
  }

  const digestUri = singleChild(reference, NS.dsig, 'DigestMethod')?.getAttribute('Algorithm') ?? '';
  const digest = digestMethod(digestUri, policy);
  if (typeof digest !== 'string') {
    throw digest.refused === 'sha1'
      ? forbidden(what, `DigestMethod ${digestUri} (SHA-1)`, SHA1_HINT)
      : forbidden(
          what,
          `DigestMethod ${digestUri || '(none)'}`,
          `Accepted: ${Object.values(DIGEST_METHODS).join(', ')}.`,
        );
  }
  const digestValue = textOf(singleChild(reference, NS.dsig, 'DigestValue'));
  if (!digestValue) throw malformed(what, 'The Reference has no DigestValue.');

  return {
    method,
    digest,
    digestValue: base64Value(digestValue, what, 'DigestValue'),
    transformPrefixes: prefixList(transforms[1]!),
  };
}

function prefixList(parent: Element): string[] {
  const inclusive = childElements(parent, EXC_C14N, 'InclusiveNamespaces')[0];
  return (inclusive?.getAttribute('PrefixList') ?? '').split(/\s+/).filter((p) => p !== '');
}

function keyInfoCertificates(signature: Element): string[] {
  const out: string[] = [];
  const keyInfo = singleChild(signature, NS.dsig, 'KeyInfo');
  if (!keyInfo) return out;
  for (const data of childElements(keyInfo, NS.dsig, 'X509Data')) {
    for (const cert of childElements(data, NS.dsig, 'X509Certificate')) {
      const text = textOf(cert);
      if (text) out.push(text.replace(/\s+/g, ''));
    }
  }
  return out;
}

/**
 * A base64Binary value, decoded strictly. Node's decoder skips characters outside the alphabet, so a
 * SignatureValue with "&amp;" in it verified here while xmlsec1 refused it (found by the xmlsec1 differential
 * fuzzer, test/fuzz/xmlsec-differential.test.ts): whitespace is allowed (base64Binary may be wrapped), anything
 * else is refused.
 */
function base64Value(text: string, what: string, element: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!isBase64Alphabet(compact)) {
    throw malformed(what, `The ${element} is not base64.`);
  }
  return Buffer.from(compact, 'base64');
}

function malformed(what: string, message: string): SamlSpError {
  return new SamlSpError('SAML_SIGNATURE_INVALID', `${message} (${what})`, {
    hint: 'The signature is not a well-formed SAML enveloped signature; the message was altered or the IdP is broken.',
    details: { element: what },
  });
}

function forbidden(what: string, found: string, hint: string): SamlSpError {
  return new SamlSpError(
    'SAML_ALGORITHM_FORBIDDEN',
    `The ${what} signature uses ${found}, which is not allowed.`,
    {
      hint,
      details: { element: what, algorithm: found },
    },
  );
}
