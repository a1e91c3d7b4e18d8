/**
 * The signed element as exclusive c14n (without comments) saw it, made from the same DOM subtree that was
 * canonicalised instead of from a parse of the canonical bytes (issue #16: the re-parse was a third of the
 * validation time).
 *
 * Exclusive c14n renders an element's subtree with comments left out, processing instructions rendered as
 * themselves (exc-c14n.ts refuses them before canonicalising, so none is left here) and each run of adjacent
 * text and CDATA rendered as one escaped text. Parsing those bytes back gives a tree in which the comments are
 * gone, every such run (a comment between two texts included, since it is gone) is one Text node, and an
 * empty run is no node at all. {@link reduceToCanonicalView} makes the subtree exactly that, in place: after
 * it, the readers (textContent, firstChild.nodeValue, getAttribute, child element walks) read what the
 * signature covers and nothing else. The enveloped Signature, which the digest left out, is removed too, and
 * a signed element that was nested in an unsigned one is detached from it, so that no walk upwards can reach
 * unsigned content (the readers never walk up; this keeps it so).
 *
 * Only namespace declarations are not reduced: the view keeps the declarations written on each element
 * (c14n renders those visibly used, possibly on another element). They are not content: every element's and
 * attribute's namespaceURI was resolved at parse time and is what c14n rendered, and no reader resolves
 * prefixes or reads `xmlns` attributes.
 *
 * test/core/response/signed-view.test.ts is the proof that keeps this honest: on the attack corpus and on
 * fuzzed messages, this view and a parse of the canonical bytes are the same tree (namespace declarations
 * aside).
 */
import type { Element, Node, Text } from '@xmldom/xmldom';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;

/** Options of {@link reduceToCanonicalView}. */
export interface CanonicalViewOptions {
  /** A node to remove for good: the enveloped Signature the enveloped-signature transform left out. */
  exclude?: Element;
  /** Detach the element from an enclosing element (default true). */
  detach?: boolean;
}

/**
 * Reduces `element`'s subtree, in place, to what exclusive c14n without comments rendered of it, and returns
 * the element. Call it only with a subtree that canonicalised without error (exc-c14n.ts), after the digest
 * over those bytes matched.
 *
 * @example
 * ```ts
 * const bytes = canonicalizeExclusive(assertion, { exclude: signature });
 * // ... the digest of bytes matched ...
 * const signed = reduceToCanonicalView(assertion, { exclude: signature });
 * ```
 */
export function reduceToCanonicalView(element: Element, options: CanonicalViewOptions = {}): Element {
  const { exclude } = options;
  if (exclude) {
    const parent = exclude.parentNode;
    if (!parent || !isInside(exclude, element)) {
      throw new Error('The node to exclude is not inside the element being reduced.');
    }
    parent.removeChild(exclude);
  }
  // Iterative: the nesting depth comes from the message (up to the parser's cap).
  const pending: Element[] = [element];
  while (pending.length > 0) reduceChildren(pending.pop()!, pending);
  const parent = element.parentNode;
  if ((options.detach ?? true) && parent && parent.nodeType === ELEMENT) parent.removeChild(element);
  return element;
}

/** One element's children: comments out, each run of text and CDATA as one Text node; child elements queued. */
function reduceChildren(parent: Element, pending: Element[]): void {
  let node: Node | null = parent.firstChild;
  while (node) {
    const type = node.nodeType;
    if (type === ELEMENT) {
      pending.push(node as Element);
      node = node.nextSibling;
    } else if (type === COMMENT) {
      const next: Node | null = node.nextSibling;
      parent.removeChild(node);
      node = next;
    } else if (type === TEXT || type === CDATA) {
      node = joinRun(parent, node);
    } else if (type === PROCESSING_INSTRUCTION) {
      // exc-c14n.ts refuses these before canonicalising; reaching one here is a broken caller.
      throw new Error('reduceToCanonicalView: a processing instruction inside a canonicalised subtree.');
    } else {
      throw new Error(`reduceToCanonicalView: unexpected node type ${type}.`);
    }
  }
}

/**
 * Replaces the run of text, CDATA and comment nodes starting at `first` by one Text node holding the texts
 * joined (none when they join to ''), and returns the node after the run.
 */
function joinRun(parent: Element, first: Node): Node | null {
  let end: Node | null = first.nextSibling;
  let count = 1;
  while (end && (end.nodeType === TEXT || end.nodeType === CDATA || end.nodeType === COMMENT)) {
    end = end.nextSibling;
    count++;
  }
  // The common case, one plain non-empty text: already what a parse of the canonical bytes gives.
  if (count === 1 && first.nodeType === TEXT && (first as Text).data !== '') return end;
  let joined = '';
  for (let n: Node | null = first; n !== end; ) {
    const next: Node | null = n!.nextSibling;
    if (n!.nodeType !== COMMENT) joined += (n as Text).data;
    parent.removeChild(n!);
    n = next;
  }
  if (joined !== '') parent.insertBefore(parent.ownerDocument!.createTextNode(joined), end);
  return end;
}

function isInside(node: Node, ancestor: Element): boolean {
  for (let n = node.parentNode; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}
