/**
 * The structure-aware mutations of the fuzzer (issue #9, item 10).
 *
 * A mutation plan is plain data drawn by fast-check (so that it shrinks and prints): up to four DOM edits on
 * the parsed seed (remove, duplicate, move, wrap, unwrap, rename, attributes, namespace declarations,
 * comments, processing instructions, text, foreign fragments, signature-wrapping moves), then at most one
 * edit of the serialised text (truncation, character references, declarations, huge lengths, deep nesting,
 * injected markup). Every pick is a natural number taken modulo what the document offers, so a plan applies
 * to any seed. The transport encoding (base64 variants, UTF-16, Latin-1) is the target's business (targets.ts).
 */
import { DOMParser, type Document, type Element, type Node, XMLSerializer } from '@xmldom/xmldom';
import fc from 'fast-check';
import { NS } from '../../src/core/xml/namespaces.ts';
import { REQUEST_ID } from '../fixtures/build-response.ts';

/** A request ID the attacker started in their own browser: outstanding, but no genuine IdP message names it. */
export const ATTACKER_REQUEST_ID = '_attacker0123456789abcdef0123456789abcdef';
export const EVIL = 'evil@attacker.example';

const FUZZ_NS = 'urn:fuzz:foreign';
const QNAMES: readonly [ns: string | null, qname: string][] = [
  [NS.protocol, 'samlp:Response'],
  [NS.assertion, 'saml:Assertion'],
  [NS.assertion, 'saml2:Assertion'],
  [NS.protocol, 'samlp:Assertion'],
  [null, 'Assertion'],
  [NS.assertion, 'saml:Issuer'],
  [NS.assertion, 'saml:NameID'],
  [NS.assertion, 'saml:Subject'],
  [NS.assertion, 'saml:Attribute'],
  [NS.assertion, 'saml:AttributeValue'],
  [NS.assertion, 'saml:EncryptedAssertion'],
  [NS.assertion, 'saml:Advice'],
  [NS.protocol, 'samlp:Extensions'],
  [NS.protocol, 'samlp:LogoutRequest'],
  [NS.protocol, 'samlp:LogoutResponse'],
  [NS.protocol, 'samlp:SessionIndex'],
  [NS.dsig, 'ds:Signature'],
  [NS.dsig, 'ds:Object'],
  [NS.dsig, 'ds:SignedInfo'],
  [NS.dsig, 'ds:Reference'],
  [NS.dsig, 'dsig:Signature'],
  [NS.soap, 'soap:Body'],
  [NS.metadata, 'md:EntityDescriptor'],
  [NS.metadata, 'md:IDPSSODescriptor'],
  [NS.metadata, 'md:KeyDescriptor'],
  [NS.metadata, 'md:SingleSignOnService'],
  [FUZZ_NS, 'f:Wrapper'],
  [FUZZ_NS, 'saml:Assertion'],
];

/** The first HOT_ATTRIBUTES names and HOT_VALUES values are drawn as often as all the others together. */
const HOT_ATTRIBUTES = 6;
const HOT_VALUES = 6;
const ATTRIBUTE_NAMES = [
  'InResponseTo',
  'ID',
  'Destination',
  'Recipient',
  'NotOnOrAfter',
  'URI',
  'Id',
  'id',
  'NotBefore',
  'IssueInstant',
  'Version',
  'Format',
  'Algorithm',
  'Method',
  'Name',
  'entityID',
  'Location',
  'Binding',
  'use',
  'validUntil',
  'Value',
  'SessionIndex',
  'PrefixList',
  'xsi:type',
  'xsi:nil',
  'xml:space',
  'Reason',
  'NameQualifier',
  'SPNameQualifier',
  'WantAuthnRequestsSigned',
  'Address',
] as const;

const VALUES = [
  REQUEST_ID,
  ATTACKER_REQUEST_ID,
  '_assert-2b8e4f6a0c1d3e5f7a9b',
  '#_assert-2b8e4f6a0c1d3e5f7a9b',
  '_resp-7f3a9c2e8b1d4f60a5e7',
  'https://sp.example.com/saml/acme/acs',
  '',
  ' ',
  EVIL,
  'urn:fuzz:evil',
  '2.0',
  '1.1',
  '#',
  '#_evil',
  '2000-01-01T00:00:00Z',
  '2999-12-31T23:59:59Z',
  '2027-03-01T12:00:00Z',
  'not a date',
  '-1',
  '0',
  'true',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'http://www.w3.org/2000/09/xmldsig#sha1',
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'urn:oasis:names:tc:SAML:2.0:status:Responder',
  'https://sp.example.com/saml/acme/slo',
  'https://sp.example.com',
  'https://idp.example.com/saml/metadata',
  'saml xs xsi #default',
  'xs:string',
  'xs:base64Binary',
  'ｅｖｉｌ',
  'a\tb\nc',
  'x'.repeat(5000),
] as const;

const NAMESPACE_URIS = [
  NS.assertion,
  NS.protocol,
  NS.dsig,
  NS.metadata,
  NS.xenc,
  FUZZ_NS,
  'urn:oasis:names:tc:SAML:1.0:assertion',
  'http://www.w3.org/2000/09/xmldsig',
  '',
] as const;
const PREFIXES = ['saml', 'samlp', 'ds', 'md', 'xs', 'xsi', 'f', 'saml2', 'xenc'] as const;

const TEXTS = [
  EVIL,
  '',
  ' ',
  'alice@example.com',
  'alice@example.com.evil',
  'admins',
  'root',
  ']]>',
  '\u00a0',
  '\u200b',
  'A'.repeat(4000),
  'é',
  '\ud83d\udd10',
  'a\r\nb',
] as const;

const MARKUP = [
  '<!---->',
  '<!-- x -->',
  '<?fuzz x?>',
  '<![CDATA[evil]]>',
  '&amp;',
  '&lt;',
  '&#x41;',
  '&#0;',
  '&#xD800;',
  '&unknown;',
  '&lt;!--',
  '\u0000',
  '\ufffe',
  'evil',
  '<x/>',
  '<f:x xmlns:f="urn:fuzz"/>',
  ']]>',
  '<',
  '&',
  '<!DOCTYPE x [<!ENTITY e "x">]>',
  '&e;',
  '<!ENTITY e SYSTEM "file:///etc/passwd">',
  `<saml:NameID xmlns:saml="${NS.assertion}">${EVIL}</saml:NameID>`,
  `<saml:Assertion xmlns:saml="${NS.assertion}" ID="_evil" Version="2.0" IssueInstant="2027-03-01T12:00:00Z"><saml:Issuer>https://idp.example.com/saml/metadata</saml:Issuer><saml:Subject><saml:NameID>${EVIL}</saml:NameID></saml:Subject></saml:Assertion>`,
  '<?xml version="1.0"?>',
  '\r\n',
  '\t',
] as const;

const DECLARATIONS = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<?xml version="1.0" encoding="UTF-16"?>',
  '<?xml version="1.1"?>',
  '<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>',
  '\ufeff',
  ' \n',
  '<!-- lead -->',
  '<?xml-stylesheet href="x"?>',
  '<?xml version="1.0"?><?xml version="1.0"?>',
] as const;

/** One edit of the parsed document. Indexes are taken modulo what the document holds. */
export type DomMutation =
  | { op: 'remove' | 'duplicate' | 'unwrap'; at: Pick }
  | { op: 'move'; at: Pick; to: Pick; position: number }
  | { op: 'wrap' | 'rename'; at: Pick; name: number }
  | { op: 'setAttribute'; at: Pick; name: number; value: number }
  | { op: 'removeAttribute'; at: Pick; index: number }
  | { op: 'declareNamespace'; at: Pick; prefix: number; uri: number }
  | { op: 'insertNode'; at: Pick; position: number; kind: 'comment' | 'pi' | 'cdata' | 'text'; text: number }
  | { op: 'splitText'; text: number; offset: number; kind: 'comment' | 'pi' | 'cdata' }
  | { op: 'setText'; at: Pick; text: number }
  | { op: 'insertMarkup'; at: Pick; position: number; markup: number }
  | { op: 'wrapSigned'; variant: number; keepId: boolean; keepSignature: boolean };

/** Which element a DOM edit touches: biased towards the root and the signed elements, where attacks live. */
export interface Pick {
  role: 'root' | 'signed' | 'any';
  index: number;
}

/** One edit of the serialised text. */
export type TextMutation =
  | { op: 'truncate'; at: number }
  | { op: 'characterReference'; at: number; hex: boolean }
  | { op: 'declaration'; declaration: number }
  | { op: 'insert'; at: number; markup: number }
  | { op: 'pad'; at: number; length: number; char: ' ' | 'A' | '\n' }
  | { op: 'nest'; at: number; depth: number; where: 'anywhere' | 'SignedInfo' | 'root' }
  | { op: 'copySlice'; from: number; length: number; to: number };

export interface MutationPlan {
  dom: DomMutation[];
  text?: TextMutation;
}

const nat = fc.nat({ max: 1_000_000 });
const pick: fc.Arbitrary<Pick> = fc.record({
  role: fc.constantFrom<Pick['role']>('root', 'signed', 'any', 'any'),
  index: nat,
});
const indexOf = (list: readonly unknown[]) => fc.nat({ max: list.length - 1 });

const domMutation: fc.Arbitrary<DomMutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('remove', 'duplicate', 'unwrap'), at: pick }),
  fc.record({ op: fc.constant('move'), at: pick, to: pick, position: nat }),
  fc.record({ op: fc.constantFrom('wrap', 'rename'), at: pick, name: indexOf(QNAMES) }),
  fc.record({
    op: fc.constant('setAttribute'),
    at: pick,
    // Half the time one of the attributes that bind a message to a request, a key or an endpoint.
    name: fc.oneof(fc.nat({ max: HOT_ATTRIBUTES - 1 }), indexOf(ATTRIBUTE_NAMES)),
    value: fc.oneof(fc.nat({ max: HOT_VALUES - 1 }), indexOf(VALUES)),
  }),
  fc.record({ op: fc.constant('removeAttribute'), at: pick, index: nat }),
  fc.record({
    op: fc.constant('declareNamespace'),
    at: pick,
    prefix: indexOf(PREFIXES),
    uri: indexOf(NAMESPACE_URIS),
  }),
  fc.record({
    op: fc.constant('insertNode'),
    at: pick,
    position: nat,
    kind: fc.constantFrom('comment', 'pi', 'cdata', 'text'),
    text: indexOf(TEXTS),
  }),
  fc.record({
    op: fc.constant('splitText'),
    text: nat,
    offset: nat,
    kind: fc.constantFrom('comment', 'pi', 'cdata'),
  }),
  fc.record({ op: fc.constant('setText'), at: pick, text: indexOf(TEXTS) }),
  fc.record({ op: fc.constant('insertMarkup'), at: pick, position: nat, markup: indexOf(MARKUP) }),
  fc.record({
    op: fc.constant('wrapSigned'),
    variant: fc.nat({ max: 7 }),
    keepId: fc.boolean(),
    keepSignature: fc.boolean(),
  }),
) as fc.Arbitrary<DomMutation>;

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate'), at: nat }),
  fc.record({ op: fc.constant('characterReference'), at: nat, hex: fc.boolean() }),
  fc.record({ op: fc.constant('declaration'), declaration: indexOf(DECLARATIONS) }),
  fc.record({ op: fc.constant('insert'), at: nat, markup: indexOf(MARKUP) }),
  fc.record({
    op: fc.constant('pad'),
    at: nat,
    // Mostly small, sometimes around and beyond the 256 KiB message limit.
    length: fc.oneof(fc.nat({ max: 2_000 }), fc.integer({ min: 200_000, max: 400_000 })),
    char: fc.constantFrom<' ' | 'A' | '\n'>(' ', 'A', '\n'),
  }),
  fc.record({
    op: fc.constant('nest'),
    at: nat,
    depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1_000, max: 40_000 })),
    where: fc.constantFrom<'anywhere' | 'SignedInfo' | 'root'>('anywhere', 'SignedInfo', 'root'),
  }),
  fc.record({ op: fc.constant('copySlice'), from: nat, length: fc.nat({ max: 4_000 }), to: nat }),
) as fc.Arbitrary<TextMutation>;

/** A mutation plan: zero to four DOM edits, and a text edit two times in five. */
export const mutationPlan: fc.Arbitrary<MutationPlan> = fc
  .record({
    dom: fc.array(domMutation, { minLength: 0, maxLength: 4 }),
    text: fc.option(textMutation, { freq: 3, nil: undefined }),
  })
  .filter((p) => p.dom.length > 0 || p.text !== undefined)
  .map((p) => (p.text === undefined ? { dom: p.dom } : p));

// ---------------------------------------------------------------------------------------------------------
// Applying a plan

/** Applies a plan to a seed document (well-formed XML) and returns the mutated text. */
export function applyPlan(seedXml: string, plan: MutationPlan): string {
  let xml = seedXml;
  if (plan.dom.length > 0) {
    // Entra's metadata starts with a byte-order mark, which xmldom refuses before a declaration: keep it aside.
    const bom = xml.startsWith('\ufeff') ? '\ufeff' : '';
    const doc = new DOMParser({ onError: () => {} }).parseFromString(xml.slice(bom.length), 'text/xml');
    for (const m of plan.dom) {
      try {
        applyDom(doc, m);
      } catch {
        // xmldom refused the edit (a hierarchy error): the document stays as it was, the next edit goes on.
      }
    }
    xml = bom + new XMLSerializer().serializeToString(doc);
  }
  return plan.text ? applyText(xml, plan.text) : xml;
}

function elementsOf(doc: Document): Element[] {
  const all: Element[] = [];
  const walk = (node: Node) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1) {
        all.push(n as Element);
        walk(n);
      }
    }
  };
  walk(doc);
  return all;
}

function signedElements(doc: Document): Element[] {
  return elementsOf(doc).filter((el) => {
    for (let n = el.firstChild; n; n = n.nextSibling) {
      if (
        n.nodeType === 1 &&
        (n as Element).localName === 'Signature' &&
        (n as Element).namespaceURI === NS.dsig
      )
        return true;
    }
    return false;
  });
}

function resolve(doc: Document, p: Pick): Element | undefined {
  const root = doc.documentElement ?? undefined;
  if (p.role === 'root') return root;
  const list = p.role === 'signed' ? signedElements(doc) : elementsOf(doc);
  if (list.length === 0) return root;
  // A signed element's children are as interesting as the element itself.
  if (p.role === 'signed') {
    const el = list[p.index % list.length]!;
    const children = elementsOf(el as unknown as Document);
    const all = [el, ...children];
    return all[Math.floor(p.index / list.length) % all.length];
  }
  return list[p.index % list.length];
}

function childAt(parent: Node, position: number): Node | null {
  const children: Node[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) children.push(n);
  return children.length === 0 ? null : (children[position % (children.length + 1)] ?? null);
}

function isInside(node: Node, ancestor: Node): boolean {
  for (let n: Node | null = node; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}

function renamed(doc: Document, el: Element, nameIndex: number): Element {
  const [ns, qname] = QNAMES[nameIndex]!;
  const out = doc.createElementNS(ns, qname);
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    out.setAttributeNS(a.namespaceURI, a.name, a.value);
  }
  while (el.firstChild) out.appendChild(el.firstChild);
  return out;
}

function setAttribute(el: Element, index: number, value: string): void {
  const name = ATTRIBUTE_NAMES[index]!;
  if (name.startsWith('xsi:')) el.setAttributeNS(NS.xsi, name, value);
  else if (name.startsWith('xml:')) el.setAttributeNS('http://www.w3.org/XML/1998/namespace', name, value);
  else el.setAttribute(name, value);
}

function applyDom(doc: Document, m: DomMutation): void {
  if (m.op === 'splitText') {
    splitText(doc, m);
    return;
  }
  if (m.op === 'wrapSigned') {
    wrapSigned(doc, m);
    return;
  }
  const el = resolve(doc, m.at);
  if (!el) return;
  const parent = el.parentNode;
  switch (m.op) {
    case 'remove':
      if (parent && parent !== doc) parent.removeChild(el);
      return;
    case 'duplicate':
      if (parent && parent !== doc) parent.insertBefore(el.cloneNode(true), el.nextSibling);
      return;
    case 'unwrap':
      if (!parent || parent === doc) return;
      while (el.firstChild) parent.insertBefore(el.firstChild, el);
      parent.removeChild(el);
      return;
    case 'move': {
      const dest = resolve(doc, m.to);
      if (!dest || !parent || parent === doc || isInside(dest, el)) return;
      parent.removeChild(el);
      dest.insertBefore(el, childAt(dest, m.position));
      return;
    }
    case 'wrap': {
      if (!parent || parent === doc) return;
      const [ns, qname] = QNAMES[m.name]!;
      const wrapper = doc.createElementNS(ns, qname);
      parent.replaceChild(wrapper, el);
      wrapper.appendChild(el);
      return;
    }
    case 'rename': {
      const out = renamed(doc, el, m.name);
      if (parent) parent.replaceChild(out, el);
      return;
    }
    case 'setAttribute':
      setAttribute(el, m.name, VALUES[m.value]!);
      return;
    case 'removeAttribute': {
      if (el.attributes.length === 0) return;
      const a = el.attributes.item(m.index % el.attributes.length)!;
      el.removeAttributeNode(a);
      return;
    }
    case 'declareNamespace': {
      const prefix = PREFIXES[m.prefix]!;
      el.setAttributeNS('http://www.w3.org/2000/xmlns/', `xmlns:${prefix}`, NAMESPACE_URIS[m.uri]!);
      return;
    }
    case 'insertNode': {
      const text = TEXTS[m.text]!;
      const node =
        m.kind === 'comment'
          ? doc.createComment(text.replace(/--/g, '- -'))
          : m.kind === 'pi'
            ? doc.createProcessingInstruction('fuzz', text.replace(/\?>/g, '? >'))
            : m.kind === 'cdata'
              ? doc.createCDATASection(text.replace(/]]>/g, ']] >'))
              : doc.createTextNode(text);
      el.insertBefore(node, childAt(el, m.position));
      return;
    }
    case 'setText':
      el.textContent = TEXTS[m.text]!;
      return;
    case 'insertMarkup': {
      const markup = MARKUP[m.markup]!;
      // Parsed as a fragment where it is well-formed, else inserted as text (the serializer escapes it).
      let r: Element | null = null;
      try {
        r = new DOMParser({ onError: () => {} }).parseFromString(
          `<r>${markup}</r>`,
          'text/xml',
        ).documentElement;
      } catch {
        // Not well-formed as a fragment: inserted as text below.
      }
      const position = childAt(el, m.position);
      if (r && r.localName === 'r') {
        for (let n = r.firstChild; n; n = n.nextSibling) el.insertBefore(doc.importNode(n, true), position);
      } else {
        el.insertBefore(doc.createTextNode(markup), position);
      }
      return;
    }
  }
}

function textNodes(doc: Document): Node[] {
  const out: Node[] = [];
  const walk = (node: Node) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3 && (n.nodeValue ?? '').length > 0) out.push(n);
      else if (n.nodeType === 1) walk(n);
    }
  };
  walk(doc);
  return out;
}

/** The comment-truncation family: `alice@example.com` becomes `alice@exa<!---->mple.com`. */
function splitText(doc: Document, m: Extract<DomMutation, { op: 'splitText' }>): void {
  const texts = textNodes(doc);
  if (texts.length === 0) return;
  const node = texts[m.text % texts.length]!;
  const value = node.nodeValue ?? '';
  const at = m.offset % (value.length + 1);
  const middle =
    m.kind === 'comment'
      ? doc.createComment('')
      : m.kind === 'pi'
        ? doc.createProcessingInstruction('fuzz', '')
        : doc.createCDATASection(value.slice(at));
  const parent = node.parentNode!;
  node.nodeValue = value.slice(0, at);
  parent.insertBefore(middle, node.nextSibling);
  if (m.kind !== 'cdata') parent.insertBefore(doc.createTextNode(value.slice(at)), middle.nextSibling);
}

/** Rewrites every identity-bearing text of a copy to the attacker's values. */
function evilize(el: Element): void {
  for (const child of elementsOf(el as unknown as Document)) {
    if (child.localName === 'NameID' || child.localName === 'AttributeValue') child.textContent = EVIL;
    if (child.localName === 'SubjectConfirmationData' && child.hasAttribute('InResponseTo'))
      child.setAttribute('InResponseTo', ATTACKER_REQUEST_ID);
  }
}

/**
 * The signature-wrapping (XSW) family: a signed element is cloned, the clone is rewritten to the attacker's
 * identity, and original and clone are arranged in the eight classic ways (sibling before/after, original
 * inside the clone, inside the clone's Signature, inside Extensions, clone inside the original's Signature
 * Object, clone inside the original, original moved to the end of the root).
 */
function wrapSigned(doc: Document, m: Extract<DomMutation, { op: 'wrapSigned' }>): void {
  const signed = signedElements(doc);
  if (signed.length === 0) return;
  const original = signed[m.variant % signed.length]!;
  const parent = original.parentNode;
  const root = doc.documentElement!;
  const clone = original.cloneNode(true) as Element;
  evilize(clone);
  if (!m.keepId && clone.hasAttribute('ID')) clone.setAttribute('ID', '_evil');
  const cloneSignature = elementsOf(clone as unknown as Document).find(
    (e) => e.localName === 'Signature' && e.namespaceURI === NS.dsig && e.parentNode === clone,
  );
  if (!m.keepSignature && cloneSignature) clone.removeChild(cloneSignature);
  const object = () => doc.createElementNS(NS.dsig, 'ds:Object');
  const isRoot = original === root || !parent || parent === doc;
  switch (m.variant) {
    case 0:
      if (!isRoot) parent!.insertBefore(clone, original);
      else original.appendChild(clone);
      return;
    case 1:
      if (!isRoot) parent!.insertBefore(clone, original.nextSibling);
      else original.insertBefore(clone, original.firstChild);
      return;
    case 2:
      if (isRoot) return;
      parent!.replaceChild(clone, original);
      clone.appendChild(original);
      return;
    case 3: {
      if (isRoot) return;
      parent!.replaceChild(clone, original);
      const o = object();
      o.appendChild(original);
      (cloneSignature && m.keepSignature ? cloneSignature : clone).appendChild(o);
      return;
    }
    case 4: {
      if (isRoot) return;
      parent!.replaceChild(clone, original);
      const ext = doc.createElementNS(NS.protocol, 'samlp:Extensions');
      ext.appendChild(original);
      root.insertBefore(ext, root.firstChild);
      return;
    }
    case 5: {
      const sig = elementsOf(original as unknown as Document).find(
        (e) => e.localName === 'Signature' && e.parentNode === original,
      );
      const o = object();
      o.appendChild(clone);
      (sig ?? original).appendChild(o);
      return;
    }
    case 6:
      original.appendChild(clone);
      return;
    default:
      if (isRoot) return;
      parent!.replaceChild(clone, original);
      root.appendChild(original);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Text edits

/** Offsets right after a '>' (between markup), where inserted markup stays well-formed. */
function tagBoundary(xml: string, n: number): number {
  const boundaries: number[] = [];
  for (let i = xml.indexOf('>'); i !== -1 && boundaries.length < 4_000; i = xml.indexOf('>', i + 1))
    boundaries.push(i + 1);
  return boundaries.length === 0 ? 0 : boundaries[n % boundaries.length]!;
}

function applyText(xml: string, m: TextMutation): string {
  switch (m.op) {
    case 'truncate':
      return xml.slice(0, m.at % (xml.length + 1));
    case 'characterReference': {
      // A character of text content, written as a character reference: canonically the same document.
      const positions: number[] = [];
      let inTag = false;
      for (let i = 0; i < xml.length && positions.length < 20_000; i++) {
        const c = xml[i]!;
        if (c === '<') inTag = true;
        else if (c === '>') inTag = false;
        else if (!inTag && c !== '&' && /\S/.test(c)) positions.push(i);
      }
      if (positions.length === 0) return xml;
      const at = positions[m.at % positions.length]!;
      const code = xml.codePointAt(at)!;
      const ref = m.hex ? `&#x${code.toString(16)};` : `&#${code};`;
      return xml.slice(0, at) + ref + xml.slice(at + String.fromCodePoint(code).length);
    }
    case 'declaration':
      return DECLARATIONS[m.declaration]! + xml;
    case 'insert': {
      const at = m.at % (xml.length + 1);
      return xml.slice(0, at) + MARKUP[m.markup]! + xml.slice(at);
    }
    case 'pad': {
      const at = tagBoundary(xml, m.at);
      return xml.slice(0, at) + m.char.repeat(m.length) + xml.slice(at);
    }
    case 'nest': {
      let at: number;
      if (m.where === 'SignedInfo') {
        const start = xml.search(/<[A-Za-z0-9_]*:?SignedInfo[\s>]/);
        at = start === -1 ? tagBoundary(xml, m.at) : xml.indexOf('>', start) + 1;
      } else if (m.where === 'root') {
        at = tagBoundary(xml, 0);
      } else {
        at = tagBoundary(xml, m.at);
      }
      return `${xml.slice(0, at)}${'<d>'.repeat(m.depth)}${'</d>'.repeat(m.depth)}${xml.slice(at)}`;
    }
    case 'copySlice': {
      const from = m.from % (xml.length + 1);
      const slice = xml.slice(from, from + m.length);
      const to = m.to % (xml.length + 1);
      return xml.slice(0, to) + slice + xml.slice(to);
    }
  }
}
