/**
 * Interoperability with an independent XML-DSig implementation: responses signed by xmlsec1 (libxml2's
 * canonicaliser, as Shibboleth-style IdPs use) must verify here. The fixture builder signs with xml-crypto,
 * whose canonicaliser is also the one we verify with, so only a second implementation can show that the
 * canonical bytes agree on the tricky parts: escaping, non-ASCII text, default namespaces, PrefixList.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import {
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
  testKey,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const XMLSEC1 = '/usr/bin/xmlsec1';
const ASSERTION_ID = '_assert-2b8e4f6a0c1d3e5f7a9b';
const RESPONSE_ID = '_resp-7f3a9c2e8b1d4f60a5e7';

function template(id: string, prefixList?: string): string {
  const inclusive = prefixList
    ? `<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="${prefixList}"/>`
    : '';
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
    `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">${inclusive}</ds:Transform>` +
    '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>' +
    '</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>'
  );
}

/** Signs the first Signature template in `xml` with xmlsec1 and the `idp` test key. */
async function xmlsecSign(xml: string, idNode: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xmlsec-sign-'));
  try {
    const input = join(dir, 'in.xml');
    const output = join(dir, 'out.xml');
    await writeFile(input, xml);
    const key = testKey('idp');
    await writeFile(join(dir, 'key.pem'), key.keyPem);
    await writeFile(join(dir, 'cert.pem'), key.certPem);
    const args = ['--sign', '--privkey-pem', `${join(dir, 'key.pem')},${join(dir, 'cert.pem')}`];
    await new Promise<void>((resolve, reject) => {
      execFile(
        XMLSEC1,
        [...args, '--id-attr:ID', idNode, '--output', output, input],
        { timeout: 20_000 },
        (err, _o, stderr) => (err ? reject(new Error(`xmlsec1 failed: ${stderr}`)) : resolve()),
      );
    });
    return (await readFile(output, 'utf8')).replace(/^<\?xml[^>]*\?>\s*/, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ASSERTION_NODE = 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion';
const RESPONSE_NODE = 'urn:oasis:names:tc:SAML:2.0:protocol:Response';

/** Puts a signature template right after the assertion's Issuer. */
function withAssertionTemplate(xml: string, prefixList?: string): string {
  const issuerEnd = xml.indexOf('</saml:Issuer>', xml.indexOf('<saml:Assertion')) + '</saml:Issuer>'.length;
  return xml.slice(0, issuerEnd) + template(ASSERTION_ID, prefixList) + xml.slice(issuerEnd);
}

describe.skipIf(!existsSync(XMLSEC1))('responses signed by xmlsec1', () => {
  it('verifies an assertion signed by xmlsec1, with hostile characters in the content', async () => {
    const xml = await buildResponseXml({
      sign: 'none',
      attributes: [
        { name: 'displayName', values: ['Zoë "Z" <O\'Brien> & Co 🔐'] },
        { name: 'note', values: ['line1\r\nline2\ttab ]]> end'] },
      ],
      editAssertion: (a) =>
        a.replace(
          '<saml:Attribute Name="note"',
          '<saml:Attribute FriendlyName="a&#9;b&#10;c&#13;" Name="note"',
        ),
    });
    const signed = await xmlsecSign(withAssertionTemplate(xml), ASSERTION_NODE);
    const result = await validateResponse(encodeResponse(signed), buildValidateOptions());
    expect(result.attributes.displayName).toEqual(['Zoë "Z" <O\'Brien> & Co 🔐']);
    expect(result.attributes.note).toEqual(['line1\nline2\ttab ]]> end']);
  });

  it('verifies an ADFS-style assertion in the default namespace', async () => {
    const base = await buildResponseXml({ sign: 'none' });
    const start = base.indexOf('<saml:Assertion');
    const end = base.indexOf('</saml:Assertion>') + '</saml:Assertion>'.length;
    const assertion = base
      .slice(start, end)
      .replace('xmlns:saml=', 'xmlns=')
      .replace(/<(\/?)saml:/g, '<$1');
    const xml = base.slice(0, start) + assertion + base.slice(end);
    const issuerEnd = xml.indexOf('</Issuer>') + '</Issuer>'.length;
    const templated = xml.slice(0, issuerEnd) + template(ASSERTION_ID) + xml.slice(issuerEnd);
    const signed = await xmlsecSign(templated, ASSERTION_NODE);
    const result = await validateResponse(encodeResponse(signed), buildValidateOptions());
    expect(result.nameId.value).toBe('alice@example.com');
  });

  it('verifies a PrefixList naming a namespace declared on the Response root', async () => {
    const xml = (await buildResponseXml({ sign: 'none' }))
      .replace(' xmlns:xs="http://www.w3.org/2001/XMLSchema"', '')
      .replace('<samlp:Response ', '<samlp:Response xmlns:xs="http://www.w3.org/2001/XMLSchema" ');
    const signed = await xmlsecSign(withAssertionTemplate(xml, 'xs'), ASSERTION_NODE);
    await expect(validateResponse(encodeResponse(signed), buildValidateOptions())).resolves.toBeDefined();
  });

  it('verifies Response and Assertion signatures made one after the other', async () => {
    const assertionSigned = await xmlsecSign(
      withAssertionTemplate(await buildResponseXml({ sign: 'none' })),
      ASSERTION_NODE,
    );
    const issuerEnd = assertionSigned.indexOf('</saml:Issuer>') + '</saml:Issuer>'.length;
    const templated =
      assertionSigned.slice(0, issuerEnd) + template(RESPONSE_ID) + assertionSigned.slice(issuerEnd);
    const signed = await xmlsecSign(templated, RESPONSE_NODE);
    const options = buildValidateOptions({ policy: { wantSigned: 'response-and-assertion' } });
    const result = await validateResponse(encodeResponse(signed), options);
    expect(result.signature.signedElements).toEqual(['response', 'assertion']);
  });

  it('still refuses an xmlsec1-signed assertion altered afterwards', async () => {
    const signed = await xmlsecSign(
      withAssertionTemplate(await buildResponseXml({ sign: 'none' })),
      ASSERTION_NODE,
    );
    await expectRejected(encodeResponse(signed.replace('>Liddell<', '>Liddel<')), 'SAML_SIGNATURE_INVALID');
  });
});
