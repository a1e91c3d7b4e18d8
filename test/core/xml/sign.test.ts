import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { certificateBase64 } from '../../../src/core/keys.ts';
import { NS } from '../../../src/core/xml/namespaces.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';
import { signRedirectQuery, signXml, verifyRedirectQuery } from '../../../src/core/xml/sign.ts';
import { testKeyPair } from '../sp-fixtures.ts';
import { xmlsecVerify } from '../xmlsec.ts';

const sp = testKeyPair('sp');
const rogue = testKeyPair('idp-rogue');
const next = testKeyPair('idp-next');

function requestXml(id = '_req1'): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">` +
    '<saml:Issuer>https://sp.example.com</saml:Issuer><samlp:NameIDPolicy AllowCreate="true"/></samlp:AuthnRequest>'
  );
}

function signed(overrides: Partial<Parameters<typeof signXml>[1]> = {}): string {
  return signXml(requestXml(), {
    privateKeyPem: sp.privateKeyPem,
    certificatePem: sp.certificatePem,
    referenceId: '_req1',
    insertAfter: { ns: NS.assertion, localName: 'Issuer' },
    ...overrides,
  });
}

describe('signXml', () => {
  it('puts an enveloped RSA-SHA256 / exc-c14n signature right after Issuer', () => {
    const root = parseXml(signed()).documentElement!;
    const children = Array.from({ length: root.childNodes.length }, (_, i) => root.childNodes[i]!).filter(
      (n) => n.nodeType === 1,
    );
    expect(children.map((n) => `${n.namespaceURI}|${n.localName}`)).toEqual([
      `${NS.assertion}|Issuer`,
      `${NS.dsig}|Signature`,
      `${NS.protocol}|NameIDPolicy`,
    ]);
    const xml = signed();
    expect(xml).toContain(
      '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>',
    );
    expect(xml).toContain('<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>');
    expect(xml).toContain('<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>');
    expect(xml).toContain('<ds:Reference URI="#_req1">');
    expect(xml).toContain(`<ds:X509Certificate>${sp.certificatePem.split('\n').slice(1, -2).join('')}`);
  });

  it('verifies with xmlsec1, and fails there once a signed byte changes', async () => {
    const xml = signed();
    const good = await xmlsecVerify(xml, sp.certificatePem, `${NS.protocol}:AuthnRequest`);
    expect(good.ok, good.output).toBe(true);
    const tampered = await xmlsecVerify(
      xml.replace('sp.example.com', 'sp.example.org'),
      sp.certificatePem,
      `${NS.protocol}:AuthnRequest`,
    );
    expect(tampered.ok).toBe(false);
    const wrongKey = await xmlsecVerify(xml, rogue.certificatePem, `${NS.protocol}:AuthnRequest`);
    expect(wrongKey.ok).toBe(false);
  });

  it('verifies with xml-crypto configured independently, with SHA-512 too', () => {
    for (const algorithm of ['rsa-sha256', 'rsa-sha512'] as const) {
      const xml = signed({ algorithm });
      const verifier = new SignedXml({ publicCert: sp.certificatePem });
      const signature = parseXml(xml).getElementsByTagNameNS(NS.dsig, 'Signature')[0]!;
      verifier.loadSignature(signature.toString());
      expect(verifier.checkSignature(xml)).toBe(true);
    }
    expect(signed({ algorithm: 'rsa-sha512' })).toContain('xmldsig-more#rsa-sha512');
  });

  it('defaults to the first child of the root (metadata)', () => {
    const root = parseXml(signed({ insertAfter: undefined })).documentElement!;
    expect(root.firstChild?.localName).toBe('Signature');
  });

  it('refuses misuse with ERR_INVALID_ARG_VALUE', () => {
    const misuse = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => signed({ referenceId: '_other' })).toThrow(misuse);
    expect(() => signed({ referenceId: "_req1' or '1'='1" })).toThrow(misuse);
    expect(() => signed({ insertAfter: { ns: NS.assertion, localName: 'Subject' } })).toThrow(misuse);
    expect(() => signed({ insertAfter: { ns: "x' or '1'='1", localName: 'Issuer' } })).toThrow(misuse);
    expect(() => signed({ certificatePem: rogue.certificatePem })).toThrow(misuse);
    expect(() => signed({ privateKeyPem: 'nope' })).toThrow(misuse);
    // @ts-expect-error: SHA-1 is not a signing option.
    expect(() => signed({ algorithm: 'rsa-sha1' })).toThrow(misuse);
  });
});

describe('HTTP-Redirect signatures', () => {
  const value = 'fZJBb9sgFMe/isU9tiF2k6E4Ut+y+/pPpQq1mw==';
  const certs = [sp.certificatePem];

  it('signs key, RelayState and SigAlg in the order of bindings §3.4.4.1, each URL-encoded', () => {
    const query = signRedirectQuery({
      key: 'SAMLRequest',
      value,
      relayState: '/a b?c=d&e',
      privateKeyPem: sp.privateKeyPem,
    });
    const octets =
      `SAMLRequest=${encodeURIComponent(value)}&RelayState=%2Fa%20b%3Fc%3Dd%26e` +
      `&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
    expect(query.startsWith(`${octets}&Signature=`)).toBe(true);
    const signature = sign('sha256', Buffer.from(octets), createPrivateKey(sp.privateKeyPem)).toString(
      'base64',
    );
    expect(query).toBe(`${octets}&Signature=${encodeURIComponent(signature)}`);
  });

  it('leaves an empty RelayState out', () => {
    const query = signRedirectQuery({
      key: 'SAMLResponse',
      value,
      relayState: '',
      privateKeyPem: sp.privateKeyPem,
    });
    expect(query).not.toContain('RelayState');
    expect(verifyRedirectQuery(query, certs, { allowSha1: false }).ok).toBe(true);
  });

  it('verifies over the raw query, in any parameter order, and reports the certificate that matched', () => {
    const query = signRedirectQuery({
      key: 'SAMLRequest',
      value,
      relayState: 'état',
      privateKeyPem: sp.privateKeyPem,
    });
    const reordered = `?foo=bar&${query.split('&').reverse().join('&')}`;
    const result = verifyRedirectQuery(reordered, [rogue.certificatePem, sp.certificatePem], {
      allowSha1: false,
    });
    expect(result).toMatchObject({
      ok: true,
      algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      fingerprint: new X509Certificate(sp.certificatePem).fingerprint256,
      message: { key: 'SAMLRequest', value },
      relayState: 'état',
    });
  });

  it('uses the bytes as sent, not a re-encoding (lower-case escapes, unencoded characters)', () => {
    // A sender whose URL encoder differs from encodeURIComponent (lower-case hex, '!' and '~' kept).
    const octets = `SAMLRequest=${encodeURIComponent(value).toLowerCase()}&RelayState=a!~%2fb&SigAlg=http%3a%2f%2fwww.w3.org%2f2001%2f04%2fxmldsig-more%23rsa-sha256`;
    const signature = sign('sha256', Buffer.from(octets), createPrivateKey(sp.privateKeyPem)).toString(
      'base64',
    );
    const raw = `${octets}&Signature=${encodeURIComponent(signature)}`;
    expect(verifyRedirectQuery(raw, certs, { allowSha1: false }).ok).toBe(true);
  });

  it('reads an unencoded base64 "+" as "+", not as a space', () => {
    const plus = 'ab+c/d==';
    const octets = `SAMLResponse=${plus}&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
    const signature = sign('sha256', Buffer.from(octets), createPrivateKey(sp.privateKeyPem)).toString(
      'base64',
    );
    const result = verifyRedirectQuery(`${octets}&Signature=${signature}`, certs, { allowSha1: false });
    expect(result).toMatchObject({ ok: true, message: { key: 'SAMLResponse', value: plus } });
  });

  it('answers ok: false for an untrusted key or any changed parameter', () => {
    const query = signRedirectQuery({
      key: 'SAMLRequest',
      value,
      relayState: 'r1',
      privateKeyPem: sp.privateKeyPem,
    });
    expect(
      verifyRedirectQuery(query, [rogue.certificatePem, next.certificatePem], { allowSha1: false }).ok,
    ).toBe(false);
    expect(
      verifyRedirectQuery(query.replace('RelayState=r1', 'RelayState=r2'), certs, { allowSha1: false }).ok,
    ).toBe(false);
    expect(verifyRedirectQuery(query.replace('RelayState=r1&', ''), certs, { allowSha1: false }).ok).toBe(
      false,
    );
    expect(verifyRedirectQuery(query.replace('fZJB', 'fZJC'), certs, { allowSha1: false }).ok).toBe(false);
  });

  it('refuses SHA-1 unless allowed, and unknown algorithms always', () => {
    const sha1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
    const octets = `SAMLResponse=${encodeURIComponent(value)}&SigAlg=${encodeURIComponent(sha1)}`;
    const signature = sign('sha1', Buffer.from(octets), createPrivateKey(sp.privateKeyPem)).toString(
      'base64',
    );
    const raw = `${octets}&Signature=${encodeURIComponent(signature)}`;
    expect(() => verifyRedirectQuery(raw, certs, { allowSha1: false })).toThrow(
      expect.objectContaining({ code: 'SAML_ALGORITHM_FORBIDDEN' }),
    );
    expect(verifyRedirectQuery(raw, certs, { allowSha1: true })).toMatchObject({ ok: true, algorithm: sha1 });
    const md5 = raw.replace(
      encodeURIComponent(sha1),
      encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-md5'),
    );
    expect(() => verifyRedirectQuery(md5, certs, { allowSha1: true })).toThrow(
      expect.objectContaining({ code: 'SAML_ALGORITHM_FORBIDDEN' }),
    );
  });

  it('refuses missing signatures and ambiguous queries with stable codes', () => {
    const query = signRedirectQuery({
      key: 'SAMLRequest',
      value,
      relayState: 'r',
      privateKeyPem: sp.privateKeyPem,
    });
    const opts = { allowSha1: false };
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => verifyRedirectQuery(query.replace(/&Signature=.*$/, ''), certs, opts)).toThrow(
      code('SAML_SIGNATURE_MISSING'),
    );
    expect(() => verifyRedirectQuery(`${query}&RelayState=other`, certs, opts)).toThrow(
      code('SAML_STRUCTURE_INVALID'),
    );
    expect(() => verifyRedirectQuery(`${query}&SAMLResponse=x`, certs, opts)).toThrow(
      code('SAML_STRUCTURE_INVALID'),
    );
    expect(() => verifyRedirectQuery('RelayState=x', certs, opts)).toThrow(code('SAML_MESSAGE_MISSING'));
    expect(() => verifyRedirectQuery(query.replace(/&SigAlg=[^&]*/, ''), certs, opts)).toThrow(
      code('SAML_STRUCTURE_INVALID'),
    );
    expect(() => verifyRedirectQuery(`${query}%E0%A4%A`, certs, opts)).toThrow(code('SAML_MALFORMED'));
    expect(() => verifyRedirectQuery(query, [], opts)).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });

  it('accepts the IdP certificate in any form an admin pastes', () => {
    const query = signRedirectQuery({ key: 'SAMLRequest', value, privateKeyPem: sp.privateKeyPem });
    const bare = `\n  ${certificateBase64(sp.certificatePem)}\n`;
    expect(verifyRedirectQuery(query, [bare], { allowSha1: false }).ok).toBe(true);
  });
});
