/**
 * The DOM builder parseXml hands to xmldom: xmldom's own `DOMHandler`, minus the checks its SAX layer has
 * already made on the very same strings (issue #16: building the DOM was a third of a validation).
 *
 * xmldom 0.9 builds each node through its public DOM API (`createElementNS`, `createAttributeNS`,
 * `appendChild`), which validates as if the caller were untrusted script:
 * - `createElementNS` / `createAttributeNS` test every name against the QName production (`QName_exact`,
 *   a long Unicode RegExp). The SAX reader has just tested exactly that string against exactly that RegExp
 *   (`ElementAttributes.setTagName` for the element name it passes as `qName`, `addValue` for each attribute
 *   name), and throws before calling the builder when it fails. Skipped here: it can only pass again.
 *   The namespace half of that validation ("validate and extract": a prefix must be bound, `xml` and `xmlns`
 *   only with their own namespaces) is NOT guaranteed by the SAX layer, so {@link namespaceWellFormed} runs it
 *   for every element and attribute, and anything it does not accept goes through xmldom's own
 *   `createElementNS`/`createAttributeNS`, which throws the very DOMException it always threw.
 * - `appendChild` runs the pre-insertion checks (the parent is an element or document, the node is of an
 *   insertable type, not already in the tree, not a second root). Below an element, for a node created
 *   here a moment ago, they hold by construction: the parent is the element the SAX reader is inside
 *   (`currentElement`, only ever an Element we made), the node is a fresh Element, Text or CDATA node with no
 *   parent. Anything inserted into the Document itself (the root element, top-level comments) still goes
 *   through `appendChild`, which refuses a second root element as before.
 * - `endDocument` normalises the whole tree (one more walk) to merge adjacent Text nodes. Text arriving next
 *   to a Text node is merged here as it arrives, as `normalize` would (a CDATA section is not merged, as
 *   `normalize` does not), and no empty Text node is ever created, so the walk is skipped; it still runs when
 *   any text went through xmldom's own path.
 *
 * Attributes still go through `setAttributeNode`: it keeps xmldom's behaviour for two attributes with the same
 * namespace and local name, and maintains the namespace map. Everything else (comments, processing
 * instructions, the locator-stamped re-parse of a failing document) is xmldom's code unchanged.
 *
 * test/core/xml/dom-builder.test.ts compares the trees this builds with xmldom's own on the attack corpus,
 * node by node, and checks that every refusal is the same.
 */
import { type Attr, DOMParser, type Document, type Element, NAMESPACE, type Node } from '@xmldom/xmldom';

/** The SAX reader's attribute list (xmldom's `ElementAttributes`), as the builder reads it. */
export interface SaxAttributes {
  length: number;
  getURI(i: number): string | undefined;
  getValue(i: number): string;
  getQName(i: number): string;
}

type DomHandler = {
  doc: Document;
  currentElement: Node | undefined;
  locator: unknown;
  cdata: boolean;
  startElement(
    namespaceURI: string | undefined,
    localName: string,
    qName: string,
    attrs: SaxAttributes,
  ): void;
  endElement(namespaceURI: string | undefined, localName: string, qName: string): void;
  characters(chars: string, start: number, length: number): void;
  endDocument(): void;
  processingInstruction(target: string, data: string): void;
};
type DomHandlerClass = new (options: unknown) => DomHandler;

/** xmldom's DOMHandler (the `domHandler` option's default), which every parse builds its DOM through. */
const XmldomHandler = (new DOMParser() as unknown as { domHandler: DomHandlerClass }).domHandler;

/** The internals of xmldom nodes the builder writes, exactly as xmldom's own insertion writes them. */
type Linked = Node & {
  parentNode: Node | null;
  previousSibling: Node | null;
  nextSibling: Node | null;
};
type Parent = Node & {
  firstChild: Node | null;
  lastChild: Node | null;
  childNodes: { length: number; [index: number]: Node };
  ownerDocument: Document & { _inc: number };
};
type Named = { namespaceURI: string | null; prefix: string | null; localName: string };
type WritableAttr = Attr & Named & { value: string; nodeValue: string };
type CreateAttribute = (this: Document, name: string) => WritableAttr;

/**
 * Namespaces in XML constraints that xmldom's `validateAndExtract` enforces for a qualified name, the
 * QName production aside (the SAX reader has tested it): a prefixed name needs a namespace, `xml` binds only
 * to the XML namespace, `xmlns` only to the XMLNS one, and the XMLNS namespace only to `xmlns`.
 */
export function namespaceWellFormed(namespace: string | null, prefix: string | null, qName: string): boolean {
  if (prefix !== null && namespace === null) return false;
  if (prefix === 'xml' && namespace !== NAMESPACE.XML) return false;
  const xmlns = prefix === 'xmlns' || qName === 'xmlns';
  if (xmlns !== (namespace === NAMESPACE.XMLNS)) return false;
  return true;
}

/**
 * xmldom's DOMHandler with the redundant checks above left out. parseXml's guard (depth, processing
 * instructions) extends it.
 */
export class LeanDomHandler extends XmldomHandler {
  /** Set when text went through xmldom's own `characters`: then `endDocument` normalises as it always did. */
  #textOutsideFastPath = false;

  override startElement(
    namespaceURI: string | undefined,
    localName: string,
    qName: string,
    attrs: SaxAttributes,
  ): void {
    // The re-parse of a failing document (with the locator) is xmldom's code, unchanged.
    if (this.locator) {
      super.startElement(namespaceURI, localName, qName, attrs);
      return;
    }
    const doc = this.doc;
    const el = createElement(doc, namespaceURI || null, localName, qName);
    const parent = this.currentElement;
    if (parent && parent.nodeType === 1) append(parent as Parent, el);
    else if (parent)
      throw new Error('LeanDomHandler: the SAX reader is inside a node that is not an element.');
    else doc.appendChild(el); // the root: the Document's own checks (a single root element) apply
    this.currentElement = el;
    for (let i = 0, n = attrs.length; i < n; i++) {
      const attr = createAttribute(doc, attrs.getURI(i) || null, attrs.getQName(i));
      attr.value = attr.nodeValue = attrs.getValue(i);
      if (attr.namespaceURI === NAMESPACE.XMLNS) detachFromSource(attr.value);
      el.setAttributeNode(attr);
    }
  }

  override characters(chars: string, start: number, length: number): void {
    const parent = this.currentElement;
    if (this.locator || typeof chars !== 'string' || !parent || parent.nodeType !== 1) {
      this.#textOutsideFastPath = true;
      super.characters(chars, start, length);
      return;
    }
    const text = chars.substr(start, length);
    if (!text) return; // xmldom creates no node for empty text either
    const doc = this.doc;
    if (this.cdata) {
      // createCDATASection refuses "]]>" in the data, as before.
      append(parent as Parent, doc.createCDATASection(text));
      return;
    }
    const last = (parent as Parent).lastChild;
    if (last && last.nodeType === 3) {
      // What endDocument's normalize() would do: a Text node next to a Text node takes its data.
      (last as unknown as { appendData(data: string): void }).appendData(text);
      return;
    }
    append(parent as Parent, doc.createTextNode(text));
  }

  override endDocument(): void {
    // No walk needed when every Text node came through characters() above (see the file comment).
    if (this.#textOutsideFastPath || this.locator || !this.doc.documentElement) super.endDocument();
  }
}

// Looked up, never written: see detachFromSource.
const NO_KEYS: Record<string, never> = Object.create(null);

/**
 * Makes a namespace declaration's value stop pointing into the message text. It costs one property lookup,
 * and it keeps the garbage collector's young-generation pauses short (issue #16: they were 2 to 6 ms, the
 * p99 of a validation).
 *
 * xmldom's SAX reader gives each element that declares a namespace its own prefix map, chained to its
 * parent's with `Object.create(parentMap)`. V8 allocates the hidden class of an object created that way in
 * the old generation, pointing at its prototype: until the next full collection, every prefix map of every
 * message parsed since is reachable from there, and each minor collection copies them again. The maps are
 * small, but their values are V8 "sliced strings" of the message text, so each one kept the whole decoded
 * message alive: 2 to 3.5 MB copied at every minor collection (`--trace-gc-nvp`: new_space_survived), against
 * about 0.4 MB once the values no longer point into the text.
 *
 * A keyed lookup with a string that is not yet internalised makes V8 internalise it and turn the original into
 * a "thin string" forwarding to the internalised copy, which no longer references the message. Only a
 * performance effect: the value is the same string either way, so an engine that does not do this is merely
 * slower.
 */
function detachFromSource(value: string): void {
  if (value in NO_KEYS) throw new Error('unreachable: NO_KEYS has no keys');
}

/** An Element as `createElementNS` makes it, without re-testing the QName the SAX reader has tested. */
function createElement(
  doc: Document,
  namespaceURI: string | null,
  localName: string,
  qName: string,
): Element {
  const colon = qName.indexOf(':');
  const prefix = colon > 0 ? qName.slice(0, colon) : null;
  // Not well-formed, or a name the SAX reader did not split as expected: xmldom's own method decides (throws).
  if (!namespaceWellFormed(namespaceURI, prefix, qName) || localName !== qName.slice(colon + 1)) {
    return doc.createElementNS(namespaceURI, qName);
  }
  // createElement does not validate (it is the DOM Level 1 factory); the namespace fields are set as
  // createElementNS sets them.
  const el = doc.createElement(qName) as Element & Named;
  el.namespaceURI = namespaceURI;
  el.prefix = prefix;
  el.localName = localName;
  return el;
}

/** An Attr as `createAttributeNS` makes it, without re-testing the QName the SAX reader has tested. */
function createAttribute(doc: Document, namespaceURI: string | null, qName: string): WritableAttr {
  const colon = qName.indexOf(':');
  const prefix = colon > 0 ? qName.slice(0, colon) : null;
  const create = (doc as unknown as { _createAttribute?: CreateAttribute })._createAttribute;
  if (!namespaceWellFormed(namespaceURI, prefix, qName) || typeof create !== 'function') {
    return doc.createAttributeNS(namespaceURI, qName) as WritableAttr;
  }
  // `_createAttribute` is what setAttribute uses: the Attr without validation (xmldom 0.9; if an upgrade
  // drops it, the line above falls back to createAttributeNS).
  const attr = create.call(doc, qName);
  attr.namespaceURI = namespaceURI;
  attr.prefix = prefix;
  attr.localName = colon > 0 ? qName.slice(colon + 1) : qName;
  return attr;
}

/**
 * Appends a freshly created node to an element, as `_insertBefore(parent, node, null)` does after its
 * pre-insertion checks (which hold by construction, see the file comment), including the bookkeeping of
 * `_onUpdateChild` (the child list and the document's modification counter, used by live node lists).
 */
function append(parent: Parent, node: Node): void {
  const child = node as Linked;
  const last = parent.lastChild;
  child.previousSibling = last;
  child.nextSibling = null;
  if (last) (last as Linked).nextSibling = child;
  else parent.firstChild = child;
  parent.lastChild = child;
  child.parentNode = parent;
  const doc = parent.ownerDocument;
  if (doc._inc) {
    doc._inc++;
    const list = parent.childNodes;
    list[list.length++] = child;
  }
}
