/**
 * Reading an IdP's metadata into the facts a connection needs: entity ID, SSO/SLO endpoints, signing
 * certificates, NameID formats.
 *
 * Real metadata is messier than the schema: Keycloak wraps its one entity in an EntitiesDescriptor, Entra
 * starts with a BOM and adds WS-Federation RoleDescriptors (with their own keys), ADFS puts an SPSSODescriptor
 * next to the IDPSSODescriptor, federations ship aggregates of many IdPs. Only the SAML 2.0 IDPSSODescriptor of
 * the chosen entity is read; everything else is ignored, but recorded in `facts` for the vendor lint
 * (lint.ts). With `options.signature`, the metadata's own signature must verify against a pinned certificate
 * (metadata-signature.ts) and only the signed bytes are read.
 */
import type { Element } from '@xmldom/xmldom';
import { describeCertificate } from '../keys.ts';
import { BINDING_URIS, type IdpCertificate, type IdpEndpoint, type SamlBinding } from '../types.ts';
import { NS } from '../xml/namespaces.ts';
import { assertSafeXmlText, checkedMaxDepth, childElements, parseXml } from '../xml/parse.ts';
import { excerptEntity } from './aggregate-scan.ts';
import { collectEntities, idpDescriptor, metadataInvalid, selectEntity } from './entities.ts';
import { assertHeapForWholeParse, DEFAULT_MAX_METADATA_BYTES, metadataTooLarge } from './limits.ts';
import {
  describeMetadataSignature,
  type MetadataSignatureOptions,
  verifyMetadataSignature,
} from './metadata-signature.ts';

export { DEFAULT_MAX_METADATA_BYTES } from './limits.ts';

/**
 * Above this size an aggregate is streamed and only the chosen entity becomes a DOM (aggregate-scan.ts);
 * below it the whole document is parsed, as small documents always were.
 */
export const EXCERPT_ABOVE_BYTES = 256 * 1024;

/** Options of {@link parseIdpMetadata}. */
export interface ParseIdpMetadataOptions {
  /** Which entity to read when the document holds several (an EntitiesDescriptor aggregate). */
  idpEntityId?: string;
  /** When given, an expired `validUntil` is refused and expired certificates produce warnings. */
  now?: Date;
  /**
   * Size limit in bytes. Default {@link DEFAULT_MAX_METADATA_BYTES} (1 MiB). A connection sets it from
   * `policy.metadataMaxBytes`; a larger document is refused with SAML_MESSAGE_TOO_LARGE.
   */
  maxBytes?: number;
  /** Deepest element nesting accepted. Default DEFAULT_MAX_XML_DEPTH (100). */
  maxDepth?: number;
  /**
   * An unsigned EntitiesDescriptor larger than this many bytes is streamed and only the chosen entity becomes a
   * DOM (aggregate-scan.ts); smaller documents, and any metadata with `signature`, are parsed whole. Default
   * {@link EXCERPT_ABOVE_BYTES} (256 KiB). Both ways read the same facts; `Infinity` always parses whole.
   */
  excerptAboveBytes?: number;
  /** Require the metadata to be signed by one of these pinned certificates (see metadata-signature.ts). */
  signature?: MetadataSignatureOptions;
}

/** What the document looked like around the IdP role: read by the vendor lint, never trusted for anything. */
export interface MetadataFacts {
  /** The text started with a UTF-8 byte-order mark (Entra ID does this). */
  byteOrderMark: boolean;
  /** How many EntityDescriptors the document holds (more than one: an aggregate). */
  entityCount: number;
  /**
   * The entity's other roles: `xsi:type` of each RoleDescriptor (WS-Federation in Entra and ADFS metadata) and
   * the local name of other role descriptors (an SPSSODescriptor next to the IdP one in ADFS).
   */
  otherRoles: string[];
  /** The signature on the document root, or on the entity inside an aggregate (unverified facts). */
  signed: boolean;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
}

/** The facts read from IdP metadata. */
export interface ParsedIdpMetadata {
  entityId: string;
  ssoEndpoints: IdpEndpoint[];
  sloEndpoints: IdpEndpoint[];
  signingCertificates: IdpCertificate[];
  nameIdFormats: string[];
  wantAuthnRequestsSigned: boolean;
  /** The earliest validUntil of the entity, its descriptor and enclosing EntitiesDescriptors (ISO). */
  validUntil?: string;
  /** The innermost cacheDuration (an xs:duration such as PT24H), as written. */
  cacheDuration?: string;
  /** Things an admin should know that do not prevent using the metadata. */
  warnings: string[];
  /** The subset of `warnings` that does not depend on `now` (certificate expiry is re-checked by the lint). */
  notes: string[];
  facts: MetadataFacts;
  /** Present when `options.signature` was given and the signature verified. */
  signature?: { certificateFingerprint: string; algorithm: string };
  /**
   * Set when the chosen entity was cut out of a large aggregate (aggregate-scan.ts): a small metadata document
   * holding that entity as received, inside its enclosing EntitiesDescriptors. A connection stores this instead
   * of the whole feed; parsing it again gives the same facts.
   */
  excerpt?: string;
}

const BINDING_BY_URI = new Map<string, SamlBinding>(
  Object.entries(BINDING_URIS).map(([name, uri]) => [uri, name as SamlBinding]),
);

/**
 * Parses IdP metadata (an EntityDescriptor, or an EntitiesDescriptor aggregate, nested or not). The XML passes
 * the safe parser first (size limit, no DTD, BOM stripped).
 *
 * Throws SAML_METADATA_INVALID (with a hint for the admin) when the document has no usable IdP: no
 * IDPSSODescriptor, several IdPs and no `idpEntityId` (then `details.entities` lists them), no signing
 * certificate, no HTTP-Redirect/POST SSO endpoint, or an expired `validUntil`. Parse-level problems keep their
 * own codes (SAML_MALFORMED, SAML_DTD_FORBIDDEN, SAML_MESSAGE_TOO_LARGE).
 *
 * @example
 * ```ts
 * const idp = parseIdpMetadata(xml, { now: new Date() });
 * idp.signingCertificates.map((c) => c.fingerprintSha256);
 * ```
 */
export function parseIdpMetadata(xml: string, options: ParseIdpMetadataOptions = {}): ParsedIdpMetadata {
  const what = 'IdP metadata';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_METADATA_BYTES;
  // Checked here rather than left to parseXml, so that the refusal names the connection setting to raise.
  const size = Buffer.byteLength(xml, 'utf8') - (xml.charCodeAt(0) === 0xfeff ? 3 : 0);
  if (size > maxBytes) throw metadataTooLarge(`The IdP metadata is ${size} bytes`, maxBytes, size);
  // A large unsigned aggregate: stream it and build a DOM of the chosen entity only. A pinned signature covers
  // the whole document, so signed metadata is always parsed (and verified) whole.
  const excerpt =
    size > (options.excerptAboveBytes ?? EXCERPT_ABOVE_BYTES) && !options.signature
      ? excerptEntity(
          assertSafeXmlText(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml, { what, maxBytes }),
          {
            idpEntityId: options.idpEntityId,
            maxDepth: checkedMaxDepth(options.maxDepth),
            what,
          },
        )
      : undefined;
  // Parsed whole (signed, or small): refused up front if the heap cannot hold it, rather than dying midway.
  if (!excerpt)
    assertHeapForWholeParse(xml, options.signature ? 'The signed IdP metadata' : 'The IdP metadata');
  const doc = parseXml(excerpt?.xml ?? xml, {
    what,
    maxBytes,
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    // Metadata is a document an admin imports, not a message; some federations add an <?xml-stylesheet?>.
    allowProcessingInstructions: true,
  });
  let root = doc.documentElement!;
  // Read from the document as received, before the verification below reduces it to its signed bytes (which
  // no longer hold their own Signature).
  const rootSignature = describeMetadataSignature(root);
  let signature: ParsedIdpMetadata['signature'];
  if (options.signature) {
    // One parse: the root is reduced in place to what the signature covers, not parsed again from it.
    const verified = verifyMetadataSignature(root, { ...options.signature, reduceInPlace: true });
    root = verified.root;
    signature = { certificateFingerprint: verified.certificateFingerprint, algorithm: verified.algorithm };
  }
  const entities = collectEntities(root);
  const entity = selectEntity(entities, excerpt?.entityId ?? options.idpEntityId);
  const warnings: string[] = [];
  const descriptor = idpDescriptor(entity, warnings);

  const certificateWarnings: string[] = [];
  const signingCertificates = signingCertificatesOf(descriptor, entity.entityId, options.now, {
    notes: warnings,
    clock: certificateWarnings,
  });
  const ssoEndpoints = endpoints(descriptor, 'SingleSignOnService', warnings);
  if (!ssoEndpoints.some((e) => e.binding === 'redirect' || e.binding === 'post')) {
    throw metadataInvalid(
      `The IdP "${entity.entityId}" has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.`,
      'The SP sends the browser to the IdP with HTTP-Redirect or HTTP-POST. Export the metadata of the SAML application again, or check that SAML SSO is enabled for it.',
      { entityId: entity.entityId, bindings: ssoEndpoints.map((e) => e.binding) },
    );
  }
  const sloEndpoints = endpoints(descriptor, 'SingleLogoutService', warnings);
  if (sloEndpoints.length === 0) {
    warnings.push(
      'The IdP lists no SingleLogoutService: sign-out will be local to this SP (no SAML single logout).',
    );
  }
  const nameIdFormats = [
    ...new Set(
      childElements(descriptor, NS.metadata, 'NameIDFormat').map((e) => e.textContent?.trim() ?? ''),
    ),
  ].filter((format) => format !== '');
  const wantSigned = descriptor.getAttribute('WantAuthnRequestsSigned');

  const chain = [...entity.ancestors, entity.element, descriptor];
  const validUntil = effectiveValidUntil(chain, warnings);
  if (validUntil && options.now && validUntil.getTime() <= options.now.getTime()) {
    throw metadataInvalid(
      `The IdP metadata expired at ${validUntil.toISOString()} (its validUntil).`,
      'Download fresh metadata from the IdP. Metadata past its validUntil must not be trusted: its keys may have been replaced.',
      { entityId: entity.entityId, validUntil: validUntil.toISOString(), now: options.now.toISOString() },
    );
  }
  const cacheDuration = chain
    .map((el) => el.getAttribute('cacheDuration'))
    .filter((value): value is string => !!value)
    .at(-1);

  return {
    entityId: entity.entityId,
    ssoEndpoints,
    sloEndpoints,
    signingCertificates,
    nameIdFormats,
    wantAuthnRequestsSigned: wantSigned === 'true' || wantSigned === '1',
    ...(validUntil ? { validUntil: validUntil.toISOString() } : {}),
    ...(cacheDuration ? { cacheDuration } : {}),
    warnings: [...certificateWarnings, ...warnings],
    notes: warnings,
    facts: {
      byteOrderMark: xml.charCodeAt(0) === 0xfeff,
      entityCount: excerpt?.entityCount ?? entities.length,
      otherRoles: otherRolesOf(entity.element, descriptor),
      ...(rootSignature.signed ? rootSignature : describeMetadataSignature(entity.element)),
    },
    ...(signature ? { signature } : {}),
    ...(excerpt ? { excerpt: excerpt.xml } : {}),
  };
}

/** The entity's role descriptors other than the IDPSSODescriptor in use, named for an admin. */
function otherRolesOf(entity: Element, used: Element): string[] {
  const roles: string[] = [];
  for (let n = entity.firstChild; n; n = n.nextSibling) {
    const el = n as Element;
    if (n.nodeType !== 1 || el === used || el.namespaceURI !== NS.metadata) continue;
    if (el.localName === 'RoleDescriptor') {
      roles.push(el.getAttributeNS(NS.xsi, 'type') || 'RoleDescriptor');
    } else if (el.localName?.endsWith('Descriptor') && el.localName !== 'KeyDescriptor') {
      roles.push(el.localName);
    }
  }
  return roles;
}

function signingCertificatesOf(
  descriptor: Element,
  entityId: string,
  now: Date | undefined,
  warnings: { notes: string[]; clock: string[] },
): IdpCertificate[] {
  const found = new Map<string, IdpCertificate>();
  for (const keyDescriptor of childElements(descriptor, NS.metadata, 'KeyDescriptor')) {
    const use = keyDescriptor.getAttribute('use');
    // No `use` means the key serves both purposes (metadata §2.4.1.1).
    if (use && use !== 'signing') continue;
    const certs = childElements(keyDescriptor, NS.dsig, 'KeyInfo')
      .flatMap((info) => childElements(info, NS.dsig, 'X509Data'))
      .flatMap((data) => childElements(data, NS.dsig, 'X509Certificate'));
    if (certs.length === 0)
      warnings.notes.push('A signing KeyDescriptor carries no X509Certificate; it was skipped.');
    for (const el of certs) {
      let cert: IdpCertificate;
      try {
        cert = describeCertificate(el.textContent ?? '');
      } catch (cause) {
        throw metadataInvalid(
          'A signing certificate in the IdP metadata is not a valid X.509 certificate.',
          'The metadata was probably truncated or edited by hand. Export it from the IdP again.',
          { entityId },
          cause,
        );
      }
      if (found.has(cert.fingerprintSha256)) continue;
      found.set(cert.fingerprintSha256, cert);
      if (now && Date.parse(cert.notAfter) <= now.getTime()) {
        warnings.clock.push(
          `Signing certificate ${cert.fingerprintSha256} (${cert.subject}) expired at ${cert.notAfter}. IdPs often keep old certificates listed during rollover; make sure the IdP signs with a current one.`,
        );
      } else if (now && Date.parse(cert.notBefore) > now.getTime()) {
        warnings.clock.push(
          `Signing certificate ${cert.fingerprintSha256} is not valid before ${cert.notBefore}.`,
        );
      }
    }
  }
  if (found.size === 0) {
    throw metadataInvalid(
      `The IdP "${entityId}" publishes no signing certificate.`,
      'The SP must know the IdP signing certificate to verify assertions. Export metadata that includes a <KeyDescriptor use="signing"> (or without "use") with an X509Certificate.',
      { entityId },
    );
  }
  return [...found.values()];
}

function endpoints(descriptor: Element, name: string, warnings: string[]): IdpEndpoint[] {
  const out: IdpEndpoint[] = [];
  for (const el of childElements(descriptor, NS.metadata, name)) {
    const bindingUri = el.getAttribute('Binding') ?? '';
    const binding = BINDING_BY_URI.get(bindingUri);
    if (!binding) {
      warnings.push(`${name} with binding ${bindingUri || '(none)'} is not supported and was skipped.`);
      continue;
    }
    const location = el.getAttribute('Location') ?? '';
    const responseLocation = el.getAttribute('ResponseLocation') || undefined;
    // These URLs end up in redirects and form actions: anything but http(s) would be a script injection.
    if (!isHttpUrl(location) || (responseLocation !== undefined && !isHttpUrl(responseLocation))) {
      warnings.push(`${name} "${location}" is not an absolute http(s) URL and was skipped.`);
      continue;
    }
    out.push({ binding, location, ...(responseLocation ? { responseLocation } : {}) });
  }
  return out;
}

function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:');
}

/** xs:dateTime; a value without a zone is read as UTC (the schema leaves it undefined; SAML says UTC). */
const XS_DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function effectiveValidUntil(chain: Element[], warnings: string[]): Date | undefined {
  let earliest: Date | undefined;
  for (const el of chain) {
    const raw = el.getAttribute('validUntil');
    if (!raw) continue;
    const value = raw.trim();
    const match = XS_DATE_TIME.exec(value);
    const date = match ? new Date(match[2] ? value : `${value}Z`) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      warnings.push(`validUntil "${raw}" is not an xs:dateTime and was ignored.`);
      continue;
    }
    if (!earliest || date < earliest) earliest = date;
  }
  return earliest;
}
