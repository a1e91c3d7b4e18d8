/**
 * The reference for the differential test of our exclusive canonicaliser: xml-crypto's ExclusiveCanonicalization,
 * called as src/core/crypto/exc-c14n.ts called it before issue #16 (the enveloped Signature detached for the
 * call, inherited PrefixList namespaces written onto a deep clone), so that this test compares our bytes with
 * what the verifier produced until then.
 */
import type { Element, Node } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';

const XMLNS = 'http://www.w3.org/2000/xmlns/';

type Canonicalizer = { process(node: unknown, options: Record<string, unknown>): string };

/** xml-crypto's exclusive canonical form of `element`, `exclude` left out; throws what xml-crypto throws. */
export function xmlCryptoExclusive(
  element: Element,
  options: { prefixList?: readonly string[]; exclude?: Element } = {},
): string {
  const prefixList = [...(options.prefixList ?? [])];
  const inherited = prefixList.length > 0 ? inheritedNamespaces(element, prefixList) : [];
  const canonicalizer = new ExclusiveCanonicalization() as unknown as Canonicalizer;
  const c14nOptions = { inclusiveNamespacesPrefixList: prefixList, ancestorNamespaces: inherited };
  if (inherited.length > 0) {
    const clone = element.cloneNode(true) as Element;
    if (options.exclude) removeCorresponding(element, clone, options.exclude);
    return canonicalizer.process(clone, c14nOptions);
  }
  const excluded = options.exclude;
  if (!excluded) return canonicalizer.process(element, c14nOptions);
  const parent = excluded.parentNode!;
  const next = excluded.nextSibling;
  parent.removeChild(excluded);
  try {
    return canonicalizer.process(element, c14nOptions);
  } finally {
    parent.insertBefore(excluded, next);
  }
}

function removeCorresponding(original: Element, clone: Element, target: Element): void {
  const path: number[] = [];
  let node: Node = target;
  while (node !== original) {
    const parent = node.parentNode!;
    let index = 0;
    for (let n = parent.firstChild; n && n !== node; n = n.nextSibling) index++;
    path.unshift(index);
    node = parent;
  }
  let cursor: Node = clone;
  for (const index of path) {
    let child = cursor.firstChild;
    for (let i = 0; i < index && child; i++) child = child.nextSibling;
    cursor = child!;
  }
  cursor.parentNode!.removeChild(cursor);
}

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
      if (prefixList.includes(prefix) && !found.has(prefix))
        found.set(prefix, n === element ? null : a.value);
    }
  }
  return [...found].flatMap(([prefix, namespaceURI]) =>
    namespaceURI === null ? [] : [{ prefix, namespaceURI }],
  );
}
