/**
 * The SPs the development IdP serves, known only from their SP metadata XML. samlify reads that metadata, not our
 * own metadata code: if the SP's metadata builder emits something another implementation cannot read, sign-in
 * against the dev IdP fails, which is exactly what we want to learn early.
 */
import { XMLSerializer } from '@xmldom/xmldom';
import type { ServiceProviderInstance } from 'samlify';
import { BINDING_URIS } from '../core/types.ts';
import { NS } from '../core/xml/namespaces.ts';
import { childElements, parseXml } from '../core/xml/parse.ts';
import { configuredSamlify } from './samlify.ts';

/** One SP as the dev IdP sees it, read from its metadata. */
export interface KnownServiceProvider {
  entityId: string;
  /** HTTP-POST AssertionConsumerService URLs, the default one first. */
  acsUrls: string[];
  /** AuthnRequestsSigned="true" in the SP metadata: unsigned requests from this SP are refused. */
  authnRequestsSigned: boolean;
  /** The SP's encryption certificate (base64 DER), when its metadata has one. */
  encryptionCertificate?: string;
  /** samlify's entity for the SP, used to verify its AuthnRequests. */
  entity: ServiceProviderInstance;
  /**
   * One samlify entity per signing certificate, when the metadata publishes several (an SP key rollover: the
   * `next` certificate beside the `active` one). samlify verifies a redirect signature against one certificate
   * only, so the dev IdP tries each, as an IdP that honours every published signing key does.
   */
  signingEntities: ServiceProviderInstance[];
}

/** Where the dev IdP finds its SPs: the SP metadata documents, re-read on every lookup so SPs can come and go. */
export type ServiceProviderSource = () => Promise<string[]> | string[];

/** Looks SPs up by entityID. */
export interface ServiceProviderDirectory {
  find(entityId: string): Promise<KnownServiceProvider | undefined>;
}

interface SamlifyEndpoint {
  binding?: string;
  location?: string;
  isDefault?: string;
  index?: string;
}

/**
 * A directory over `source`. Parsed metadata is cached by its exact text, so re-reading an unchanged list costs a
 * map lookup; documents samlify cannot read are skipped with one warning each.
 */
export function createServiceProviderDirectory(source: ServiceProviderSource): ServiceProviderDirectory {
  let cache = new Map<string, KnownServiceProvider | Error>();
  return {
    async find(entityId) {
      const documents = await source();
      const next = new Map<string, KnownServiceProvider | Error>();
      for (const xml of documents) {
        let entry = cache.get(xml) ?? next.get(xml);
        if (!entry) {
          entry = readServiceProvider(xml);
          if (entry instanceof Error)
            console.warn(`dev IdP: skipping unreadable SP metadata: ${entry.message}`);
        }
        next.set(xml, entry);
      }
      cache = next;
      for (const entry of next.values()) {
        if (!(entry instanceof Error) && entry.entityId === entityId) return entry;
      }
      return undefined;
    },
  };
}

/** Reads one SP metadata document with samlify; an Error when it is unusable for the dev IdP. */
export function readServiceProvider(xml: string): KnownServiceProvider | Error {
  let encryptionCertificate: string | undefined;
  try {
    encryptionCertificate = encryptionCertificateOf(xml);
  } catch (cause) {
    return new Error(
      `it is not safe, well-formed XML (${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  let entity: ServiceProviderInstance;
  try {
    entity = configuredSamlify().ServiceProvider({ metadata: xml });
  } catch (cause) {
    return new Error(`samlify could not read it (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const meta = entity.entityMeta;
  const entityId = meta.getEntityID();
  if (typeof entityId !== 'string' || entityId === '') return new Error('it has no entityID');
  // Called without a binding, samlify returns every ACS endpoint (its typings only declare the one-binding form,
  // which keeps the *last* match rather than the default one).
  const allAcs = (meta.getAssertionConsumerService as (binding?: string) => unknown).call(meta);
  const acsUrls = postAcsUrls(allAcs);
  if (acsUrls.length === 0) return new Error(`${entityId} has no HTTP-POST AssertionConsumerService`);
  let signingEntities: ServiceProviderInstance[];
  try {
    const variants = oneSigningKeyEach(xml);
    signingEntities =
      variants.length > 1
        ? variants.map((v) => configuredSamlify().ServiceProvider({ metadata: v }))
        : [entity];
  } catch (cause) {
    return new Error(`samlify could not read it (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const sp: KnownServiceProvider = {
    entityId,
    acsUrls,
    authnRequestsSigned: meta.isAuthnRequestSigned(),
    entity,
    signingEntities,
  };
  if (encryptionCertificate) sp.encryptionCertificate = encryptionCertificate;
  return sp;
}

/**
 * Runs a samlify verification with each of the SP's signing entities until one passes; rethrows the last
 * failure when none does.
 */
export async function withAnySigningEntity<T>(
  sp: KnownServiceProvider,
  verify: (entity: ServiceProviderInstance) => Promise<T>,
): Promise<T> {
  let failure: unknown;
  for (const entity of sp.signingEntities) {
    try {
      return await verify(entity);
    } catch (cause) {
      failure = cause;
    }
  }
  throw failure;
}

/** Copies of the metadata that each keep one of its use="signing" KeyDescriptors (the document itself for one). */
function oneSigningKeyEach(xml: string): string[] {
  const signingOf = (doc: ReturnType<typeof parseXml>) =>
    childElements(doc.documentElement!, NS.metadata, 'SPSSODescriptor').flatMap((d) =>
      childElements(d, NS.metadata, 'KeyDescriptor').filter((k) => k.getAttribute('use') === 'signing'),
    );
  const count = signingOf(parseXml(xml, { what: 'SP metadata' })).length;
  if (count <= 1) return [xml];
  return Array.from({ length: count }, (_, keep) => {
    const doc = parseXml(xml, { what: 'SP metadata' });
    signingOf(doc).forEach((k, i) => {
      if (i !== keep) k.parentNode?.removeChild(k);
    });
    return new XMLSerializer().serializeToString(doc);
  });
}

/**
 * The first certificate of a KeyDescriptor with use="encryption" or no use. Read here rather than through samlify,
 * which treats a lone `use="signing"` certificate as an encryption key too.
 */
function encryptionCertificateOf(xml: string): string | undefined {
  const root = parseXml(xml, { what: 'SP metadata' }).documentElement;
  if (!root) return undefined;
  for (const descriptor of childElements(root, NS.metadata, 'SPSSODescriptor')) {
    for (const key of childElements(descriptor, NS.metadata, 'KeyDescriptor')) {
      const use = key.getAttribute('use');
      if (use && use !== 'encryption') continue;
      const info = childElements(key, NS.dsig, 'KeyInfo')[0];
      const data = info && childElements(info, NS.dsig, 'X509Data')[0];
      const cert = data && childElements(data, NS.dsig, 'X509Certificate')[0];
      const text = cert?.textContent?.replace(/\s+/g, '');
      if (text) return text;
    }
  }
  return undefined;
}

/** POST ACS locations in the order SAML metadata says to prefer them: isDefault, then lowest index, then order. */
function postAcsUrls(raw: unknown): string[] {
  const list = (Array.isArray(raw) ? raw : raw ? [raw] : []) as SamlifyEndpoint[];
  return list
    .map((e, position) => ({ e, position }))
    .filter(({ e }) => e.binding === BINDING_URIS.post && typeof e.location === 'string')
    .sort(
      (a, b) =>
        Number(b.e.isDefault === 'true') - Number(a.e.isDefault === 'true') ||
        Number(a.e.index ?? Number.MAX_SAFE_INTEGER) - Number(b.e.index ?? Number.MAX_SAFE_INTEGER) ||
        a.position - b.position,
    )
    .map(({ e }) => e.location as string);
}
