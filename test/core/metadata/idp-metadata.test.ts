import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { certificateBase64, describeCertificate } from '../../../src/core/keys.ts';
import { parseIdpMetadata } from '../../../src/core/metadata/idp-metadata.ts';
import { BINDING_URIS } from '../../../src/core/types.ts';
import { NAMEID_FORMATS } from '../../../src/core/xml/namespaces.ts';
import { testKeyPair } from '../sp-fixtures.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/metadata/${name}`, import.meta.url), 'utf8');
const fingerprint = (name: 'idp' | 'idp-next' | 'idp-rogue') =>
  describeCertificate(testKeyPair(name).certificatePem).fingerprintSha256;
const NOW = new Date('2027-01-01T00:00:00Z');

/** Overridable IdP metadata: each part is a string to replace. */
function buildIdpMetadata(
  parts: { attrs?: string; descriptorAttrs?: string; keys?: string; services?: string; extra?: string } = {},
): string {
  const keys =
    parts.keys ??
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBase64(testKeyPair('idp').certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const services =
    parts.services ??
    `<md:SingleSignOnService Binding="${BINDING_URIS.redirect}" Location="https://idp.example.com/sso"/>`;
  return (
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"' +
    ` entityID="https://idp.example.com/metadata"${parts.attrs ?? ''}>` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${parts.descriptorAttrs ?? ''}>` +
    `${keys}${services}</md:IDPSSODescriptor>${parts.extra ?? ''}</md:EntityDescriptor>`
  );
}

function errorOf(fn: () => unknown): { code: string; hint: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; hint: string; details: Record<string, unknown> };
  }
  throw new Error('expected a throw');
}

describe('parseIdpMetadata: real-world shapes', () => {
  it('reads a Keycloak realm descriptor (EntitiesDescriptor around one entity, two keys, every binding)', () => {
    const idp = parseIdpMetadata(fixture('keycloak-realm.xml'), { now: NOW });
    const base = 'http://localhost:8080/realms/sp-kit';
    expect(idp.entityId).toBe(base);
    expect(idp.wantAuthnRequestsSigned).toBe(true);
    expect(idp.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([
      fingerprint('idp'),
      fingerprint('idp-next'),
    ]);
    expect(idp.ssoEndpoints).toEqual([
      { binding: 'post', location: `${base}/protocol/saml` },
      { binding: 'redirect', location: `${base}/protocol/saml` },
      { binding: 'soap', location: `${base}/protocol/saml` },
      { binding: 'artifact', location: `${base}/protocol/saml` },
    ]);
    expect(idp.sloEndpoints.map((e) => e.binding)).toEqual(['post', 'redirect', 'artifact']);
    expect(idp.nameIdFormats).toEqual([
      NAMEID_FORMATS.persistent,
      NAMEID_FORMATS.transient,
      NAMEID_FORMATS.unspecified,
      NAMEID_FORMATS.emailAddress,
    ]);
    expect(idp.warnings).toEqual([]);
    expect(idp.validUntil).toBeUndefined();
  });

  it('reads Entra app metadata (BOM, default namespace, WS-Fed RoleDescriptors with other keys, two certs)', () => {
    const xml = fixture('entra-app.xml');
    expect(xml.charCodeAt(0)).toBe(0xfeff);
    const idp = parseIdpMetadata(xml, { now: NOW });
    const tenant = '8a3c2f91-5b7d-4e0a-9c61-2d4f8e7b1a05';
    expect(idp.entityId).toBe(`https://sts.windows.net/${tenant}/`);
    // The RoleDescriptors carry the rogue key: it must not become trusted.
    expect(idp.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([
      fingerprint('idp'),
      fingerprint('idp-next'),
    ]);
    expect(idp.ssoEndpoints).toEqual([
      { binding: 'redirect', location: `https://login.microsoftonline.com/${tenant}/saml2` },
      { binding: 'post', location: `https://login.microsoftonline.com/${tenant}/saml2` },
    ]);
    expect(idp.sloEndpoints).toEqual([
      { binding: 'redirect', location: `https://login.microsoftonline.com/${tenant}/saml2` },
    ]);
    expect(idp.wantAuthnRequestsSigned).toBe(false);
    expect(idp.nameIdFormats).toEqual([]);
  });

  it('reads ADFS metadata, taking keys only from the IDPSSODescriptor (not the SPSSODescriptor)', () => {
    const idp = parseIdpMetadata(fixture('adfs.xml'), { now: NOW });
    expect(idp.entityId).toBe('http://adfs.example.com/adfs/services/trust');
    expect(idp.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([fingerprint('idp')]);
    expect(idp.ssoEndpoints.map((e) => e.binding)).toEqual(['redirect', 'post']);
  });

  it('refuses an aggregate of two IdPs without a choice, listing their entity IDs', () => {
    const error = errorOf(() => parseIdpMetadata(fixture('aggregate-two-idps.xml'), { now: NOW }));
    expect(error.code).toBe('SAML_METADATA_INVALID');
    expect(error.details.entities).toEqual([
      'https://idp.uni-a.example/idp/shibboleth',
      'https://idp.college-b.example/saml',
    ]);
    expect(error.hint).toMatch(/idpEntityId/);
  });

  it('picks one IdP from an aggregate, nested or not, with inherited validUntil and the innermost cacheDuration', () => {
    const xml = fixture('aggregate-two-idps.xml');
    const uni = parseIdpMetadata(xml, { now: NOW, idpEntityId: 'https://idp.uni-a.example/idp/shibboleth' });
    expect(uni.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([fingerprint('idp')]);
    expect(uni.ssoEndpoints).toEqual([
      { binding: 'post', location: 'https://idp.uni-a.example/idp/profile/SAML2/POST/SSO' },
      { binding: 'redirect', location: 'https://idp.uni-a.example/idp/profile/SAML2/Redirect/SSO' },
    ]);
    expect(uni.validUntil).toBe('2029-06-30T00:00:00.000Z');
    expect(uni.cacheDuration).toBe('PT1H');
    expect(uni.warnings.filter((w) => /not supported/.test(w))).toHaveLength(2);

    const college = parseIdpMetadata(xml, { now: NOW, idpEntityId: 'https://idp.college-b.example/saml' });
    expect(college.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([fingerprint('idp-next')]);
    expect(college.wantAuthnRequestsSigned).toBe(true);
    expect(college.validUntil).toBe('2030-01-01T00:00:00.000Z');
    expect(college.cacheDuration).toBe('PT6H');
    expect(college.warnings.some((w) => /SingleLogoutService/.test(w))).toBe(true);
  });

  it('refuses an entity that is not in the document, or that is an SP', () => {
    const xml = fixture('aggregate-two-idps.xml');
    const missing = errorOf(() => parseIdpMetadata(xml, { idpEntityId: 'https://nope.example' }));
    expect(missing).toMatchObject({
      code: 'SAML_METADATA_INVALID',
      details: { wanted: 'https://nope.example' },
    });
    expect(missing.details.entities).toHaveLength(2);
    expect(() => parseIdpMetadata(xml, { idpEntityId: 'https://sp.portal.example/shibboleth' })).toThrow(
      expect.objectContaining({ code: 'SAML_METADATA_INVALID' }),
    );
  });
});

describe('parseIdpMetadata: what makes metadata unusable', () => {
  const code = (c: string) => expect.objectContaining({ code: c });

  it('refuses SP metadata with a hint that says so', () => {
    const sp =
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>';
    const error = errorOf(() => parseIdpMetadata(sp));
    expect(error.code).toBe('SAML_METADATA_INVALID');
    expect(error.hint).toMatch(/Service Provider metadata/);
  });

  it('refuses a SAML 1.1-only IDPSSODescriptor', () => {
    const xml = buildIdpMetadata().replace(
      'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"',
      'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"',
    );
    expect(() => parseIdpMetadata(xml)).toThrow(code('SAML_METADATA_INVALID'));
  });

  it('refuses metadata without a signing certificate (encryption-only keys do not count)', () => {
    const cert = certificateBase64(testKeyPair('idp').certificatePem);
    const encryptionOnly = `<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    expect(() => parseIdpMetadata(buildIdpMetadata({ keys: '' }))).toThrow(code('SAML_METADATA_INVALID'));
    expect(() => parseIdpMetadata(buildIdpMetadata({ keys: encryptionOnly }))).toThrow(
      code('SAML_METADATA_INVALID'),
    );
    const noUse = encryptionOnly.replace(' use="encryption"', '');
    expect(parseIdpMetadata(buildIdpMetadata({ keys: noUse })).signingCertificates).toHaveLength(1);
  });

  it('refuses a certificate that is not X.509', () => {
    const broken =
      '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBroken==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>';
    expect(() => parseIdpMetadata(buildIdpMetadata({ keys: broken }))).toThrow(code('SAML_METADATA_INVALID'));
  });

  it('refuses metadata without an HTTP-Redirect or HTTP-POST SSO endpoint', () => {
    const soapOnly = `<md:SingleSignOnService Binding="${BINDING_URIS.soap}" Location="https://idp.example.com/soap"/>`;
    expect(() => parseIdpMetadata(buildIdpMetadata({ services: '' }))).toThrow(code('SAML_METADATA_INVALID'));
    expect(() => parseIdpMetadata(buildIdpMetadata({ services: soapOnly }))).toThrow(
      code('SAML_METADATA_INVALID'),
    );
  });

  it('never keeps a non-http endpoint (script injection through a form action or redirect)', () => {
    const services =
      `<md:SingleSignOnService Binding="${BINDING_URIS.post}" Location="javascript:alert(document.cookie)"/>` +
      `<md:SingleSignOnService Binding="${BINDING_URIS.redirect}" Location="https://idp.example.com/sso"/>` +
      `<md:SingleLogoutService Binding="${BINDING_URIS.redirect}" Location="https://idp.example.com/slo" ResponseLocation="data:text/html,x"/>`;
    const idp = parseIdpMetadata(buildIdpMetadata({ services }));
    expect(idp.ssoEndpoints).toEqual([{ binding: 'redirect', location: 'https://idp.example.com/sso' }]);
    expect(idp.sloEndpoints).toEqual([]);
    expect(idp.warnings.filter((w) => /http\(s\)/.test(w))).toHaveLength(2);
    expect(() =>
      parseIdpMetadata(
        buildIdpMetadata({
          services: `<md:SingleSignOnService Binding="${BINDING_URIS.post}" Location="javascript:x"/>`,
        }),
      ),
    ).toThrow(code('SAML_METADATA_INVALID'));
  });

  it('keeps a SingleLogoutService ResponseLocation', () => {
    const services =
      `<md:SingleSignOnService Binding="${BINDING_URIS.redirect}" Location="https://idp.example.com/sso"/>` +
      `<md:SingleLogoutService Binding="${BINDING_URIS.post}" Location="https://idp.example.com/slo" ResponseLocation="https://idp.example.com/slo/done"/>`;
    expect(parseIdpMetadata(buildIdpMetadata({ services })).sloEndpoints).toEqual([
      {
        binding: 'post',
        location: 'https://idp.example.com/slo',
        responseLocation: 'https://idp.example.com/slo/done',
      },
    ]);
  });

  it('refuses metadata past its validUntil (on the entity or its descriptor), relative to options.now', () => {
    const expired = buildIdpMetadata({ attrs: ' validUntil="2026-12-31T23:59:59Z"' });
    const error = errorOf(() => parseIdpMetadata(expired, { now: NOW }));
    expect(error).toMatchObject({
      code: 'SAML_METADATA_INVALID',
      details: { validUntil: '2026-12-31T23:59:59.000Z' },
    });
    expect(error.hint).toMatch(/fresh metadata/);
    expect(parseIdpMetadata(expired, { now: new Date('2026-12-31T00:00:00Z') }).validUntil).toBe(
      '2026-12-31T23:59:59.000Z',
    );
    // Without a clock there is nothing to compare with: the core never reads the time itself.
    expect(parseIdpMetadata(expired).validUntil).toBe('2026-12-31T23:59:59.000Z');
    const onDescriptor = buildIdpMetadata({ descriptorAttrs: ' validUntil="2026-06-01T00:00:00"' });
    expect(() => parseIdpMetadata(onDescriptor, { now: NOW })).toThrow(code('SAML_METADATA_INVALID'));
    const garbage = parseIdpMetadata(buildIdpMetadata({ attrs: ' validUntil="next tuesday"' }), { now: NOW });
    expect(garbage.validUntil).toBeUndefined();
    expect(garbage.warnings.some((w) => /validUntil/.test(w))).toBe(true);
  });

  it('warns about expired certificates but keeps them (rollover lists old ones)', () => {
    const idp = parseIdpMetadata(fixture('keycloak-realm.xml'), { now: new Date('2099-01-01T00:00:00Z') });
    expect(idp.signingCertificates).toHaveLength(2);
    expect(idp.warnings.filter((w) => /expired/.test(w))).toHaveLength(2);
  });
});

describe('parseIdpMetadata: hostile input', () => {
  const code = (c: string) => expect.objectContaining({ code: c });

  it('refuses a billion-laughs document before any entity is expanded', () => {
    expect(() => parseIdpMetadata(fixture('hostile-billion-laughs.xml'))).toThrow(code('SAML_DTD_FORBIDDEN'));
  });

  it('refuses an external-entity (XXE) document', () => {
    expect(() => parseIdpMetadata(fixture('hostile-xxe.xml'))).toThrow(code('SAML_DTD_FORBIDDEN'));
  });

  it('refuses text that is not XML, and XML that is not metadata', () => {
    expect(() => parseIdpMetadata('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')).toThrow(
      code('SAML_MALFORMED'),
    );
    expect(() => parseIdpMetadata('<html><body>Sign in</body></html>')).toThrow(
      code('SAML_METADATA_INVALID'),
    );
    expect(() => parseIdpMetadata('<EntityDescriptor entityID="x"/>')).toThrow(code('SAML_METADATA_INVALID'));
    expect(() => parseIdpMetadata(buildIdpMetadata().slice(0, -10))).toThrow(code('SAML_MALFORMED'));
  });

  it('refuses oversized documents', () => {
    const padded = buildIdpMetadata({ extra: `<!--${'x'.repeat(4096)}-->` });
    expect(() => parseIdpMetadata(padded, { maxBytes: 2048 })).toThrow(code('SAML_MESSAGE_TOO_LARGE'));
  });

  it('reads nested EntitiesDescriptors, and refuses nesting past the depth limit with a code (issue #9)', () => {
    const nested = (depth: number) =>
      `${'<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'.repeat(depth)}${buildIdpMetadata()}${'</EntitiesDescriptor>'.repeat(depth)}`;
    expect(parseIdpMetadata(nested(20)).entityId).toBe('https://idp.example.com/metadata');
    expect(() => parseIdpMetadata(nested(2000))).toThrow(
      expect.objectContaining({ code: 'SAML_XML_TOO_DEEP' }) as Error,
    );
  });
});
