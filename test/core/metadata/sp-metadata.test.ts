import * as samlify from 'samlify';
import { describe, expect, it } from 'vitest';
import { certificateBase64 } from '../../../src/core/keys.ts';
import { buildSpMetadata, SP_ENCRYPTION_METHODS } from '../../../src/core/metadata/sp-metadata.ts';
import { BINDING_URIS } from '../../../src/core/types.ts';
import { NAMEID_FORMATS, NS } from '../../../src/core/xml/namespaces.ts';
import { childElements, parseXml } from '../../../src/core/xml/parse.ts';
import { buildSp, testKeyPair } from '../sp-fixtures.ts';
import { xmlsecVerify } from '../xmlsec.ts';

const ENTITY = `${NS.metadata}:EntityDescriptor`;

describe('buildSpMetadata', () => {
  it('is signed so that xmlsec1 verifies it with the SP certificate', async () => {
    const sp = buildSp();
    const result = await xmlsecVerify(buildSpMetadata(sp), sp.signing.certificatePem, ENTITY);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('SignedInfo References (ok/all): 1/1');
  });

  it('fails xmlsec1 verification when one byte of the entityID changes after signing', async () => {
    const sp = buildSp({ entityId: 'https://sp.example.com/saml/metadata' });
    const xml = buildSpMetadata(sp);
    const tampered = xml.replace('entityID="https://sp.example.com/', 'entityID="https://sp.example.con/');
    expect(tampered).not.toBe(xml);
    const result = await xmlsecVerify(tampered, sp.signing.certificatePem, ENTITY);
    expect(result.ok).toBe(false);
  });

  it('is read correctly by samlify (an independent metadata parser)', () => {
    const signing = testKeyPair('sp');
    const encryption = testKeyPair('idp-next');
    const sp = buildSp({ signing, encryption });
    const parsed = samlify.ServiceProvider({ metadata: buildSpMetadata(sp) }).entityMeta;
    expect(parsed.getEntityID()).toBe(sp.entityId);
    expect(parsed.getAssertionConsumerService('post')).toBe(sp.acsUrl);
    expect(parsed.getSingleLogoutService('redirect')).toBe(sp.sloUrl);
    expect(parsed.getSingleLogoutService('post')).toBe(sp.sloUrl);
    expect(parsed.getX509Certificate('signing')).toBe(certificateBase64(signing.certificatePem));
    expect(parsed.getX509Certificate('encryption')).toBe(certificateBase64(encryption.certificatePem));
    expect(parsed.isWantAssertionsSigned()).toBe(true);
    expect(parsed.isAuthnRequestSigned()).toBe(true);
    expect(parsed.getNameIDFormat()).toEqual([
      NAMEID_FORMATS.emailAddress,
      NAMEID_FORMATS.persistent,
      NAMEID_FORMATS.unspecified,
    ]);
  });

  it('has the schema order, endpoints and algorithms IdPs expect', () => {
    const doc = parseXml(buildSpMetadata(buildSp(), { id: '_md1' }));
    const root = doc.documentElement!;
    expect(root.getAttribute('ID')).toBe('_md1');
    expect(root.firstChild?.localName).toBe('Signature');
    const [descriptor] = childElements(root, NS.metadata, 'SPSSODescriptor');
    expect(descriptor!.getAttribute('protocolSupportEnumeration')).toBe(NS.protocol);
    const names: string[] = [];
    for (let n = descriptor!.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) names.push(n.localName!);
    expect(names).toEqual([
      'KeyDescriptor',
      'KeyDescriptor',
      'SingleLogoutService',
      'SingleLogoutService',
      'NameIDFormat',
      'NameIDFormat',
      'NameIDFormat',
      'AssertionConsumerService',
    ]);
    const [signing, encryption] = childElements(descriptor!, NS.metadata, 'KeyDescriptor');
    expect(signing!.getAttribute('use')).toBe('signing');
    expect(childElements(signing!, NS.metadata, 'EncryptionMethod')).toHaveLength(0);
    expect(encryption!.getAttribute('use')).toBe('encryption');
    expect(
      childElements(encryption!, NS.metadata, 'EncryptionMethod').map((e) => e.getAttribute('Algorithm')),
    ).toEqual([...SP_ENCRYPTION_METHODS]);
    const [acs] = childElements(descriptor!, NS.metadata, 'AssertionConsumerService');
    expect(acs!.getAttribute('Binding')).toBe(BINDING_URIS.post);
    expect(acs!.getAttribute('index')).toBe('0');
    expect(acs!.getAttribute('isDefault')).toBe('true');
    expect(
      childElements(descriptor!, NS.metadata, 'SingleLogoutService').map((e) => e.getAttribute('Binding')),
    ).toEqual([BINDING_URIS.redirect, BINDING_URIS.post]);
  });

  it('applies options: flags, formats, validUntil, organization and contacts', async () => {
    const sp = buildSp();
    const xml = buildSpMetadata(sp, {
      wantAssertionsSigned: false,
      authnRequestsSigned: false,
      nameIdFormats: [NAMEID_FORMATS.persistent],
      validUntil: new Date('2027-01-01T00:00:00.500Z'),
      organization: { name: 'Acme <Corp>', url: 'https://acme.example' },
      contacts: [{ type: 'technical', givenName: 'Ops', emailAddress: 'ops@acme.example' }],
    });
    const root = parseXml(xml).documentElement!;
    expect(root.getAttribute('validUntil')).toBe('2027-01-01T00:00:00Z');
    const [descriptor] = childElements(root, NS.metadata, 'SPSSODescriptor');
    expect(descriptor!.getAttribute('WantAssertionsSigned')).toBe('false');
    expect(descriptor!.getAttribute('AuthnRequestsSigned')).toBe('false');
    expect(childElements(descriptor!, NS.metadata, 'NameIDFormat').map((e) => e.textContent)).toEqual([
      NAMEID_FORMATS.persistent,
    ]);
    const [org] = childElements(root, NS.metadata, 'Organization');
    expect(childElements(org!, NS.metadata, 'OrganizationName')[0]!.textContent).toBe('Acme <Corp>');
    const [contact] = childElements(root, NS.metadata, 'ContactPerson');
    expect(contact!.getAttribute('contactType')).toBe('technical');
    expect(childElements(contact!, NS.metadata, 'EmailAddress')[0]!.textContent).toBe(
      'mailto:ops@acme.example',
    );
    const verified = await xmlsecVerify(xml, sp.signing.certificatePem, ENTITY);
    expect(verified.ok, verified.output).toBe(true);
  });

  it('escapes values instead of letting them shape the XML', () => {
    const entityId = 'https://sp.example.com/?a=1&b="2"><md:Evil/>';
    const root = parseXml(buildSpMetadata(buildSp({ entityId }))).documentElement!;
    expect(root.getAttribute('entityID')).toBe(entityId);
    expect(root.getElementsByTagNameNS(NS.metadata, 'Evil')).toHaveLength(0);
  });

  it('refuses unusable SP settings as integrator errors', () => {
    const misuse = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => buildSpMetadata(buildSp({ entityId: '' }))).toThrow(misuse);
    expect(() => buildSpMetadata(buildSp({ acsUrl: '/saml/acs' }))).toThrow(misuse);
    expect(() => buildSpMetadata(buildSp({ sloUrl: 'javascript:alert(1)' }))).toThrow(misuse);
    expect(() => buildSpMetadata(buildSp({ entityId: 'https://sp.example.com/\u0001' }))).toThrow(misuse);
    expect(() =>
      buildSpMetadata(
        buildSp({ signing: { ...testKeyPair('sp'), certificatePem: testKeyPair('idp').certificatePem } }),
      ),
    ).toThrow(misuse);
  });
});
