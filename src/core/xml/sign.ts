/**
 * What the SP signs: enveloped XML signatures (metadata, POST-binding requests) and the detached signature of
 * the HTTP-Redirect binding (SAML bindings §3.4.4.1). Also the redirect-signature check, which must run over
 * the query string exactly as it arrived: re-encoding the parsed values would change the signed octets.
 */
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { Signer } from '../crypto/signer.ts';
import { InvalidOptionError, SamlSpError } from '../errors.ts';
import { normalizeCertificatePem } from '../keys.ts';
import { childElements, parseXml } from './parse.ts';
import { formDecode, rawSamlParams, redirectOctetString } from './redirect-query.ts';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** The algorithms the SP signs with. SHA-1 is deliberately absent. */
export const SIGNING_ALGORITHMS = {
  'rsa-sha256': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
    hash: 'sha256',
  },
  'rsa-sha512': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha512',
    hash: 'sha512',
  },
} as const;

export type SigningAlgorithm = keyof typeof SIGNING_ALGORITHMS;

const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';

/** Options of {@link signXml}. */
export interface SignXmlOptions {
  privateKeyPem: string;
  /** Published in `<ds:KeyInfo><ds:X509Data>` so the receiver can tell which of its pinned certificates to use. */
  certificatePem: string;
  /** The ID attribute of the root element; the signature covers that element. */
  referenceId: string;
  /**
   * Place the Signature right after this child of the root, as the schema demands (after `<saml:Issuer>` in
   * protocol messages). Default: the root's first child (metadata).
   */
  insertAfter?: { ns: string; localName: string };
  /** Default 'rsa-sha256'. */
  algorithm?: SigningAlgorithm;
}

/**
 * Signs the root element of `xml` with an enveloped signature: exclusive c14n, RSA-SHA256 and a SHA-256
 * digest by default, and the certificate in KeyInfo.
 *
 * @example
 * ```ts
 * const signed = signXml(requestXml, {
 *   privateKeyPem, certificatePem, referenceId: '_abc',
 *   insertAfter: { ns: NS.assertion, localName: 'Issuer' },
 * });
 * ```
 */
export function signXml(xml: string, options: SignXmlOptions): string {
  const { signer, location } = prepareSignature(xml, options, {
    privateKey: signingKey(options.privateKeyPem, options.certificatePem),
  });
  signer.computeSignature(xml, { prefix: 'ds', location });
  return signer.getSignedXml();
}

/** Options of {@link signXmlWith}: those of {@link signXml}, with a {@link Signer} instead of the private key. */
export type SignXmlWithOptions = Omit<SignXmlOptions, 'privateKeyPem'> & { signer: Signer };

/**
 * Like {@link signXml}, but the signature value comes from a {@link Signer} (a KMS, another process): xml-crypto
 * builds the SignedInfo and canonicalises it, and only those canonical bytes are handed to `signer.sign`. The
 * private key never enters this process.
 *
 * @example
 * ```ts
 * const signed = await signXmlWith(metadataXml, { signer, certificatePem, referenceId: '_md1' });
 * ```
 */
export async function signXmlWith(xml: string, options: SignXmlWithOptions): Promise<string> {
  const algorithmName = options.algorithm ?? 'rsa-sha256';
  const { signer, location, algorithm } = prepareSignature(xml, options, {
    // xml-crypto insists on a private key before it asks the algorithm for a value; the algorithm below ignores it.
    privateKey: 'held by the Signer',
  });
  // A per-instance algorithm whose getSignature hands the canonical SignedInfo to the Signer (xml-crypto's
  // asynchronous flow: computeSignature with a callback calls getSignature with one).
  signer.SignatureAlgorithms = {
    [algorithm.signature]: class {
      getSignature(signedInfo: string, _key: unknown, callback: (err: Error | null, value?: string) => void) {
        options.signer
          .sign(Buffer.from(signedInfo, 'utf8'), algorithmName)
          .then((value) => callback(null, Buffer.from(value).toString('base64')), callback);
      }
      verifySignature(): boolean {
        throw new Error("verification is not this algorithm's job");
      }
      getAlgorithmName(): string {
        return algorithm.signature;
      }
    },
  } as unknown as SignedXml['SignatureAlgorithms'];
  await new Promise<void>((resolve, reject) => {
    signer.computeSignature(xml, { prefix: 'ds', location }, (err) => (err ? reject(err) : resolve()));
  });
  return signer.getSignedXml();
}

/** The checks and the xml-crypto set-up that {@link signXml} and {@link signXmlWith} share. */
function prepareSignature(
  xml: string,
  options: Omit<SignXmlOptions, 'privateKeyPem'>,
  key: { privateKey: KeyObject | string },
) {
  const algorithm = algorithmOf(options.algorithm);
  const { referenceId, insertAfter } = options;
  // The ID lands in an XPath literal below; an NCName cannot break out of it.
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(referenceId)) {
    throw new InvalidOptionError(`signXml: referenceId "${referenceId}" is not an XML NCName.`);
  }
  const root = parseXml(xml, { what: 'document to sign' }).documentElement!;
  if (root.getAttribute('ID') !== referenceId) {
    throw new InvalidOptionError(`signXml: the root element's ID is not "${referenceId}".`);
  }
  // Both land in an XPath literal too.
  if (insertAfter && (!/^[A-Za-z_][\w.-]*$/.test(insertAfter.localName) || /['"]/.test(insertAfter.ns))) {
    throw new InvalidOptionError('signXml: insertAfter must name an element by NCName and namespace URI.');
  }
  if (insertAfter && childElements(root, insertAfter.ns, insertAfter.localName).length === 0) {
    throw new InvalidOptionError(
      `signXml: the root element has no <${insertAfter.localName}> child to sign after.`,
    );
  }
  const signer = new SignedXml({
    privateKey: key.privateKey as KeyObject,
    publicCert: options.certificatePem,
    signatureAlgorithm: algorithm.signature,
    canonicalizationAlgorithm: EXC_C14N,
    idAttribute: 'ID',
  });
  signer.addReference({
    xpath: `/*[@ID='${referenceId}']`,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: algorithm.digest,
  });
  const location = insertAfter
    ? {
        reference: `/*/*[local-name()='${insertAfter.localName}' and namespace-uri()='${insertAfter.ns}'][1]`,
        action: 'after' as const,
      }
    : { reference: '/*', action: 'prepend' as const };
  return { signer, location, algorithm };
}

/** Parameters of {@link signRedirectQuery}. */
export interface RedirectQueryParams {
  key: 'SAMLRequest' | 'SAMLResponse';
  /** The deflated, base64-encoded message (not yet URL-encoded). */
  value: string;
  /** Sent and signed when non-empty. */
  relayState?: string;
  privateKeyPem: string;
  /** Default 'rsa-sha256'. */
  algorithm?: SigningAlgorithm;
}

/**
 * Builds a signed HTTP-Redirect query string: `SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…`. The signature
 * covers the URL-encoded `key=value[&RelayState=…]&SigAlg=…` octets in that order (SAML bindings §3.4.4.1).
 *
 * @example
 * ```ts
 * const query = signRedirectQuery({ key: 'SAMLRequest', value: deflateAndEncode(xml), relayState, privateKeyPem });
 * const url = `${ssoUrl}?${query}`;
 * ```
 */
export function signRedirectQuery(params: RedirectQueryParams): string {
  const { octets, algorithm } = redirectOctets(params);
  const signature = sign(algorithm.hash, Buffer.from(octets, 'utf8'), privateKeyOf(params.privateKeyPem));
  return `${octets}&Signature=${encodeURIComponent(signature.toString('base64'))}`;
}

/**
 * Like {@link signRedirectQuery}, with the signature from a {@link Signer} (the private key stays with it).
 *
 * @example
 * ```ts
 * const query = await signRedirectQueryWith({ key: 'SAMLRequest', value, relayState, signer });
 * ```
 */
export async function signRedirectQueryWith(
  params: Omit<RedirectQueryParams, 'privateKeyPem'> & { signer: Signer },
): Promise<string> {
  const { octets } = redirectOctets(params);
  const signature = await params.signer.sign(Buffer.from(octets, 'utf8'), params.algorithm ?? 'rsa-sha256');
  return `${octets}&Signature=${encodeURIComponent(Buffer.from(signature).toString('base64'))}`;
}

/** The octets the redirect-binding signature covers, in the order SAML bindings §3.4.4.1 gives. */
function redirectOctets(params: Omit<RedirectQueryParams, 'privateKeyPem'>) {
  const algorithm = algorithmOf(params.algorithm);
  let octets = `${params.key}=${encodeURIComponent(params.value)}`;
  if (params.relayState) octets += `&RelayState=${encodeURIComponent(params.relayState)}`;
  octets += `&SigAlg=${encodeURIComponent(algorithm.signature)}`;
  return { octets, algorithm };
}

/** The outcome of {@link verifyRedirectQuery}. Only `message` and `relayState` from here are signed data. */
export interface RedirectVerification {
  ok: boolean;
  /** The SigAlg URI. */
  algorithm: string;
  /** SHA-256 fingerprint of the certificate that verified, when `ok`. */
  fingerprint?: string;
  /** The URL-decoded message parameter (still deflated and base64-encoded). */
  message: { key: 'SAMLRequest' | 'SAMLResponse'; value: string };
  relayState?: string;
}

/**
 * Verifies an HTTP-Redirect binding signature over the raw query string as received (with or without the
 * leading `?`), trying each trusted certificate (PEM or bare base64). Returns `ok: false` when no certificate verifies it.
 *
 * Throws SAML_SIGNATURE_MISSING when there is no Signature, SAML_ALGORITHM_FORBIDDEN for SHA-1 (unless
 * `allowSha1`) or unknown algorithms, and SAML_STRUCTURE_INVALID for repeated or conflicting parameters.
 *
 * @example
 * ```ts
 * const raw = req.originalUrl.split('?')[1] ?? '';
 * const result = verifyRedirectQuery(raw, connection.signingCertificates.map((c) => c.pem), { allowSha1: false });
 * if (!result.ok) throw new SamlSpError('SAML_SIGNATURE_INVALID', '...');
 * ```
 */
export function verifyRedirectQuery(
  rawQueryString: string,
  certificatesPem: string[],
  options: { allowSha1: boolean },
): RedirectVerification {
  if (certificatesPem.length === 0)
    throw new InvalidOptionError('verifyRedirectQuery: no trusted certificate given.');
  const raw = rawSamlParams(rawQueryString);
  const key = raw.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse';
  if (raw.has('SAMLRequest') && raw.has('SAMLResponse')) {
    throw structure('The query carries both SAMLRequest and SAMLResponse.');
  }
  const rawMessage = raw.get(key);
  if (rawMessage === undefined) {
    throw new SamlSpError('SAML_MESSAGE_MISSING', 'The query string has no SAMLRequest or SAMLResponse.', {
      hint: 'The HTTP-Redirect binding sends the message as a query parameter. Check the binding configured at the IdP.',
    });
  }
  const rawSignature = raw.get('Signature');
  const rawSigAlg = raw.get('SigAlg');
  if (rawSignature === undefined) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', `The redirect-binding ${key} is not signed.`, {
      hint: 'Enable signing of logout and protocol messages for this SP at the IdP.',
    });
  }
  if (rawSigAlg === undefined) throw structure('The query has a Signature but no SigAlg.');
  const algorithm = formDecode(rawSigAlg);
  const hash = hashFor(algorithm, options.allowSha1);
  // Base64 '+' is sometimes left unencoded and then reads as a space (here and in the message value).
  const signature = Buffer.from(formDecode(rawSignature).replace(/ /g, '+'), 'base64');

  const rawRelay = raw.get('RelayState');
  const variants = [redirectOctetString(key, rawMessage, rawRelay, rawSigAlg)];
  // An empty RelayState may or may not have been part of what the sender signed.
  if (rawRelay === '') variants.push(redirectOctetString(key, rawMessage, undefined, rawSigAlg));

  const relayState = rawRelay === undefined ? undefined : formDecode(rawRelay);
  const message = { key, value: formDecode(rawMessage).replace(/ /g, '+') } as const;
  for (const pem of certificatesPem) {
    const cert = new X509Certificate(normalizeCertificatePem(pem));
    for (const octets of variants) {
      if (verify(hash, Buffer.from(octets, 'utf8'), cert.publicKey, signature)) {
        return { ok: true, algorithm, fingerprint: cert.fingerprint256, message, relayState };
      }
    }
  }
  return { ok: false, algorithm, message, relayState };
}

function hashFor(sigAlg: string, allowSha1: boolean): string {
  for (const algorithm of Object.values(SIGNING_ALGORITHMS)) {
    if (algorithm.signature === sigAlg) return algorithm.hash;
  }
  if (sigAlg === RSA_SHA1 && allowSha1) return 'sha1';
  throw new SamlSpError('SAML_ALGORITHM_FORBIDDEN', `The redirect-binding signature uses ${sigAlg}.`, {
    hint:
      sigAlg === RSA_SHA1
        ? 'SHA-1 signatures are refused. Switch the IdP to RSA-SHA256 (e.g. ADFS: Set-AdfsRelyingPartyTrust -SignatureAlgorithm rsa-sha256), or enable allowSha1 on this connection as a stopgap.'
        : 'Only RSA-SHA256 and RSA-SHA512 are accepted. Configure the IdP to sign with RSA-SHA256.',
    details: { algorithm: sigAlg },
  });
}

function structure(message: string): SamlSpError {
  return new SamlSpError('SAML_STRUCTURE_INVALID', message, {
    hint: 'A genuine IdP sends each redirect-binding parameter once. The URL was altered on the way.',
  });
}

function algorithmOf(name: SigningAlgorithm | undefined) {
  const algorithm = SIGNING_ALGORITHMS[name ?? 'rsa-sha256'];
  if (!algorithm)
    throw new InvalidOptionError(`Unknown signing algorithm "${name}"; use rsa-sha256 or rsa-sha512.`);
  return algorithm;
}

function privateKeyOf(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw Object.assign(new InvalidOptionError('The SP private key is not a readable PEM private key.'), {
      cause,
    });
  }
}

/** The private key, after checking it belongs to the certificate: a mismatch would only show up at the IdP. */
function signingKey(privateKeyPem: string, certificatePem: string): KeyObject {
  const key = privateKeyOf(privateKeyPem);
  let certKey: KeyObject;
  try {
    certKey = new X509Certificate(certificatePem).publicKey;
  } catch (cause) {
    throw Object.assign(new InvalidOptionError('The SP certificate is not a readable PEM certificate.'), {
      cause,
    });
  }
  if (!createPublicKey(key).equals(certKey)) {
    throw new InvalidOptionError(
      'The SP private key does not match the SP certificate. Check SP_KEY_FILE and SP_CERT_FILE belong together.',
    );
  }
  return key;
}
