/**
 * The DOM builder behind parseXml: it makes, from the strict reader's events (tokenizer.ts), the very nodes
 * xmldom's own `DOMHandler` makes from its SAX reader's, through the same factories, minus the checks the
 * reader has already made on the very same strings (issue #16: building the DOM was a third of a validation).
 *
 * xmldom 0.9 builds each node through its public DOM API (`createElementNS`, `createAttributeNS`,
 * `appendChild`), which validates as if the caller were untrusted script:
 * - `createElementNS` / `createAttributeNS` test every name against the QName production (a long Unicode
 *   RegExp). The reader has checked each element and attribute name against XML's Name production and split
 *   it at its one colon (Namespaces in XML production [7]). Skipped here. The namespace half of that
 *   validation ("validate and extract": a prefix must be bound, `xml` and `xmlns` only with their own
 *   namespaces) is also the reader's, and {@link namespaceWellFormed} runs it again for every element and
 *   attribute: anything it does not accept goes through xmldom's own `createElementNS`/`createAttributeNS`,
 *   which throws the DOMException xmldom throws.
 * - `appendChild` runs the pre-insertion checks (the parent is an element or document, the node is of an
 *   insertable type, not already in the tree, not a second root). Below an element, for a node created
 *   here a moment ago, they hold by construction: the parent is the element the reader is inside (only ever
 *   an Element made here), the node is fresh with no parent. Anything inserted into the Document itself (the
 *   root element, top-level comments, processing instructions and whitespace) still goes through
 *   `appendChild`.
 * - xmldom's `endDocument` normalises the whole tree (one more walk) to merge adjacent Text nodes. The reader
 *   reports each run of character data once, references resolved, and a Text node arriving next to a Text
 *   node is merged here as `normalize` would (a CDATA section is not merged, as `normalize` does not), so no
 *   walk is needed.
 *
 * Attributes still go through `setAttributeNode`, which maintains the element's namespace map (`_nsMap`).
 *
 * test/core/xml/dom-builder.test.ts compares the trees this builds with stock xmldom's on the attack corpus,
 * node by node; test/core/xml/well-formedness.test.ts adds the verdicts of libxml2.
 */
import {
  type Attr,
  DOMImplementation,
  type Document,
  type Element,
  NAMESPACE,
  type Node,
} from '@xmldom/xmldom';
import type { TokenAttributes, XmlTokenHandler } from './tokenizer.ts';

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

const IMPLEMENTATION = new DOMImplementation();

/**
 * Namespaces in XML constraints that xmldom's `validateAndExtract` enforces for a qualified name, the
 * QName production aside (the reader has tested it): a prefixed name needs a namespace, `xml` binds only
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
 * Builds an xmldom Document from the reader's events, as xmldom's `DOMHandler` would (the document that
 * `new DOMParser().parseFromString(xml, 'text/xml')` returns). parseXml's guard (depth, processing
 * instructions) extends it.
 */
export class DomBuilder implements XmlTokenHandler {
  /** A Document as xmldom's parser starts it: `createDocument(null, '')`, for `text/xml`. */
  readonly doc: Document = IMPLEMENTATION.createDocument(null, '');
  #current: Element | undefined;

  startElement(namespaceURI: string | null, localName: string, qName: string, attrs: TokenAttributes): void {
    const doc = this.doc;
    const el = createElement(doc, namespaceURI, localName, qName);
    const parent = this.#current;
    if (parent) append(parent as unknown as Parent, el);
    else doc.appendChild(el); // the root: the Document's own checks (a single root element) apply
    this.#current = el;
    const { qNames, values, namespaces } = attrs;
    for (let i = 0, n = attrs.length; i < n; i++) {
      const attr = createAttribute(doc, namespaces[i]!, qNames[i]!);
      attr.value = attr.nodeValue = values[i]!;
      if (attr.namespaceURI === NAMESPACE.XMLNS) detachFromSource(attr.value);
      el.setAttributeNode(attr);
    }
  }

  endElement(): void {
    const parent = this.#current!.parentNode;
    this.#current = parent && parent.nodeType === 1 ? (parent as Element) : undefined;
  }

  text(data: string): void {
    if (!data) return; // xmldom creates no node for empty text either
    const parent = this.#current as unknown as Parent | undefined;
    if (!parent) {
      // Whitespace between the nodes of the document (the reader refuses any other text there).
      this.doc.appendChild(this.doc.createTextNode(data));
      return;
    }
    const last = parent.lastChild;
    if (last && last.nodeType === 3) {
      // What xmldom's normalize() would do: a Text node next to a Text node takes its data.
      (last as unknown as { appendData(data: string): void }).appendData(data);
      return;
    }
    append(parent, this.doc.createTextNode(data));
  }

  cdata(data: string): void {
    // No node for an empty section, as xmldom (its characters() skips empty data).
    if (!data) return;
    this.#insert(this.doc.createCDATASection(data));
  }

  comment(data: string): void {
    this.#insert(this.doc.createComment(data));
  }

  processingInstruction(target: string, data: string): void {
    this.#insert(this.doc.createProcessingInstruction(target, data));
  }

  #insert(node: Node): void {
    const parent = this.#current;
    if (parent) append(parent as unknown as Parent, node);
    else this.doc.appendChild(node);
  }
}

// Looked up, never written: see detachFromSource.
const NO_KEYS: Record<string, never> = Object.create(null);

/**
 * Makes a namespace declaration's value stop pointing into the message text. It costs one property lookup,
 * and it keeps the garbage collector's young-generation pauses short (issue #16: they were 2 to 6 ms, the
 * p99 of a validation).
 *
 * xmldom's SAX reader gave each element that declares a namespace its own prefix map, chained to its
 * parent's with `Object.create(parentMap)`. V8 allocates the hidden class of an object created that way in
 * the old generation, pointing at its prototype: until the next full collection, every prefix map of every
 * message parsed since is reachable from there, and each minor collection copies them again. The maps are
 * small, but their values are V8 "sliced strings" of the message text, so each one kept the whole decoded
 * message alive: 2 to 3.5 MB copied at every minor collection (`--trace-gc-nvp`: new_space_survived), against
 * about 0.4 MB once the values no longer point into the text.
 *
 * parseXml's own reader (tokenizer.ts) keeps its bindings in one Map per parse, so that chain is gone; the
 * lookup is kept, at the cost of one property lookup per declaration, so that the elements' namespace maps
 * (`_nsMap`) do not point into the message text either (not re-measured since).
 *
 * A keyed lookup with a string that is not yet internalised makes V8 internalise it and turn the original into
 * a "thin string" forwarding to the internalised copy, which no longer references the message. Only a
 * performance effect: the value is the same string either way, so an engine that does not do this is merely
 * slower.
 */
function detachFromSource(value: string): void {
  if (value in NO_KEYS) throw new Error('unreachable: NO_KEYS has no keys');
}

/** An Element as `createElementNS` makes it, without re-testing the QName the reader has tested. */
function createElement(
  doc: Document,
  namespaceURI: string | null,
  localName: string,
  qName: string,
): Element {
  const colon = qName.indexOf(':');
  const prefix = colon > 0 ? qName.slice(0, colon) : null;
  // Not well-formed, or a name the reader did not split as expected: xmldom's own method decides (throws).
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

/** An Attr as `createAttributeNS` makes it, without re-testing the QName the reader has tested. */
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
