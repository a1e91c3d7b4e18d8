/**
 * The element content the SAML schemas allow, for the elements the SP reads: which children, in which
 * order, how many (saml-schema-protocol-2.0.xsd, saml-schema-assertion-2.0.xsd, xmldsig-core-schema.xsd,
 * xenc-schema.xsd). An element the schema does not allow where it stands is refused: a foreign element
 * among a Response's children, a second Status, an Assertion before the Status, text between elements, an
 * element inside a NameID. Vendor additions have one place in a protocol message, `<samlp:Extensions>`,
 * whose content is not checked.
 *
 * This is not a full schema validator: attributes, simple-type values and elements without an entry here
 * (AttributeValue, SubjectConfirmationData, KeyInfo, Advice, Extensions: `##any` or `##other` content) are
 * left alone. python3-saml validates against the same schemas, so an IdP that passes there passes here.
 */
import type { Element, Node } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from './namespaces.ts';

/** One step of a content model: one of `names` (namespace + local name), between min and max times. */
interface Particle {
  names: readonly string[];
  /** The same names as (namespace, local name) pairs, matched against a child without a key string. */
  pairs: readonly { ns: string; local: string }[];
  min: 0 | 1;
  max: 1 | typeof Number.POSITIVE_INFINITY;
}

/** Element-only content (a sequence of particles) or text-only content (no child elements). */
interface ContentModel {
  textOnly: boolean;
  sequence: readonly Particle[];
}

const P = (local: string) => `${NS.protocol} ${local}`;
const A = (local: string) => `${NS.assertion} ${local}`;
const DS = (local: string) => `${NS.dsig} ${local}`;
const XENC = (local: string) => `${NS.xenc} ${local}`;

const particle = (names: string[], min: 0 | 1, max: Particle['max']): Particle => ({
  names,
  pairs: names.map(split),
  min,
  max,
});
const one = (...names: string[]) => particle(names, 1, 1);
const optional = (...names: string[]) => particle(names, 0, 1);
const any = (...names: string[]) => particle(names, 0, Number.POSITIVE_INFINITY);
const some = (...names: string[]) => particle(names, 1, Number.POSITIVE_INFINITY);
const seq = (...sequence: Particle[]): ContentModel => ({ textOnly: false, sequence });
const TEXT: ContentModel = { textOnly: true, sequence: [] };

const IDENTIFIERS = [A('BaseID'), A('NameID'), A('EncryptedID')];
/** RequestAbstractType and StatusResponseType start alike. */
const MESSAGE_HEAD = [optional(A('Issuer')), optional(DS('Signature')), optional(P('Extensions'))];

/** The models, by "namespace localName" (as written; indexed by namespace then local name below). */
const MODEL_TABLE: readonly (readonly [string, ContentModel])[] = [
  // Protocol (saml-schema-protocol-2.0.xsd).
  [P('Response'), seq(...MESSAGE_HEAD, one(P('Status')), any(A('Assertion'), A('EncryptedAssertion')))],
  [P('LogoutResponse'), seq(...MESSAGE_HEAD, one(P('Status')))],
  [P('LogoutRequest'), seq(...MESSAGE_HEAD, one(...IDENTIFIERS), any(P('SessionIndex')))],
  [P('Status'), seq(one(P('StatusCode')), optional(P('StatusMessage')), optional(P('StatusDetail')))],
  [P('StatusCode'), seq(optional(P('StatusCode')))],
  [P('StatusMessage'), TEXT],
  [P('SessionIndex'), TEXT],
  // Assertions (saml-schema-assertion-2.0.xsd).
  [
    A('Assertion'),
    seq(
      one(A('Issuer')),
      optional(DS('Signature')),
      optional(A('Subject')),
      optional(A('Conditions')),
      optional(A('Advice')),
      any(A('Statement'), A('AuthnStatement'), A('AuthzDecisionStatement'), A('AttributeStatement')),
    ),
  ],
  [A('Issuer'), TEXT],
  [A('NameID'), TEXT],
  // The schema's choice (identifier, confirmations*) | confirmations+, read as one sequence.
  [A('Subject'), seq(optional(...IDENTIFIERS), any(A('SubjectConfirmation')))],
  [A('SubjectConfirmation'), seq(optional(...IDENTIFIERS), optional(A('SubjectConfirmationData')))],
  [
    A('Conditions'),
    seq(any(A('Condition'), A('AudienceRestriction'), A('OneTimeUse'), A('ProxyRestriction'))),
  ],
  [A('AudienceRestriction'), seq(some(A('Audience')))],
  [A('Audience'), TEXT],
  [A('AuthnStatement'), seq(optional(A('SubjectLocality')), one(A('AuthnContext')))],
  [
    A('AuthnContext'),
    seq(
      optional(A('AuthnContextClassRef')),
      optional(A('AuthnContextDecl'), A('AuthnContextDeclRef')),
      any(A('AuthenticatingAuthority')),
    ),
  ],
  [A('AuthnContextClassRef'), TEXT],
  [A('AttributeStatement'), seq(some(A('Attribute'), A('EncryptedAttribute')))],
  [A('Attribute'), seq(any(A('AttributeValue')))],
  [A('EncryptedAssertion'), seq(one(XENC('EncryptedData')), any(XENC('EncryptedKey')))],
  // Signatures (xmldsig-core-schema.xsd).
  [
    DS('Signature'),
    seq(one(DS('SignedInfo')), one(DS('SignatureValue')), optional(DS('KeyInfo')), any(DS('Object'))),
  ],
  [
    DS('SignedInfo'),
    seq(one(DS('CanonicalizationMethod')), one(DS('SignatureMethod')), some(DS('Reference'))),
  ],
  [DS('Reference'), seq(optional(DS('Transforms')), one(DS('DigestMethod')), one(DS('DigestValue')))],
  [DS('Transforms'), seq(some(DS('Transform')))],
  [DS('SignatureValue'), TEXT],
  [DS('DigestValue'), TEXT],
  [DS('X509Certificate'), TEXT],
  // Encryption (xenc-schema.xsd).
  [
    XENC('EncryptedData'),
    seq(
      optional(XENC('EncryptionMethod')),
      optional(DS('KeyInfo')),
      one(XENC('CipherData')),
      optional(XENC('EncryptionProperties')),
    ),
  ],
  [
    XENC('EncryptedKey'),
    seq(
      optional(XENC('EncryptionMethod')),
      optional(DS('KeyInfo')),
      one(XENC('CipherData')),
      optional(XENC('EncryptionProperties')),
      optional(XENC('ReferenceList')),
      optional(XENC('CarriedKeyName')),
    ),
  ],
  [XENC('CipherData'), seq(one(XENC('CipherValue'), XENC('CipherReference')))],
  [XENC('CipherValue'), TEXT],
];

/**
 * The models by namespace, then local name: found without building a key string per element (checking the
 * shape was 5% of a validation, most of it spent building "namespace local" keys for every element and
 * child; issue #16).
 */
const MODELS = new Map<string, Map<string, ContentModel>>();
for (const [key, model] of MODEL_TABLE) {
  const { ns, local } = split(key);
  let byLocal = MODELS.get(ns);
  if (!byLocal) {
    byLocal = new Map();
    MODELS.set(ns, byLocal);
  }
  byLocal.set(local, model);
}

function split(key: string): { ns: string; local: string } {
  const space = key.lastIndexOf(' ');
  return { ns: key.slice(0, space), local: key.slice(space + 1) };
}

function modelOf(el: Element): ContentModel | undefined {
  return MODELS.get(el.namespaceURI ?? '')?.get(el.localName ?? el.nodeName);
}

function matches(particle: Particle, el: Element): boolean {
  const pairs = particle.pairs;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    if (el.localName === pair.local && el.namespaceURI === pair.ns) return true;
  }
  return false;
}

function nextElement(n: Node | null): Element | null {
  while (n && n.nodeType !== 1) n = n.nextSibling;
  return n as Element | null;
}

/**
 * Checks every element of `root`'s subtree that has a content model. Iterative, so depth costs no stack.
 * Throws SAML_STRUCTURE_INVALID naming the element, its parent and what the schema allows there.
 *
 * @example
 * ```ts
 * checkSchemaShape(doc.documentElement!, 'LogoutRequest');
 * ```
 */
export function checkSchemaShape(root: Element, what: string): void {
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    checkElementShape(el, what);
    for (let n = el.lastChild; n; n = n.previousSibling) if (n.nodeType === 1) stack.push(n as Element);
  }
}

/**
 * Checks the children of one element against its content model (no-op for an element without one).
 *
 * @example
 * ```ts
 * checkElementShape(responseElement, 'SAML response');
 * ```
 */
export function checkElementShape(el: Element, what: string): void {
  const model = modelOf(el);
  if (!model) return;
  // Two walks over the child list, no arrays: text first (its refusal comes first), then the sequence.
  if (model.textOnly) {
    const found = nextElement(el.firstChild);
    if (found) {
      throw shapeError(what, el, `contains <${found.tagName}>; the schema allows only text here`, {
        found: found.tagName,
      });
    }
    return;
  }
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if ((n.nodeType === 3 || n.nodeType === 4) && !isBlank(n)) {
      throw shapeError(what, el, `carries text ("${excerpt(n)}") where the schema allows only elements`, {
        text: excerpt(n),
      });
    }
  }
  let child = nextElement(el.firstChild);
  let before: Element | null = null;
  const sequence = model.sequence;
  for (let index = 0; index < sequence.length; index++) {
    const particle = sequence[index]!;
    let count = 0;
    while (child && count < particle.max && matches(particle, child)) {
      before = child;
      child = nextElement(child.nextSibling);
      count++;
    }
    if (count < particle.min) {
      throw shapeError(
        what,
        el,
        child
          ? `has <${child.tagName}> where the schema requires ${names(particle.names)}`
          : `lacks ${names(particle.names)}, which the schema requires`,
        {
          expected: particle.names.map(display),
          found: child ? display(keyOf(child)) : null,
          position: index,
        },
      );
    }
  }
  if (child) {
    throw shapeError(
      what,
      el,
      `has <${child.tagName}>${before ? ` after <${before.tagName}>` : ' as its first child'}, where the schema does not allow it`,
      { found: display(keyOf(child)), after: before ? display(keyOf(before)) : null },
    );
  }
}

function keyOf(el: Element): string {
  return `${el.namespaceURI ?? ''} ${el.localName ?? el.nodeName}`;
}

/** "{namespace}local", the form the details carry. */
function display(key: string): string {
  const space = key.lastIndexOf(' ');
  return `{${key.slice(0, space)}}${key.slice(space + 1)}`;
}

const PREFIXES: Readonly<Record<string, string>> = {
  [NS.protocol]: 'samlp',
  [NS.assertion]: 'saml',
  [NS.dsig]: 'ds',
  [NS.xenc]: 'xenc',
};

function names(keys: readonly string[]): string {
  const shown = keys.map((key) => {
    const space = key.lastIndexOf(' ');
    return `<${PREFIXES[key.slice(0, space)] ?? '?'}:${key.slice(space + 1)}>`;
  });
  return shown.length === 1 ? shown[0]! : `one of ${shown.join(', ')}`;
}

function isBlank(n: Node): boolean {
  const text = n.nodeValue ?? '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

function excerpt(n: Node): string {
  return (n.nodeValue ?? '').trim().slice(0, 40);
}

function shapeError(
  what: string,
  el: Element,
  problem: string,
  details: Record<string, unknown>,
): SamlSpError {
  const parent =
    el.parentNode && el.parentNode.nodeType === 1 ? ` in <${(el.parentNode as Element).tagName}>` : '';
  return new SamlSpError('SAML_STRUCTURE_INVALID', `In the ${what}, <${el.tagName}>${parent} ${problem}.`, {
    hint: 'The SAML schema fixes which elements a message carries and in which order; vendor additions belong in <samlp:Extensions>. A genuine IdP sends schema-valid messages, so this one was altered or built by hand. If your IdP really sends it, report it to the IdP vendor with the message.',
    details: { element: display(keyOf(el)), ...details },
  });
}
