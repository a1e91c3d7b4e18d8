/**
 * Signed metadata (issue #3): an ADFS-style FederationMetadata.xml signed with a test key, verified against
 * the pinned certificate; every way the signature can fail, each with its code; the facts the lint reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { describeCertificate } from '../../../src/core/keys.ts';
import { parseIdpMetadata } from '../../../src/core/metadata/idp-metadata.ts';
import { verifyMetadataSignature } from '../../../src/core/metadata/metadata-signature.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';
import { aggregateEntityId, federationAggregateXml } from '../../fixtures/federation-aggregate.ts';
import { shape } from '../response/signed-view-shape.ts';
import { testKeyPair } from '../sp-fixtures.ts';
import { XMLSEC1, xmlsecVerify } from '../xmlsec.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/metadata/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2027-01-01T00:00:00Z');
const idp = testKeyPair('idp');
const rogue = testKeyPair('idp-rogue');
const fingerprint = (pem: string) => describeCertificate(pem).fingerprintSha256;

function errorOf(fn: () => unknown): { code: string; hint: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; hint: string; message: string };
  }
  throw new Error('expected a throw');
}

/** Signs the unsigned ADFS fixture with SHA-1, as an older ADFS farm would. */
function signedWithSha1(): string {
  const xml = fixture('adfs.xml').replace(/<!--[\s\S]*?-->\s*/, '');
  const signer = new SignedXml({
    privateKey: idp.privateKeyPem,
    publicCert: idp.certificatePem,
    signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    idAttribute: 'ID',
  });
  signer.addReference({
    xpath: '/*',
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1',
  });
  signer.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'prepend' } });
  return signer.getSignedXml();
}

describe('ADFS-style signed metadata', () => {
  const signed = fixture('adfs-signed.xml');

  it('verifies against the pinned token-signing certificate and reads the same facts as unsigned', () => {
    const parsed = parseIdpMetadata(signed, { now: NOW, signature: { certificates: [idp.certificatePem] } });
    expect(parsed.signature).toEqual({
      certificateFingerprint: fingerprint(idp.certificatePem),
      algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    });
    const unsigned = parseIdpMetadata(fixture('adfs.xml'), { now: NOW });
    expect(parsed.entityId).toBe('http://adfs.example.com/adfs/services/trust');
    expect(parsed.signingCertificates).toEqual(unsigned.signingCertificates);
    expect(parsed.ssoEndpoints).toEqual(unsigned.ssoEndpoints);
    expect(parsed.facts).toMatchObject({
      signed: true,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      otherRoles: ['fed:SecurityTokenServiceType', 'SPSSODescriptor'],
    });
  });

  it.skipIf(!existsSync(XMLSEC1))('is a standard signature: xmlsec1 verifies the fixture too', async () => {
    const result = await xmlsecVerify(
      signed,
      idp.certificatePem,
      'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
    );
    expect(result.ok, result.output).toBe(true);
  });

  it('refuses metadata signed by another key than the pinned one', () => {
    const error = errorOf(() =>
      parseIdpMetadata(signed, { signature: { certificates: [rogue.certificatePem] } }),
    );
    expect(error.code).toBe('SAML_SIGNATURE_UNTRUSTED');
    expect(error.hint).toMatch(/pinned/);
  });

  it('refuses metadata changed after signing (an attacker swapping the SSO URL)', () => {
    const tampered = signed.replace('https://adfs.example.com/adfs/ls/', 'https://evil.example/adfs/ls/');
    expect(tampered).not.toBe(signed);
    expect(
      errorOf(() => parseIdpMetadata(tampered, { signature: { certificates: [idp.certificatePem] } })).code,
    ).toBe('SAML_SIGNATURE_INVALID');
  });

  it('refuses a certificate swapped inside the signed IDPSSODescriptor', () => {
    const idpB64 = idp.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    const rogueB64 = rogue.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    const swapped = signed.split(idpB64).join(rogueB64);
    expect(
      errorOf(() => parseIdpMetadata(swapped, { signature: { certificates: [idp.certificatePem] } })).code,
    ).toMatch(/SAML_SIGNATURE_(INVALID|UNTRUSTED)/);
  });

  it('refuses unsigned metadata when a certificate is pinned', () => {
    const error = errorOf(() =>
      parseIdpMetadata(fixture('adfs.xml'), { signature: { certificates: [idp.certificatePem] } }),
    );
    expect(error.code).toBe('SAML_SIGNATURE_MISSING');
  });

  it('refuses a signed entity wrapped in an unsigned aggregate with a forged twin', () => {
    const body = signed.replace(/^<\?xml[^>]*>\s*/, '');
    const forged = body
      .replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '')
      .replace('ID="_c7e0f1a2-3b4c-4d5e-8f90-a1b2c3d4e5f6"', '')
      .replace('http://adfs.example.com/adfs/services/trust', 'http://adfs.example.com/adfs/services/trust2');
    const wrapped = `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${body}${forged}</EntitiesDescriptor>`;
    expect(
      errorOf(() =>
        parseIdpMetadata(wrapped, {
          idpEntityId: 'http://adfs.example.com/adfs/services/trust2',
          signature: { certificates: [idp.certificatePem] },
        }),
      ).code,
    ).toBe('SAML_SIGNATURE_MISSING');
  });

  it('refuses SHA-1 signed metadata unless allowed, and records the algorithm for the lint', () => {
    const sha1 = signedWithSha1();
    expect(
      errorOf(() => parseIdpMetadata(sha1, { signature: { certificates: [idp.certificatePem] } })).code,
    ).toBe('SAML_ALGORITHM_FORBIDDEN');
    const parsed = parseIdpMetadata(sha1, {
      signature: { certificates: [idp.certificatePem], allowSha1: true },
    });
    expect(parsed.facts.signatureAlgorithm).toBe('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    // Unverified parsing still records the facts.
    expect(parseIdpMetadata(sha1).facts.digestAlgorithm).toBe('http://www.w3.org/2000/09/xmldsig#sha1');
  });

  it('returns the root parsed from the signed bytes only', () => {
    const root = parseXml(signed).documentElement!;
    const verified = verifyMetadataSignature(root, { certificates: [idp.certificatePem] });
    expect(verified.root).not.toBe(root);
    expect(verified.root.getAttribute('entityID')).toBe('http://adfs.example.com/adfs/services/trust');
  });
});

describe('one parse of signed metadata (issue #16): reduced in place, it reads what the re-parse reads', () => {
  const pin = { certificates: [idp.certificatePem] };
  const aggregatePin = { certificates: [testKeyPair('idp-next').certificatePem] };
  const documents = {
    'the ADFS fixture': { xml: fixture('adfs-signed.xml'), pin, entity: undefined },
    'a signed aggregate of 300 entities': {
      xml: federationAggregateXml({ entities: 300, signed: true }),
      pin: aggregatePin,
      entity: aggregateEntityId(100),
    },
  };
  // Edits exclusive c14n does not see: the signature still verifies, and only the view can tell them apart.
  const invisible: Record<string, (xml: string) => string> = {
    none: (x) => x,
    'comments between every element': (x) => x.replace(/></g, '><!--between--><'),
    'a comment splitting every certificate': (x) =>
      x.replace(/(<ds:X509Certificate>[A-Za-z0-9+/]{12})/g, '$1<!--split-->'),
    'every certificate as text and CDATA': (x) =>
      x.replace(/<ds:X509Certificate>([A-Za-z0-9+/]{20})/g, '<ds:X509Certificate>$1<![CDATA[]]>'),
  };

  for (const [name, doc] of Object.entries(documents)) {
    for (const [edit, apply] of Object.entries(invisible)) {
      it(`${name}, ${edit}`, () => {
        const xml = apply(doc.xml);
        if (edit !== 'none') expect(xml).not.toBe(doc.xml);
        const viaReparse = verifyMetadataSignature(
          parseXml(xml, { maxBytes: 1 << 26 }).documentElement!,
          doc.pin,
        );
        const inPlace = verifyMetadataSignature(parseXml(xml, { maxBytes: 1 << 26 }).documentElement!, {
          ...doc.pin,
          reduceInPlace: true,
        });
        expect(shape(inPlace.root)).toEqual(shape(viaReparse.root));
        expect(inPlace.certificateFingerprint).toBe(viaReparse.certificateFingerprint);
        // parseIdpMetadata reads through the reduced view: the edited document says what the original says.
        const options = {
          now: NOW,
          maxBytes: 1 << 26,
          signature: doc.pin,
          ...(doc.entity ? { idpEntityId: doc.entity } : {}),
        };
        const { facts: editedFacts, ...edited } = parseIdpMetadata(xml, options);
        const { facts: originalFacts, ...original } = parseIdpMetadata(doc.xml, options);
        expect(edited).toEqual(original);
        expect(editedFacts.signatureAlgorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
        expect(editedFacts.entityCount).toBe(originalFacts.entityCount);
      });
    }
  }

  it('still refuses an aggregate changed after signing, and reads nothing of it', () => {
    const xml = documents['a signed aggregate of 300 entities'].xml.replace(
      'https://idp100.example.edu/idp/profile/SAML2/Redirect/SSO',
      'https://evil.example/sso',
    );
    expect(
      errorOf(() =>
        parseIdpMetadata(xml, {
          maxBytes: 1 << 26,
          signature: aggregatePin,
          idpEntityId: aggregateEntityId(100),
        }),
      ).code,
    ).toBe('SAML_SIGNATURE_INVALID');
  });
});

describe('metadata facts for the lint', () => {
  it('records the BOM and WS-Fed roles of Entra metadata', () => {
    const parsed = parseIdpMetadata(fixture('entra-app.xml'), { now: NOW });
    expect(parsed.facts.byteOrderMark).toBe(true);
    expect(parsed.facts.otherRoles.some((r) => /SecurityTokenServiceType/.test(r))).toBe(true);
    expect(parsed.facts.entityCount).toBe(1);
  });

  it('counts the entities of an aggregate and keeps clock-free notes apart from certificate warnings', () => {
    const parsed = parseIdpMetadata(fixture('aggregate-two-idps.xml'), {
      now: NOW,
      idpEntityId: 'https://idp.college-b.example/saml',
    }).facts;
    expect(parsed.entityCount).toBe(3);
    const keycloak = parseIdpMetadata(fixture('keycloak-realm.xml'), {
      now: new Date('2099-01-01T00:00:00Z'),
    });
    expect(keycloak.warnings.filter((w) => /expired/.test(w))).toHaveLength(2);
    expect(keycloak.notes).toEqual([]);
  });
});
