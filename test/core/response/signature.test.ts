/**
 * Signatures: policy, trust, tampering, algorithms, and a differential check of our XPath-free verifier
 * against xml-crypto's SignedXml on the same documents.
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import {
  buildConnection,
  buildResponse,
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
  fingerprintOf,
  type TestKeyPair,
  testKey,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const SHA1_SIG = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';

describe('signature policy', () => {
  it('refuses an unsigned response', async () => {
    const error = await expectRejected(await buildResponse({ sign: 'none' }), 'SAML_SIGNATURE_MISSING');
    expect(error.details).toMatchObject({ responseSigned: false, assertionSigned: false });
  });

  it('refuses an unsigned response even under the most lenient policy', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    await expectRejected(await buildResponse({ sign: 'none' }), 'SAML_SIGNATURE_MISSING', options);
  });

  // Issue #9, item 9: a Response signature that covers the assertion is enough by default.
  it('accepts a Response-only signature under the default policy, reading the signed copy', async () => {
    const result = await validateResponse(await buildResponse({ sign: 'response' }), buildValidateOptions());
    expect(result.signature.signedElements).toEqual(['response']);
    expect(result.nameId.value).toBe('alice@example.com');
  });

  it('refuses an assertion changed after the Response was signed, under the default policy', async () => {
    const samlResponse = await buildResponse({
      sign: 'response',
      tamper: (xml) => xml.replace('alice@example.com</saml:NameID>', 'mallory@example.com</saml:NameID>'),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a Response-only signature when the connection requires the assertion signed, naming the fix', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'assertion' } });
    const error = await expectRejected(
      await buildResponse({ sign: 'response' }),
      'SAML_SIGNATURE_MISSING',
      options,
    );
    expect(error.hint).toContain('response-or-assertion');
    expect(error.hint).toContain('Sign the assertion');
  });

  it('requires both signatures under response-and-assertion', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-and-assertion' } });
    await expectRejected(await buildResponse({ sign: 'assertion' }), 'SAML_SIGNATURE_MISSING', options);
    await expectRejected(await buildResponse({ sign: 'response' }), 'SAML_SIGNATURE_MISSING', options);
    await expect(validateResponse(await buildResponse({ sign: 'both' }), options)).resolves.toBeDefined();
  });

  it('refuses an invalid Response signature even when the assertion signature is enough', async () => {
    // Tamper with a Response-level attribute the assertion signature does not cover.
    const samlResponse = await buildResponse({
      sign: 'both',
      tamper: (xml) => xml.replace('IssueInstant="', 'IssueInstant="1'),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });
});

describe('trust', () => {
  it('refuses a rogue key that brings its own certificate, naming both fingerprints', async () => {
    const error = await expectRejected(
      await buildResponse({ signingKey: 'idp-rogue' }),
      'SAML_SIGNATURE_UNTRUSTED',
    );
    expect(error.details).toMatchObject({
      keyInfoFingerprints: [fingerprintOf('idp-rogue')],
      trustedFingerprints: [fingerprintOf('idp')],
    });
    expect(error.hint).toContain(fingerprintOf('idp-rogue'));
    expect(error.hint).toContain(fingerprintOf('idp'));
  });

  it('refuses a rogue key without KeyInfo as an invalid signature', async () => {
    await expectRejected(
      await buildResponse({ signingKey: 'idp-rogue', keyInfo: false }),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('refuses a rogue signature whose KeyInfo claims the trusted certificate', async () => {
    const samlResponse = await buildResponse({
      signingKey: { keyPem: testKey('idp-rogue').keyPem, certPem: testKey('idp').certPem },
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });

  it('accepts the rollover certificate when both are trusted, and reports which one verified', async () => {
    const options = buildValidateOptions({ trust: ['idp', 'idp-next'] });
    const result = await validateResponse(await buildResponse({ signingKey: 'idp-next' }), options);
    expect(result.signature.certificateFingerprint).toBe(fingerprintOf('idp-next'));
  });

  it('finds the right trusted certificate without KeyInfo', async () => {
    const options = buildValidateOptions({ trust: ['idp', 'idp-next'] });
    const result = await validateResponse(
      await buildResponse({ signingKey: 'idp-next', keyInfo: false }),
      options,
    );
    expect(result.signature.certificateFingerprint).toBe(fingerprintOf('idp-next'));
  });

  it('refuses the rollover certificate before it is trusted', async () => {
    await expectRejected(await buildResponse({ signingKey: 'idp-next' }), 'SAML_SIGNATURE_UNTRUSTED');
  });

  it('accepts a trusted certificate stored as bare base64 (as metadata carries it)', async () => {
    const pem = testKey('idp').certPem;
    const bare = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const connection = buildConnection();
    connection.signingCertificates = [{ ...connection.signingCertificates[0]!, pem: bare }];
    await expect(
      validateResponse(await buildResponse(), buildValidateOptions({ connection })),
    ).resolves.toBeDefined();
  });
});

describe('tampering after signing', () => {
  it('refuses a changed attribute value', async () => {
    const samlResponse = await buildResponse({ tamper: (xml) => xml.replace('>admins<', '>superadmins<') });
    const error = await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
    expect(error.message).toContain('digest');
  });

  it('refuses a changed NameID', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) => xml.replace('>alice@example.com</saml:NameID>', '>bob@example.com</saml:NameID>'),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a changed assertion in a Response-only signed message', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    const samlResponse = await buildResponse({
      sign: 'response',
      tamper: (xml) => xml.replace('>Alice<', '>Mallory<'),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID', options);
  });

  it('refuses a changed SignedInfo (digest recomputed by the attacker)', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) =>
        xml.replace(
          /<ds:DigestValue>[^<]+</,
          '<ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=<',
        ),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a signature whose Reference is not its parent ID', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) => xml.replace('URI="#_assert-2b8e4f6a0c1d3e5f7a9b"', 'URI=""'),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });
});

describe('algorithms', () => {
  it('refuses SHA-1 by default with the ADFS fix in the hint', async () => {
    const error = await expectRejected(await buildResponse({ sha1: true }), 'SAML_ALGORITHM_FORBIDDEN');
    expect(error.hint).toContain('Set-AdfsRelyingPartyTrust');
    expect(error.hint).toContain('allowSha1');
  });

  it('accepts SHA-1 when the connection opts in', async () => {
    const options = buildValidateOptions({ policy: { allowSha1: true } });
    const result = await validateResponse(await buildResponse({ sha1: true }), options);
    expect(result.signature.algorithm).toBe(SHA1_SIG);
  });

  it('refuses a SHA-1 digest under a SHA-256 signature', async () => {
    const samlResponse = await buildResponse({
      algorithms: { digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
    });
    await expectRejected(samlResponse, 'SAML_ALGORITHM_FORBIDDEN');
  });

  it('accepts RSA-SHA512 and RSA-SHA384 with SHA-512/384 digests', async () => {
    for (const [signature, digest] of [
      ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', 'http://www.w3.org/2001/04/xmlenc#sha512'],
      ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha384', 'http://www.w3.org/2001/04/xmldsig-more#sha384'],
    ] as const) {
      const result = await validateResponse(
        await buildResponse({ algorithms: { signature, digest } }),
        buildValidateOptions(),
      );
      expect(result.signature.algorithm).toBe(signature);
    }
  });

  it('refuses an unknown signature method', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) => xml.replace('xmldsig-more#rsa-sha256', 'xmldsig-more#rsa-md5'),
    });
    await expectRejected(samlResponse, 'SAML_ALGORITHM_FORBIDDEN');
  });

  it('refuses inclusive c14n and extra transforms', async () => {
    const inclusive = await buildResponse({
      tamper: (xml) =>
        xml.replace(
          '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
          '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
        ),
    });
    await expectRejected(inclusive, 'SAML_ALGORITHM_FORBIDDEN');
    const xpathTransform = await buildResponse({
      tamper: (xml) =>
        xml.replace(
          '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
          '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/>',
        ),
    });
    await expectRejected(xpathTransform, 'SAML_ALGORITHM_FORBIDDEN');
  });

  describe('ECDSA', () => {
    let ec: TestKeyPair;
    beforeAll(async () => {
      // @peculiar/x509 needs the reflect polyfill loaded first.
      await import('reflect-metadata');
      const x509 = await import('@peculiar/x509');
      const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=saml-sp-kit test ecdsa idp',
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2036-01-01T00:00:00Z'),
        keys,
        signingAlgorithm: alg,
      });
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString(
        'base64',
      );
      ec = {
        keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`,
        certPem: cert.toString('pem'),
      };
    });

    it('accepts ECDSA-SHA256 from a trusted EC certificate', async () => {
      const samlResponse = await buildResponse({
        signingKey: ec,
        algorithms: { signature: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' },
      });
      const connection = buildConnection();
      connection.signingCertificates = [{ ...connection.signingCertificates[0]!, pem: ec.certPem }];
      const result = await validateResponse(samlResponse, buildValidateOptions({ connection }));
      expect(result.signature.algorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256');
    });

    it('does not verify an ECDSA signature with an RSA certificate', async () => {
      const samlResponse = await buildResponse({
        signingKey: ec,
        algorithms: { signature: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' },
      });
      await expectRejected(samlResponse, 'SAML_SIGNATURE_UNTRUSTED');
    });
  });
});

describe('differential check against xml-crypto SignedXml', () => {
  // The same document must get the same verdict from both verifiers; the validator adds SAML rules on top.
  function xmlCryptoAccepts(xml: string): boolean {
    const verifier = new SignedXml({ publicCert: testKey('idp').certPem });
    const signature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(xml)![0];
    verifier.loadSignature(signature);
    try {
      return verifier.checkSignature(xml);
    } catch {
      return false;
    }
  }

  const cases: Record<string, Parameters<typeof buildResponseXml>[0]> = {
    valid: {},
    'valid, no KeyInfo': { keyInfo: false },
    'attribute changed': { tamper: (xml) => xml.replace('>Alice<', '>Mallory<') },
    'comment in NameID': {
      tamper: (xml) =>
        xml.replace('alice@example.com</saml:NameID>', 'alice@<!---->example.com</saml:NameID>'),
    },
    'whitespace added in the assertion': {
      tamper: (xml) => xml.replace('<saml:Subject>', '<saml:Subject> '),
    },
    'rogue key': { signingKey: 'idp-rogue' },
    'signature value altered': {
      tamper: (xml) => xml.replace(/<ds:SignatureValue>../, '<ds:SignatureValue>AB'),
    },
  };

  for (const [name, options] of Object.entries(cases)) {
    it(name, async () => {
      const xml = await buildResponseXml(options);
      const ours = await validateResponse(encodeResponse(xml), buildValidateOptions()).then(
        () => true,
        () => false,
      );
      expect(ours).toBe(xmlCryptoAccepts(xml));
    });
  }
});

it('a key pair generated at run time cannot be mistaken for a trusted one', async () => {
  // Guards the fixture: a fresh RSA key with the trusted certificate in KeyInfo must fail.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const samlResponse = await buildResponse({
    signingKey: {
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certPem: testKey('idp').certPem,
    },
  });
  await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
});

describe('InclusiveNamespaces (Okta signs with PrefixList="xs")', () => {
  // xs is declared on the Response root, used only inside an attribute value, and listed in the PrefixList:
  // exclusive c14n must render the inherited declaration, or the digest cannot match.
  async function signedWithPrefixList(): Promise<string> {
    const xml = (
      await buildResponseXml({
        sign: 'none',
        attributes: [{ name: 'age', values: [{ value: '42', type: 'xs:integer' }] }],
      })
    )
      .replace(' xmlns:xs="http://www.w3.org/2001/XMLSchema"', '')
      .replace('<samlp:Response ', '<samlp:Response xmlns:xs="http://www.w3.org/2001/XMLSchema" ');
    const signer = new SignedXml({
      privateKey: testKey('idp').keyPem,
      publicCert: testKey('idp').certPem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    const assertionXpath = "//*[local-name(.)='Assertion']";
    signer.addReference({
      xpath: assertionXpath,
      transforms: [
        'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
        'http://www.w3.org/2001/10/xml-exc-c14n#',
      ],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      inclusiveNamespacesPrefixList: ['xs'],
    });
    signer.computeSignature(xml, {
      prefix: 'ds',
      location: { reference: `${assertionXpath}/*[local-name(.)='Issuer']`, action: 'after' },
    });
    return signer.getSignedXml();
  }

  it('accepts an assertion signed with a PrefixList naming a namespace declared on the Response', async () => {
    const xml = await signedWithPrefixList();
    expect(xml).toContain('PrefixList="xs"');
    const result = await validateResponse(encodeResponse(xml), buildValidateOptions());
    expect(result.attributes.age).toEqual(['42']);
  });

  it('still detects tampering on that path', async () => {
    const xml = (await signedWithPrefixList()).replace('>42<', '>43<');
    await expectRejected(encodeResponse(xml), 'SAML_SIGNATURE_INVALID');
  });
});

it('refuses two signatures on one element', async () => {
  const xml = (await buildResponseXml()).replace(/(<ds:Signature[\s\S]*?<\/ds:Signature>)/, '$1$1');
  await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
});

describe('base64 values in the signature (found by the xmlsec1 differential fuzzer)', () => {
  it('refuses a SignatureValue with a character outside base64, which xmlsec1 refuses (Node skipped it)', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) => xml.replace(/<ds:SignatureValue>(.{10})/, '<ds:SignatureValue>$1&amp;'),
    });
    expect(Buffer.from(samlResponse, 'base64').toString()).toMatch(/<ds:SignatureValue>[^<]*&amp;/);
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID');
  });

  it('still accepts a SignatureValue wrapped over several lines', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) =>
        xml.replace(
          /<ds:SignatureValue>([^<]*)</,
          (_m, value: string) => `<ds:SignatureValue>\n${value.replace(/(.{64})/g, '$1\n')}\n<`,
        ),
    });
    await expect(validateResponse(samlResponse, buildValidateOptions())).resolves.toBeDefined();
  });
});
