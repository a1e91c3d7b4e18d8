/**
 * Exclusive XML canonicalisation (xml-exc-c14n, without comments) of one element of a parsed document, using
 * xml-crypto's implementation directly on our DOM.
 *
 * Calling the canonicaliser ourselves, instead of going through SignedXml.checkSignature, is what keeps
 * verification free of XPath: checkSignature re-parses the whole document and evaluates about eight
 * whole-document XPath expressions per signature (each building a new XPath parser), which made it the
 * dominant cost of validating a response.
 */
import type { Element, Node } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { SamlSpError } from '../errors.ts';

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** Options of {@link canonicalizeExclusive}. */
export interface ExcC14nOptions {
  /** InclusiveNamespaces PrefixList of the transform (prefixes rendered even when not visibly used). */
  prefixList?: readonly string[];
  /** A direct or nested descendant to leave out: the enveloped-signature transform. */
  exclude?: Element;
}

type Canonicalizer = { process(node: unknown, options: Record<string, unknown>): string };

/**
 * Returns the exclusive canonical form of `element`, leaving `options.exclude` out. The document is left as
 * it was: an excluded node is detached only for the duration of the call, and when xml-crypto's canonicaliser
 * would write inherited PrefixList namespaces onto the element it is given, it is given a deep clone instead.
 *
 * @example
 * ```ts
 * const bytes = canonicalizeExclusive(assertion, { exclude: signatureElement });
 * ```
 */
export function canonicalizeExclusive(element: Element, options: ExcC14nOptions = {}): string {
  const prefixList = [...(options.prefixList ?? [])];
  const inherited = prefixList.length > 0 ? inheritedNamespaces(element, prefixList) : [];
  const canonicalizer = new ExclusiveCanonicalization() as unknown as Canonicalizer;
  const c14nOptions = { inclusiveNamespacesPrefixList: prefixList, ancestorNamespaces: inherited };

  if (inherited.length > 0) {
    // Rare (a PrefixList prefix declared above the signed element): pay for a clone rather than mutate.
    const clone = element.cloneNode(true) as Element;
    if (options.exclude) removeCorresponding(element, clone, options.exclude);
    return processOrRefuse(canonicalizer, clone, c14nOptions);
  }
  const excluded = options.exclude;
  if (!excluded) return processOrRefuse(canonicalizer, element, c14nOptions);
  // Cloning the whole assertion costs more than the canonicalisation itself; detaching one node does not.
  const parent = excluded.parentNode;
  if (!parent || !isInside(excluded, element)) {
    throw new Error('The node to exclude is not inside the element being canonicalised.');
  }
  const next = excluded.nextSibling;
  parent.removeChild(excluded);
  try {
    return processOrRefuse(canonicalizer, element, c14nOptions);
  } finally {
    parent.insertBefore(excluded, next);
  }
}

/**
 * Runs the canonicaliser, turning what it cannot do right into a refusal of the message (found by the fuzzer,
 * test/fuzz/, issue #9):
 * - xml-crypto renders a processing instruction as if its data were text (`a<?x b?>` canonicalises like `ab`,
 *   where c14n keeps the `<?x b?>`), and throws a plain Error for one without data. A SAML message never
 *   carries one; refusing them keeps our canonical bytes those of any other implementation.
 * - It recurses once per nesting level, so tens of thousands of nested elements overflow the stack.
 * Both are properties of a hostile message: they end as a coded 4xx refusal, never as an exception escaping
 * as a 500, and never as a verdict another implementation would not reach.
 */
function processOrRefuse(canonicalizer: Canonicalizer, node: Node, options: Record<string, unknown>): string {
  if (containsProcessingInstruction(node)) {
    throw new SamlSpError(
      'SAML_STRUCTURE_INVALID',
      'The signed XML contains a processing instruction, which the canonicaliser cannot render faithfully.',
      {
        hint: 'A genuine IdP never puts processing instructions into signed SAML content; the message was crafted or altered.',
      },
    );
  }
  try {
    return canonicalizer.process(node, options);
  } catch (cause) {
    const reason =
      cause instanceof RangeError ? 'the elements are nested too deeply' : (cause as Error).message;
    throw new SamlSpError('SAML_STRUCTURE_INVALID', `The signed XML cannot be canonicalised: ${reason}.`, {
      hint: 'A genuine IdP never nests elements this deeply; the message was crafted or altered.',
      cause,
    });
  }
}

/** Whether a processing instruction sits anywhere under `root` (iterative: the depth may be hostile). */
function containsProcessingInstruction(root: Node): boolean {
  let node: Node | null = root.firstChild;
  while (node && node !== root) {
    if (node.nodeType === 7) return true;
    if (node.firstChild) {
      node = node.firstChild;
      continue;
    }
    while (node && node !== root && !node.nextSibling) node = node.parentNode;
    if (node && node !== root) node = node.nextSibling;
  }
  return false;
}

function isInside(node: Node, ancestor: Element): boolean {
  for (let n = node.parentNode; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}

/** Removes from `clone` the node that sits where `target` sits under `original`. */
function removeCorresponding(original: Element, clone: Element, target: Element): void {
  const path: number[] = [];
  let node: Node = target;
  while (node !== original) {
    const parent = node.parentNode;
    if (!parent) throw new Error('The node to exclude is not inside the element being canonicalised.');
    let index = 0;
    for (let n = parent.firstChild; n && n !== node; n = n.nextSibling) index++;
    path.unshift(index);
    node = parent;
  }
  let cursor: Node = clone;
  for (const index of path) {
    let child = cursor.firstChild;
    for (let i = 0; i < index && child; i++) child = child.nextSibling;
    if (!child) throw new Error('The clone does not match the original.');
    cursor = child;
  }
  cursor.parentNode!.removeChild(cursor);
}

/**
 * Namespace declarations the element inherits from its ancestors for the prefixes in `prefixList`, leaving
 * out prefixes the element declares itself (its own declaration is rendered from its attributes).
 */
function inheritedNamespaces(
  element: Element,
  prefixList: readonly string[],
): { prefix: string; namespaceURI: string }[] {
  const found = new Map<string, string | null>();
  for (let n: Node | null = element; n && n.nodeType === 1; n = n.parentNode) {
    const attrs = (n as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i)!;
      if (a.namespaceURI !== XMLNS || a.prefix !== 'xmlns') continue;
      const prefix = a.localName ?? '';
      // The nearest declaration wins; null marks one made by the element itself.
      if (prefixList.includes(prefix) && !found.has(prefix))
        found.set(prefix, n === element ? null : a.value);
    }
  }
  return [...found].flatMap(([prefix, namespaceURI]) =>
    namespaceURI === null ? [] : [{ prefix, namespaceURI }],
  );
}
