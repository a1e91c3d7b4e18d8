/**
 * Picking one entity out of a federation aggregate before building a DOM.
 *
 * A federation feed (eduGAIN, InCommon, a national federation) holds thousands of EntityDescriptors; an SP
 * trusts one IdP of them. Building the whole DOM with xmldom costs about 100 ms per megabyte (1.5 to 2 s for a
 * 15 MB, 10,000-entity feed on a loaded machine), and all but one entity is thrown away. Here the whole text is
 * checked by a strict, namespace-aware SAX parser (saxes: XML 1.0 well-formedness, namespace well-formedness,
 * no undefined entity, one root), the element depth is capped while it streams, and the chosen
 * EntityDescriptor is cut out by its offsets in the text. The excerpt, that entity's bytes exactly as received
 * inside copies of the start tags of its enclosing EntitiesDescriptors (their namespace declarations, Name,
 * validUntil and cacheDuration) and the root's own Signature (read only for the vendor lint), then goes
 * through the same `parseXml` and the same readers as any metadata. Strictness is kept: the DTD and character
 * checks run on the whole text first, the whole text must be well-formed, and the depth cap holds everywhere.
 *
 * The excerpt is also what a connection stores: a 15 MB aggregate kept in the connection record would be read
 * (and JSON-parsed) again by every sign-in.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { metadataInvalid, type SelectableEntity, selectEntity } from './entities.ts';

/** One enclosing EntitiesDescriptor: the text of its start tag and its qualified name. */
interface Group {
  startTag: string;
  name: string;
  parent: Group | undefined;
}

/** One EntityDescriptor found while streaming, with its place in the text. */
interface ScannedEntity extends SelectableEntity {
  start: number;
  end: number;
  group: Group | undefined;
}

/** The chosen entity, ready for the DOM readers. */
export interface EntityExcerpt {
  /** A small, complete metadata document: the chosen entity inside its enclosing EntitiesDescriptors. */
  xml: string;
  entityId: string;
  /** How many EntityDescriptors the whole document holds. */
  entityCount: number;
}

/** Options of {@link excerptEntity}. */
export interface ExcerptOptions {
  idpEntityId?: string | undefined;
  /** Deepest element nesting accepted in the whole document. */
  maxDepth: number;
  what: string;
}

interface Frame {
  uri: string;
  local: string;
  /** Set for an EntitiesDescriptor on the entity path (root, or inside another one). */
  group?: Group;
  entity?: ScannedEntity;
  /** The root's ds:Signature. */
  signature?: true;
}

/**
 * Streams `xml` (already through assertSafeXmlText: size, no DTD, legal characters) and returns the chosen
 * entity as a small document. Returns undefined when the root is not an EntitiesDescriptor (a single
 * EntityDescriptor is parsed whole, as always).
 *
 * Throws SAML_MALFORMED for text that is not well-formed anywhere, SAML_XML_TOO_DEEP past `maxDepth`, and the
 * selection errors of {@link selectEntity} (SAML_METADATA_INVALID listing the IdPs) exactly as the DOM path.
 *
 * @example
 * ```ts
 * const excerpt = excerptEntity(feedXml, { idpEntityId: 'https://idp.example.edu/idp/shibboleth', maxDepth: 100, what: 'IdP metadata' });
 * parseIdpMetadata(excerpt.xml, { idpEntityId: excerpt.entityId });
 * ```
 */
export function excerptEntity(xml: string, options: ExcerptOptions): EntityExcerpt | undefined {
  const entities: ScannedEntity[] = [];
  const stack: Frame[] = [];
  let rootIsAggregate = false;
  let tagStart = -1;
  let signature: { start: number; end: number } | undefined;
  let refusal: SamlSpError | undefined;
  const parser = new SaxesParser({ xmlns: true, position: true });

  parser.on('opentagstart', (tag) => {
    // The parser stands one character past the name ("<name" then a space, '>' or '/').
    tagStart = parser.position - tag.name.length - 2;
    if (stack.length + 1 > options.maxDepth) {
      refusal = tooDeep(options);
      throw refusal;
    }
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const parent = stack.at(-1);
    const frame: Frame = { uri: tag.uri, local: tag.local };
    const onEntityPath = parent === undefined || parent.group !== undefined;
    if (tag.uri === NS.metadata && onEntityPath) {
      if (xml.charCodeAt(tagStart) !== 0x3c || !xml.startsWith(tag.name, tagStart + 1)) {
        throw new Error(`excerptEntity: lost the offset of <${tag.name}> (at ${tagStart}).`);
      }
      if (tag.local === 'EntitiesDescriptor') {
        if (parent === undefined) rootIsAggregate = true;
        frame.group = {
          startTag: tag.isSelfClosing ? '' : xml.slice(tagStart, parser.position),
          name: tag.name,
          parent: parent?.group,
        };
      } else if (tag.local === 'EntityDescriptor') {
        const entity: ScannedEntity = {
          entityId: attribute(tag, 'entityID'),
          idp: false,
          sp: false,
          start: tagStart,
          end: -1,
          group: parent?.group,
        };
        frame.entity = entity;
        entities.push(entity);
      }
    } else if (parent?.entity && tag.uri === NS.metadata) {
      const protocols = attribute(tag, 'protocolSupportEnumeration').split(/\s+/);
      if (tag.local === 'IDPSSODescriptor' && protocols.includes(NS.protocol)) parent.entity.idp = true;
      if (tag.local === 'SPSSODescriptor') parent.entity.sp = true;
    } else if (stack.length === 1 && tag.uri === NS.dsig && tag.local === 'Signature' && !signature) {
      frame.signature = true;
      signature = { start: tagStart, end: -1 };
    }
    stack.push(frame);
  });
  parser.on('closetag', () => {
    const frame = stack.pop();
    if (frame?.entity) frame.entity.end = parser.position;
    if (frame?.signature && signature) signature.end = parser.position;
  });
  parser.on('doctype', () => {
    throw new SamlSpError('SAML_DTD_FORBIDDEN', `The ${options.what} contains a DOCTYPE declaration.`, {
      hint: 'SAML metadata never carries a DTD. This is either broken metadata or an XML injection attempt (XXE, entity expansion).',
    });
  });

  try {
    parser.write(xml).close();
  } catch (cause) {
    if (refusal) throw refusal;
    if (cause instanceof SamlSpError) throw cause;
    if (cause instanceof Error && cause.message.startsWith('excerptEntity:')) throw cause;
    throw new SamlSpError(
      'SAML_MALFORMED',
      `The ${options.what} is not well-formed XML: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        hint: 'Check that the whole document arrived (a truncated download is the usual cause) and that it is XML.',
        cause,
      },
    );
  }
  if (!rootIsAggregate) return undefined;

  const chosen = selectEntity(entities, options.idpEntityId);
  if (!chosen.entityId) {
    throw metadataInvalid(
      'The EntityDescriptor has no entityID.',
      'The IdP metadata is broken; export it again.',
      {},
    );
  }
  const groups: Group[] = [];
  for (let g = chosen.group; g; g = g.parent) groups.unshift(g);
  const rootSignature = signature && signature.end > 0 ? xml.slice(signature.start, signature.end) : '';
  const parts = [
    ...groups.map((g, i) => (i === 0 ? `${g.startTag}${rootSignature}` : g.startTag)),
    xml.slice(chosen.start, chosen.end),
    ...groups.reverse().map((g) => `</${g.name}>`),
  ];
  return { xml: parts.join(''), entityId: chosen.entityId, entityCount: entities.length };
}

function attribute(tag: SaxesTagNS, local: string): string {
  // Unprefixed attributes have no namespace; saxes keys them by their qualified name.
  const attr = tag.attributes[local];
  return attr && attr.uri === '' ? attr.value : '';
}

function tooDeep({ what, maxDepth }: ExcerptOptions): SamlSpError {
  return new SamlSpError(
    'SAML_XML_TOO_DEEP',
    `The ${what} nests elements more than ${maxDepth} levels deep.`,
    {
      hint: `Federation metadata is about 12 levels deep. This document was refused while reading, at level ${maxDepth + 1}: it is either broken or built to exhaust the parser.`,
      details: { maxDepth },
    },
  );
}
