/**
 * A fast IdP for the benchmarks: assertion-signed SAML Responses written directly in exclusive-canonical form
 * (attributes sorted, explicit end tags, namespaces on the root), so that signing is one SHA-256 and one
 * signature instead of a samlify round (several ms). ECDSA P-256 by default (~0.2 ms, bench:memory); RSA-2048
 * for bench:http, whose passport-saml contender (xml-crypto) verifies RSA only and which measures the common
 * case. The SP side is untouched: it parses, canonicalises and verifies these like any other response.
 */
import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { certificateBase64 } from '../../src/core/keys.ts';

const NS_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export interface BenchIdp {
  entityId: string;
  ssoUrl: string;
  metadataXml: string;
  mint(input: MintInput): string;
}

export interface MintInput {
  inResponseTo: string;
  audience: string;
  acsUrl: string;
  nameId: string;
  now: number;
  lifetimeSeconds: number;
}

/** The IdP's key: ECDSA P-256 (fast to sign) or RSA-2048 (what most IdPs use, and node-saml can verify). */
export type BenchKeyType = 'ecdsa' | 'rsa';

const ALGORITHMS = {
  ecdsa: {
    keygen: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
    uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  },
  rsa: {
    keygen: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  },
} as const;

/** Generates a key and certificate and returns the IdP that signs with them. */
export async function createBenchIdp(
  entityId: string,
  ssoUrl: string,
  keyType: BenchKeyType = 'ecdsa',
): Promise<BenchIdp & { certificatePem: string }> {
  await import('reflect-metadata'); // @peculiar/x509 needs it loaded first
  const x509 = await import('@peculiar/x509');
  const subtle = globalThis.crypto.subtle;
  const algorithm = ALGORITHMS[keyType].keygen;
  const keys = (await subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=bench-idp',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 3650 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
  });
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const certB64 = certificateBase64(cert.toString('pem'));
  const metadataXml =
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="${NS_DSIG}" entityID="${entityId}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>' +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>';
  let counter = 0;
  const signatureUri = ALGORITHMS[keyType].uri;
  return {
    entityId,
    ssoUrl,
    metadataXml,
    certificatePem: cert.toString('pem'),
    mint: (input) => mint(input, { entityId, key, certB64, signatureUri, serial: ++counter }),
  };
}

function mint(
  o: MintInput,
  idp: { entityId: string; key: KeyObject; certB64: string; signatureUri: string; serial: number },
): string {
  const iso = (offsetSeconds: number) => new Date(o.now + offsetSeconds * 1000).toISOString();
  const id = `_${createHash('sha1').update(`${o.inResponseTo}:${idp.serial}`).digest('hex')}`;
  const issuer = `<saml:Issuer>${idp.entityId}</saml:Issuer>`;
  const body =
    '<saml:Subject>' +
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${o.nameId}</saml:NameID>` +
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
    `<saml:SubjectConfirmationData InResponseTo="${o.inResponseTo}" NotOnOrAfter="${iso(o.lifetimeSeconds)}" Recipient="${o.acsUrl}"></saml:SubjectConfirmationData>` +
    '</saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${iso(-30)}" NotOnOrAfter="${iso(o.lifetimeSeconds)}">` +
    `<saml:AudienceRestriction><saml:Audience>${o.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(-5)}" SessionIndex="${id}-s">` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
    '</saml:AuthnStatement>' +
    '<saml:AttributeStatement>' +
    attribute('email', o.nameId) +
    attribute('firstName', 'Bench') +
    attribute('lastName', o.nameId.split('@')[0] ?? 'user') +
    attribute('groups', 'staff', 'bench') +
    '</saml:AttributeStatement>';
  const open = `<saml:Assertion xmlns:saml="${NS_ASSERTION}" ID="${id}" IssueInstant="${iso(0)}" Version="2.0">`;
  // Already canonical, and the enveloped signature is not part of the digest.
  const digest = createHash('sha256').update(`${open}${issuer}${body}</saml:Assertion>`).digest('base64');
  const signedInfo =
    `<ds:SignedInfo xmlns:ds="${NS_DSIG}">` +
    `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${idp.signatureUri}"></ds:SignatureMethod>` +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>' +
    `<ds:Transform Algorithm="${EXC_C14N}"></ds:Transform></ds:Transforms>` +
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod>' +
    `<ds:DigestValue>${digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
  // XML-DSig's ECDSA signatures are r||s (ieee-p1363); the option is ignored for RSA.
  const signatureValue = sign('sha256', Buffer.from(signedInfo), {
    key: idp.key,
    dsaEncoding: 'ieee-p1363',
  }).toString('base64');
  const signature =
    `<ds:Signature xmlns:ds="${NS_DSIG}">${signedInfo}<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${idp.certB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`;
  const assertion = `${open}${issuer}${signature}${body}</saml:Assertion>`;
  const response =
    `<samlp:Response xmlns:samlp="${NS_PROTOCOL}" Destination="${o.acsUrl}" ID="${id}-r" InResponseTo="${o.inResponseTo}" IssueInstant="${iso(0)}" Version="2.0">` +
    `<saml:Issuer xmlns:saml="${NS_ASSERTION}">${idp.entityId}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"></samlp:StatusCode></samlp:Status>' +
    `${assertion}</samlp:Response>`;
  // ASCII throughout; btoa makes no Buffer (an ArrayBuffer per sign-in for the load generator's GC to sweep).
  return btoa(response);
}

function attribute(name: string, ...values: string[]): string {
  return (
    `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
    values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('') +
    '</saml:Attribute>'
  );
}
