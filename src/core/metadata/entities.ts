/**
 * Finding the IdP in a metadata document: the root may be one EntityDescriptor or an EntitiesDescriptor
 * aggregate (Keycloak wraps its single entity in one; federations nest them). Entities are walked without
 * recursion, since nesting depth is attacker-controlled, and one IdP is chosen by entity ID.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements } from '../xml/parse.ts';

/** What choosing an entity needs to know of it: its ID and its SAML 2.0 roles. */
export interface SelectableEntity {
  entityId: string;
  /** It has a SAML 2.0 IDPSSODescriptor. */
  idp: boolean;
  /** It has an SPSSODescriptor. */
  sp: boolean;
}

/** One EntityDescriptor and the EntitiesDescriptors around it (outermost first). */
export interface EntityCandidate extends SelectableEntity {
  element: Element;
  ancestors: Element[];
}

/** Every EntityDescriptor in the document, walking nested EntitiesDescriptors without recursion. */
export function collectEntities(root: Element): EntityCandidate[] {
  if (
    root.namespaceURI !== NS.metadata ||
    !['EntityDescriptor', 'EntitiesDescriptor'].includes(root.localName!)
  ) {
    throw metadataInvalid(
      `The document is not SAML metadata: its root element is <${root.nodeName}>.`,
      'Upload the SAML 2.0 metadata XML of the IdP (an <EntityDescriptor>), not a certificate, an HTML page or another protocol’s document.',
      { root: root.nodeName },
    );
  }
  const out: EntityCandidate[] = [];
  // Parent links instead of copied ancestor arrays: a hostile aggregate may nest thousands of levels deep.
  type Frame = { element: Element; parent: Frame | undefined };
  const stack: Frame[] = [{ element: root, parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.element.localName === 'EntityDescriptor') {
      const ancestors: Element[] = [];
      for (let p = frame.parent; p; p = p.parent) ancestors.unshift(p.element);
      out.push({
        element: frame.element,
        entityId: frame.element.getAttribute('entityID') ?? '',
        ancestors,
        idp: childElements(frame.element, NS.metadata, 'IDPSSODescriptor').some(supportsSaml2),
        sp: childElements(frame.element, NS.metadata, 'SPSSODescriptor').length > 0,
      });
      continue;
    }
    const children: Frame[] = [];
    for (let n = frame.element.firstChild; n; n = n.nextSibling) {
      const el = n as Element;
      if (n.nodeType !== 1 || el.namespaceURI !== NS.metadata) continue;
      if (el.localName === 'EntityDescriptor' || el.localName === 'EntitiesDescriptor') {
        children.push({ element: el, parent: frame });
      }
    }
    // Reversed onto the stack so entities come out in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

/** How many entity IDs an error message names; `details.entities` lists them all. */
const NAMED_IN_HINT = 10;

function listed(ids: string[]): string {
  if (ids.length === 0) return '(none)';
  const shown = ids.slice(0, NAMED_IN_HINT).join(', ');
  return ids.length > NAMED_IN_HINT
    ? `${shown} … and ${ids.length - NAMED_IN_HINT} more (details.entities)`
    : shown;
}

/**
 * Chooses the IdP entity: the one named `wanted`, else the only entity with a SAML 2.0 IDPSSODescriptor.
 * Several IdPs and no choice is an error whose `details.entities` lists them for the admin.
 */
export function selectEntity<T extends SelectableEntity>(entities: T[], wanted: string | undefined): T {
  const idps = entities.filter((e) => e.idp);
  const idpIds = idps.map((e) => e.entityId);
  if (wanted !== undefined) {
    const matches = entities.filter((e) => e.entityId === wanted);
    if (matches.length === 0) {
      throw metadataInvalid(
        `The metadata has no entity "${wanted}".`,
        `Pick one of the IdP entity IDs in the document: ${listed(idpIds)}.`,
        { entities: idpIds, wanted },
      );
    }
    if (matches.length > 1) {
      throw metadataInvalid(
        `The metadata lists the entity "${wanted}" ${matches.length} times.`,
        'An aggregate must name each entity once. Ask the federation operator, or upload that IdP’s own metadata.',
        { entities: idpIds, wanted },
      );
    }
    return matches[0]!;
  }
  if (idps.length === 1) return idps[0]!;
  if (idps.length > 1) {
    throw metadataInvalid(
      `The metadata describes ${idps.length} IdPs; choose one by its entity ID.`,
      'Set idpEntityId on the connection to the entity ID of the IdP to trust (listed in details.entities).',
      { entities: idpIds },
    );
  }
  const spOnly = entities.some((e) => e.sp);
  throw metadataInvalid(
    'The metadata has no SAML 2.0 IDPSSODescriptor.',
    spOnly
      ? 'This is Service Provider metadata. Upload the metadata of the identity provider (Okta, Entra ID, ADFS, Google, Keycloak …), not the SP’s own.'
      : 'Upload the SAML 2.0 IdP metadata. WS-Federation-only or SAML 1.1-only metadata cannot be used.',
    { entities: entities.map((e) => e.entityId) },
  );
}

/** The SAML 2.0 IDPSSODescriptor of the chosen entity. */
export function idpDescriptor(entity: EntityCandidate, warnings: string[]): Element {
  if (!entity.entityId) {
    throw metadataInvalid(
      'The EntityDescriptor has no entityID.',
      'The IdP metadata is broken; export it again.',
      {},
    );
  }
  const descriptors = childElements(entity.element, NS.metadata, 'IDPSSODescriptor').filter(supportsSaml2);
  if (descriptors.length === 0) {
    throw metadataInvalid(
      `The entity "${entity.entityId}" has no SAML 2.0 IDPSSODescriptor.`,
      'This entity is not a SAML 2.0 identity provider. Check the entity ID, or export the IdP metadata of the SAML application.',
      { entityId: entity.entityId },
    );
  }
  if (descriptors.length > 1) {
    warnings.push(`The entity has ${descriptors.length} SAML 2.0 IDPSSODescriptors; only the first is used.`);
  }
  return descriptors[0]!;
}

/** True when the role descriptor supports the SAML 2.0 protocol. */
export function supportsSaml2(descriptor: Element): boolean {
  return (descriptor.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(NS.protocol);
}

/** A SAML_METADATA_INVALID error with an admin hint. */
export function metadataInvalid(
  message: string,
  hint: string,
  details: Record<string, unknown>,
  cause?: unknown,
): SamlSpError {
  return new SamlSpError('SAML_METADATA_INVALID', message, { hint, details, cause });
}
