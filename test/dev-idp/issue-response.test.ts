/**
 * issueResponse and its overrides: each override changes what it says and nothing else, signatures verify with
 * xmlsec1 (or fail where a forgery is meant to fail), encryption round-trips with the SP key, and node-saml (a
 * third SAML implementation) accepts the default response.
 */
import { SAML } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS } from '../../src/core/xml/namespaces.ts';
import { parseXml } from '../../src/core/xml/parse.ts';
import { createDevIdp } from '../../src/dev-idp/index.ts';
import {
  all,
  attributesOf,
  certBase64,
  decodeResponse,
  KEYS,
  one,
  type RunningIdp,
  SIG,
  spMetadataFixture,
  startDevIdp,
  xmlsec1,
} from './helpers.ts';

const SP = 'https://sp.example.test/metadata';
const ACS = 'https://sp.example.test/acs';
const PLAIN_SP = 'https://plain.example.test/metadata';

let running: RunningIdp;

beforeAll(async () => {
  running = await startDevIdp([
    spMetadataFixture({ entityId: SP, acsUrls: [ACS] }),
    spMetadataFixture({ entityId: PLAIN_SP, acsUrls: ['https://plain.example.test/acs'], encryption: null }),
  ]);
});
afterAll(async () => {
  await running.close();
});

async function issue(overrides: Parameters<RunningIdp['idp']['issueResponse']>[0]['overrides'] = {}) {
  const { samlResponse, acsUrl } = await running.idp.issueResponse({
    spEntityId: SP,
    username: 'alice',
    inResponseTo: '_request-1',
    overrides,
  });
  return { acsUrl, ...decodeResponse(samlResponse) };
}

const signatureParents = (doc: ReturnType<typeof decodeResponse>['doc']) =>
  all(doc, NS.dsig, 'Signature').map((s) => (s.parentNode as { localName?: string } | null)?.localName);

describe('issueResponse defaults', () => {
  it('signs only the assertion, RSA-SHA256 over a SHA-256 digest, with a 300 s window from `now`', async () => {
    const now = new Date('2030-01-02T03:04:05.000Z');
    const { xml, doc, acsUrl } = await issue({ now });
    expect(acsUrl).toBe(ACS);
    expect(signatureParents(doc)).toEqual(['Assertion']);
    expect(one(doc, NS.dsig, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIG.rsaSha256);
    expect(one(doc, NS.dsig, 'DigestMethod').getAttribute('Algorithm')).toBe(SIG.sha256);
    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );

    const conditions = one(doc, NS.assertion, 'Conditions');
    expect(conditions.getAttribute('NotBefore')).toBe('2030-01-02T03:04:05.000Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2030-01-02T03:09:05.000Z');
    expect(one(doc, NS.assertion, 'SubjectConfirmationData').getAttribute('NotOnOrAfter')).toBe(
      '2030-01-02T03:09:05.000Z',
    );
    expect(doc.documentElement?.getAttribute('IssueInstant')).toBe('2030-01-02T03:04:05.000Z');
    expect(doc.documentElement?.getAttribute('InResponseTo')).toBe('_request-1');
  });

  it('leaves InResponseTo out of an unsolicited response', async () => {
    const { samlResponse } = await running.idp.issueResponse({ spEntityId: SP, username: 'bob' });
    const { xml, doc } = decodeResponse(samlResponse);
    expect(xml).not.toContain('InResponseTo');
    expect(attributesOf(doc).email).toEqual(['bob@example.com']);
  });

  it('is accepted by node-saml, an independent SP implementation', async () => {
    const { samlResponse } = await running.idp.issueResponse({ spEntityId: SP, username: 'alice' });
    const saml = new SAML({
      idpCert: KEYS.idp.certificatePem,
      issuer: SP,
      audience: SP,
      callbackUrl: ACS,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
    expect(profile?.nameID).toBe('alice@example.com');
    expect(profile?.groups).toEqual(['engineering', 'admins']);
  });
});

describe('issueResponse overrides', () => {
  it('puts audience, recipient, destination and issuer where their names say', async () => {
    const { doc, acsUrl } = await issue({
      audience: 'https://other-sp.test',
      recipient: 'https://other-sp.test/acs',
      destination: 'https://elsewhere.test/acs',
      issuer: 'https://impostor-idp.test',
    });
    // Where the browser posts stays the real ACS: the forgery is inside the message.
    expect(acsUrl).toBe(ACS);
    expect(one(doc, NS.assertion, 'Audience').textContent).toBe('https://other-sp.test');
    expect(one(doc, NS.assertion, 'SubjectConfirmationData').getAttribute('Recipient')).toBe(
      'https://other-sp.test/acs',
    );
    expect(doc.documentElement?.getAttribute('Destination')).toBe('https://elsewhere.test/acs');
    expect(all(doc, NS.assertion, 'Issuer').map((e) => e.textContent)).toEqual([
      'https://impostor-idp.test',
      'https://impostor-idp.test',
    ]);
  });

  it('sets NotBefore and NotOnOrAfter independently of now', async () => {
    const { doc } = await issue({
      now: new Date('2030-01-01T00:00:00.000Z'),
      notBefore: new Date('2030-01-01T01:00:00.000Z'),
      notOnOrAfter: new Date('2029-12-31T23:00:00.000Z'),
    });
    const conditions = one(doc, NS.assertion, 'Conditions');
    expect(conditions.getAttribute('NotBefore')).toBe('2030-01-01T01:00:00.000Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2029-12-31T23:00:00.000Z');
  });

  it('signs with an untrusted key and puts its certificate in KeyInfo', async () => {
    const { xml, doc } = await issue({ signingKey: KEYS.rogue });
    expect(one(doc, NS.dsig, 'X509Certificate').textContent).toBe(certBase64(KEYS.rogue.certificatePem));
    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      false,
    );
    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.rogue.certificatePem })).ok).toBe(
      true,
    );
  });

  it('signs with RSA-SHA1 and a SHA-1 digest when asked', async () => {
    const { xml, doc } = await issue({ signatureAlgorithm: 'rsa-sha1' });
    expect(one(doc, NS.dsig, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIG.rsaSha1);
    expect(one(doc, NS.dsig, 'DigestMethod').getAttribute('Algorithm')).toBe(SIG.sha1);
    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );
  });

  it('signs only the Response when asked', async () => {
    const { xml, doc } = await issue({ signAssertion: false, signResponse: true });
    expect(signatureParents(doc)).toEqual(['Response']);
    expect((await xmlsec1(xml, { verify: 'Response', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );
  });

  it('signs both the Response and the Assertion when asked', async () => {
    const { xml, doc } = await issue({ signResponse: true });
    expect(signatureParents(doc).sort()).toEqual(['Assertion', 'Response']);
    expect((await xmlsec1(xml, { verify: 'Response', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );
    expect((await xmlsec1(xml, { verify: 'Assertion', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );
  });

  it('produces a response without any signature when both are switched off', async () => {
    const { xml, doc } = await issue({ signAssertion: false, signResponse: false });
    expect(all(doc, NS.dsig, 'Signature')).toHaveLength(0);
    expect(one(doc, NS.assertion, 'NameID').textContent).toBe('alice@example.com');
    expect(xml).not.toContain('SignatureValue');
  });

  it('encrypts the signed assertion with AES-256-GCM and RSA-OAEP for the SP encryption key', async () => {
    const { xml, doc } = await issue({ encrypt: true, signResponse: true });
    expect(all(doc, NS.assertion, 'Assertion')).toHaveLength(0);
    const methods = all(doc, NS.xenc, 'EncryptionMethod').map((e) => e.getAttribute('Algorithm'));
    expect(methods).toContain('http://www.w3.org/2009/xmlenc11#aes256-gcm');
    expect(methods).toContain('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
    // The Response signature covers the EncryptedAssertion (encrypt, then sign).
    expect((await xmlsec1(xml, { verify: 'Response', certificatePem: KEYS.idp.certificatePem })).ok).toBe(
      true,
    );

    const decrypted = await xmlsec1(xml, { decryptWith: KEYS.sp });
    expect(decrypted.ok).toBe(true);
    const plain = parseXml(decrypted.stdout.replace(/^<\?xml[^>]*>\s*/, ''));
    expect(attributesOf(plain).groups).toEqual(['engineering', 'admins']);
    // The assertion's own signature survives encryption.
    const check = await xmlsec1(decrypted.stdout, {
      verify: 'Assertion',
      certificatePem: KEYS.idp.certificatePem,
    });
    expect(check.ok).toBe(true);
  });

  it('refuses to encrypt for an SP whose metadata has no encryption certificate', async () => {
    await expect(
      running.idp.issueResponse({ spEntityId: PLAIN_SP, username: 'alice', overrides: { encrypt: true } }),
    ).rejects.toThrow(/no encryption certificate/);
  });
});

describe('misuse', () => {
  it('throws a TypeError for an unknown SP or user', async () => {
    await expect(
      running.idp.issueResponse({ spEntityId: 'https://nobody.test', username: 'alice' }),
    ).rejects.toThrow(TypeError);
    await expect(running.idp.issueResponse({ spEntityId: SP, username: 'mallory' })).rejects.toThrow(
      TypeError,
    );
  });

  it('rejects bad options at construction with ERR_INVALID_ARG_VALUE', () => {
    const base = { baseUrl: 'http://localhost:3000/idp', signing: KEYS.idp, serviceProviders: () => [] };
    const bad = [
      { ...base, baseUrl: 'localhost:3000/idp' },
      { ...base, baseUrl: 'ftp://localhost/idp' },
      { ...base, signatureAlgorithm: 'rsa-md5' as 'rsa-sha1' },
      { ...base, assertionLifetimeSeconds: Number.NaN },
      { ...base, signing: { privateKeyPem: '', certificatePem: '' } },
    ];
    for (const options of bad) {
      expect(() => createDevIdp(options)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    expect(createDevIdp({ ...base, baseUrl: 'http://localhost:3000/idp/' }).entityId).toBe(
      'http://localhost:3000/idp/metadata',
    );
  });
});
