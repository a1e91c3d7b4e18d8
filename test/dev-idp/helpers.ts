/**
 * Test kit for the dev IdP: a real Express server on 127.0.0.1, SP metadata fixtures, AuthnRequests signed the
 * way an SP signs them (Redirect: node:crypto over the raw query, bindings 3.4.4.1; POST: xml-crypto), and
 * xmlsec1 as an independent signature verifier.
 */
import { execFile } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { Document, Element } from '@xmldom/xmldom';
import express from 'express';
import { SignedXml } from 'xml-crypto';
import type { KeyPair } from '../../src/core/types.ts';
import { NS } from '../../src/core/xml/namespaces.ts';
import { parseXml } from '../../src/core/xml/parse.ts';
import { createDevIdp, type DevIdp, type DevIdpOptions } from '../../src/dev-idp/index.ts';

const KEY_DIR = new URL('../fixtures/keys/', import.meta.url);

function keyPair(name: string): KeyPair {
  return {
    privateKeyPem: readFileSync(new URL(`${name}.key.pem`, KEY_DIR), 'utf8'),
    certificatePem: readFileSync(new URL(`${name}.cert.pem`, KEY_DIR), 'utf8'),
  };
}

export const KEYS = { idp: keyPair('idp'), rogue: keyPair('idp-rogue'), sp: keyPair('sp') };

export const SIG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
} as const;

/** The base64 body of a PEM certificate, as metadata and KeyInfo carry it. */
export function certBase64(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/** A hand-written SP metadata document, for the variants the real builder does not produce. */
export function spMetadataFixture(options: {
  entityId: string;
  acsUrls: string[];
  authnRequestsSigned?: boolean;
  signing?: KeyPair;
  encryption?: KeyPair | null;
}): string {
  const signing = options.signing ?? KEYS.sp;
  const encryption = options.encryption === undefined ? KEYS.sp : options.encryption;
  const key = (use: string, pair: KeyPair) =>
    `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBase64(pair.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const acs = options.acsUrls
    .map(
      (url, i) =>
        `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${url}" index="${i}"${i === 0 ? ' isDefault="true"' : ''}/>`,
    )
    .join('');
  return [
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${options.entityId}">`,
    `<md:SPSSODescriptor protocolSupportEnumeration="${NS.protocol}" AuthnRequestsSigned="${options.authnRequestsSigned ?? true}" WantAssertionsSigned="true">`,
    key('signing', signing),
    encryption ? key('encryption', encryption) : '',
    acs,
    '</md:SPSSODescriptor></md:EntityDescriptor>',
  ].join('');
}

export interface RunningIdp {
  idp: DevIdp;
  /** http://127.0.0.1:PORT/idp */
  baseUrl: string;
  /** The SP metadata documents the IdP serves; tests may push more at any time. */
  spDocuments: string[];
  close(): Promise<void>;
}

/** Starts an Express app with the dev IdP mounted at /idp on an ephemeral port. */
export async function startDevIdp(
  spDocuments: string[],
  options: Partial<Omit<DevIdpOptions, 'baseUrl' | 'serviceProviders'>> = {},
): Promise<RunningIdp> {
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}/idp`;
  const idp = createDevIdp({ signing: KEYS.idp, ...options, baseUrl, serviceProviders: () => spDocuments });
  app.use('/idp', idp.router);
  return {
    idp,
    baseUrl,
    spDocuments,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A fresh AuthnRequest ID. */
export function requestId(): string {
  return `_req${randomBytes(12).toString('hex')}`;
}

/** A minimal AuthnRequest, as an SP would send it. */
export function authnRequestXml(options: {
  id: string;
  issuer: string;
  destination?: string;
  acsUrl?: string;
  forceAuthn?: boolean;
  extensions?: string;
}): string {
  const attrs = [
    `xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}"`,
    `ID="${options.id}" Version="2.0" IssueInstant="${new Date().toISOString()}"`,
    options.destination ? `Destination="${options.destination}"` : '',
    options.acsUrl ? `AssertionConsumerServiceURL="${options.acsUrl}"` : '',
    `ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"`,
    options.forceAuthn ? 'ForceAuthn="true"' : '',
  ].filter(Boolean);
  return `<samlp:AuthnRequest ${attrs.join(' ')}><saml:Issuer>${options.issuer}</saml:Issuer>${options.extensions ?? ''}</samlp:AuthnRequest>`;
}

/**
 * The HTTP-Redirect binding URL for `xml`, signed per bindings 3.4.4.1 when `key` is given: the signature covers
 * `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as URL-encoded in the query.
 */
export function redirectUrl(
  ssoUrl: string,
  xml: string,
  options: { relayState?: string; key?: KeyPair } = {},
): string {
  const parts = [
    `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`,
  ];
  if (options.relayState !== undefined) parts.push(`RelayState=${encodeURIComponent(options.relayState)}`);
  if (options.key) {
    parts.push(`SigAlg=${encodeURIComponent(SIG.rsaSha256)}`);
    const signature = createSign('RSA-SHA256')
      .update(parts.join('&'))
      .sign(options.key.privateKeyPem, 'base64');
    parts.push(`Signature=${encodeURIComponent(signature)}`);
  }
  return `${ssoUrl}?${parts.join('&')}`;
}

/** An enveloped XML signature (RSA-SHA256, exclusive c14n) after the Issuer, over `referenceXpath` (default: the root). */
export function signXml(xml: string, key: KeyPair, referenceXpath = '/*'): string {
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: SIG.rsaSha256,
    canonicalizationAlgorithm: SIG.excC14n,
  });
  sig.addReference({
    xpath: referenceXpath,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', SIG.excC14n],
    digestAlgorithm: SIG.sha256,
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

/** Decodes a base64 SAMLResponse into a DOM with the project's safe parser. */
export function decodeResponse(samlResponse: string): { xml: string; doc: Document } {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  return { xml, doc: parseXml(xml, { what: 'SAML response' }) };
}

/** All elements with this namespace and local name, in document order. */
export function all(doc: Document | Element, ns: string, localName: string): Element[] {
  return Array.from(doc.getElementsByTagNameNS(ns, localName));
}

/** The one element with this name; fails the test when there are none or several. */
export function one(doc: Document | Element, ns: string, localName: string): Element {
  const found = all(doc, ns, localName);
  if (found.length !== 1) throw new Error(`expected one <${localName}>, found ${found.length}`);
  return found[0] as Element;
}

/** Attribute name -> values of every saml:Attribute. */
export function attributesOf(doc: Document): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const attribute of all(doc, NS.assertion, 'Attribute')) {
    out[attribute.getAttribute('Name') ?? ''] = all(attribute, NS.assertion, 'AttributeValue').map(
      (v) => v.textContent ?? '',
    );
  }
  return out;
}

/**
 * Runs xmlsec1 (an implementation independent of samlify and xml-crypto). `--decrypt` with the SP key, or
 * `--verify` of the Assertion's or the Response's signature against `certificatePem`.
 */
export async function xmlsec1(
  xml: string,
  action: { verify: 'Assertion' | 'Response'; certificatePem: string } | { decryptWith: KeyPair },
): Promise<{ ok: boolean; output: string; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dev-idp-xmlsec-'));
  try {
    const file = join(dir, 'message.xml');
    const key = join(dir, 'key.pem');
    await writeFile(file, xml);
    let args: string[];
    if ('verify' in action) {
      await writeFile(key, action.certificatePem);
      const ns = action.verify === 'Assertion' ? NS.assertion : NS.protocol;
      args = [
        '--verify',
        '--enabled-reference-uris',
        'same-doc',
        `--id-attr:ID`,
        `${ns}:${action.verify}`,
        '--node-xpath',
        // `//` for the assertion: after `--decrypt` it sits inside the EncryptedAssertion element.
        action.verify === 'Assertion'
          ? "//*[local-name()='Assertion']/*[local-name()='Signature']"
          : "/*[local-name()='Response']/*[local-name()='Signature']",
        '--pubkey-cert-pem',
        key,
        file,
      ];
    } else {
      await writeFile(key, action.decryptWith.privateKeyPem);
      args = ['--decrypt', '--privkey-pem', key, file];
    }
    return await new Promise((resolve) => {
      execFile('/usr/bin/xmlsec1', args, { timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ ok: error === null, output: `${stdout}${stderr}`, stdout });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
