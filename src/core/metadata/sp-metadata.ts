/**
 * The SP's own metadata: what an IdP administrator uploads to configure the trust. It is signed, so an IdP
 * that verifies metadata can pin our certificate, and it lists the encryption algorithms we can decrypt so
 * IdPs that encrypt by default (ADFS) pick one we support (GCM first: CBC is malleable).
 */
import { signerOf } from '../crypto/signer.ts';
import { InvalidOptionError } from '../errors.ts';
import { certificateBase64 } from '../keys.ts';
import { pemOf } from '../request/bindings.ts';
import { BINDING_URIS, type SpIdentity } from '../types.ts';
import { NAMEID_FORMATS, NS } from '../xml/namespaces.ts';
import { type SigningAlgorithm, signXml, signXmlWith } from '../xml/sign.ts';
import { escapeXml, newSamlId, samlInstant } from '../xml/write.ts';

/** Encryption algorithms the SP can decrypt, strongest first, as advertised in the encryption KeyDescriptor. */
export const SP_ENCRYPTION_METHODS = [
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
] as const;

/** A `<md:ContactPerson>`. */
export interface SpContact {
  type: 'technical' | 'support' | 'administrative' | 'billing' | 'other';
  company?: string;
  givenName?: string;
  surName?: string;
  /** A plain address or a `mailto:` URI; written as `mailto:` as the schema's anyURI expects. */
  emailAddress?: string;
}

/** Options of {@link buildSpMetadata}. */
export interface SpMetadataOptions {
  /** Default: emailAddress, persistent, unspecified. */
  nameIdFormats?: string[];
  /** Default true: the SP wants every assertion signed. */
  wantAssertionsSigned?: boolean;
  /** Default true: the SP signs its AuthnRequests. Set false only if the connection does not sign them. */
  authnRequestsSigned?: boolean;
  /** Adds `validUntil`: IdPs that honour it stop trusting the document afterwards. */
  validUntil?: Date;
  organization?: { name: string; displayName?: string; url: string; lang?: string };
  contacts?: SpContact[];
  /** The EntityDescriptor ID (the signature reference). Default: a fresh random ID. */
  id?: string;
  /** Default 'rsa-sha256'. */
  algorithm?: SigningAlgorithm;
}

/**
 * Builds the SP's EntityDescriptor, signed with the SP signing key (RSA-SHA256, exclusive c14n, signature as
 * the first child). The result starts with an XML declaration and is ready to serve as
 * `application/samlmetadata+xml`.
 *
 * @example
 * ```ts
 * const xml = buildSpMetadata(sp, { contacts: [{ type: 'technical', emailAddress: 'ops@example.com' }] });
 * ```
 */
export function buildSpMetadata(sp: SpIdentity, options: SpMetadataOptions = {}): string {
  const { xml, id } = unsignedSpMetadata(sp, options);
  const signed = signXml(xml, {
    privateKeyPem: pemOf(sp.signing),
    certificatePem: sp.signing.certificatePem,
    referenceId: id,
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${signed}\n`;
}

/**
 * Like {@link buildSpMetadata}, signing through the SP signing key's {@link Signer} when it has one (a KMS,
 * another process) or its PEM key.
 *
 * @example
 * ```ts
 * const xml = await buildSpMetadataWith({ ...sp, signing: { certificatePem, signer } });
 * ```
 */
export async function buildSpMetadataWith(sp: SpIdentity, options: SpMetadataOptions = {}): Promise<string> {
  const { xml, id } = unsignedSpMetadata(sp, options);
  const signed = await signXmlWith(xml, {
    signer: signerOf(sp.signing),
    certificatePem: sp.signing.certificatePem,
    referenceId: id,
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${signed}\n`;
}

function unsignedSpMetadata(sp: SpIdentity, options: SpMetadataOptions): { xml: string; id: string } {
  if (!sp.entityId) throw new InvalidOptionError('buildSpMetadata: the SP entity ID is empty.');
  requireHttpUrl('acsUrl', sp.acsUrl);
  requireHttpUrl('sloUrl', sp.sloUrl);
  const id = options.id ?? newSamlId();
  const formats = options.nameIdFormats ?? [
    NAMEID_FORMATS.emailAddress,
    NAMEID_FORMATS.persistent,
    NAMEID_FORMATS.unspecified,
  ];
  const validUntil = options.validUntil ? ` validUntil="${samlInstant(options.validUntil)}"` : '';
  const e = escapeXml;

  const lines = [
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${e(sp.entityId)}" ID="${e(id)}"${validUntil}>`,
    `  <md:SPSSODescriptor protocolSupportEnumeration="${NS.protocol}" AuthnRequestsSigned="${options.authnRequestsSigned ?? true}" WantAssertionsSigned="${options.wantAssertionsSigned ?? true}">`,
    // During a key rollover the next key is published beside the active one (IdPs that read our metadata
    // trust it before we sign with it), and every non-retired encryption key (we decrypt with each).
    ...(sp.published?.signing ?? [sp.signing.certificatePem]).flatMap((pem) =>
      keyDescriptor('signing', pem, []),
    ),
    ...(sp.published?.encryption ?? [sp.encryption.certificatePem]).flatMap((pem) =>
      keyDescriptor('encryption', pem, SP_ENCRYPTION_METHODS),
    ),
    `    <md:SingleLogoutService Binding="${BINDING_URIS.redirect}" Location="${e(sp.sloUrl)}"/>`,
    `    <md:SingleLogoutService Binding="${BINDING_URIS.post}" Location="${e(sp.sloUrl)}"/>`,
    ...formats.map((format) => `    <md:NameIDFormat>${e(format)}</md:NameIDFormat>`),
    `    <md:AssertionConsumerService Binding="${BINDING_URIS.post}" Location="${e(sp.acsUrl)}" index="0" isDefault="true"/>`,
    '  </md:SPSSODescriptor>',
    ...organization(options.organization),
    ...(options.contacts ?? []).flatMap(contact),
    '</md:EntityDescriptor>',
  ];
  return { xml: lines.join('\n'), id };
}

function keyDescriptor(
  use: 'signing' | 'encryption',
  certificatePem: string,
  methods: readonly string[],
): string[] {
  return [
    `    <md:KeyDescriptor use="${use}">`,
    '      <ds:KeyInfo>',
    `        <ds:X509Data><ds:X509Certificate>${certificateBase64(certificatePem)}</ds:X509Certificate></ds:X509Data>`,
    '      </ds:KeyInfo>',
    ...methods.map((algorithm) => `      <md:EncryptionMethod Algorithm="${algorithm}"/>`),
    '    </md:KeyDescriptor>',
  ];
}

function organization(org: SpMetadataOptions['organization']): string[] {
  if (!org) return [];
  const lang = `xml:lang="${escapeXml(org.lang ?? 'en')}"`;
  return [
    '  <md:Organization>',
    `    <md:OrganizationName ${lang}>${escapeXml(org.name)}</md:OrganizationName>`,
    `    <md:OrganizationDisplayName ${lang}>${escapeXml(org.displayName ?? org.name)}</md:OrganizationDisplayName>`,
    `    <md:OrganizationURL ${lang}>${escapeXml(org.url)}</md:OrganizationURL>`,
    '  </md:Organization>',
  ];
}

function contact(c: SpContact): string[] {
  const email =
    c.emailAddress && (c.emailAddress.startsWith('mailto:') ? c.emailAddress : `mailto:${c.emailAddress}`);
  // Schema order: Company, GivenName, SurName, EmailAddress.
  const children = [
    ['Company', c.company],
    ['GivenName', c.givenName],
    ['SurName', c.surName],
    ['EmailAddress', email],
  ].flatMap(([name, value]) => (value ? [`    <md:${name}>${escapeXml(value)}</md:${name}>`] : []));
  return [`  <md:ContactPerson contactType="${escapeXml(c.type)}">`, ...children, '  </md:ContactPerson>'];
}

function requireHttpUrl(name: string, value: string): void {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new InvalidOptionError(`buildSpMetadata: ${name} must be an absolute http(s) URL, got "${value}".`);
  }
}
