/**
 * The tree as the readers of a signed element can see it: what the signed-view proofs compare between an
 * element reduced in place and a parse of its canonical bytes (signed-view.test.ts, metadata-signature.test.ts).
 */
import type { Element, Node } from '@xmldom/xmldom';

const XMLNS = 'http://www.w3.org/2000/xmlns/';

export type Shape =
  | { element: string; ns: string | null; attributes: string[]; children: Shape[] }
  | { text: string }
  | { other: number; value: string | null };

/** The tree as the readers can see it, without namespace declarations (not content: see signed-view.ts). */
export function shape(root: Element): Shape {
  const out: Shape = { element: root.tagName, ns: root.namespaceURI, attributes: [], children: [] };
  const pending: [Element, Shape & { children: Shape[]; attributes: string[] }][] = [[root, out as never]];
  while (pending.length > 0) {
    const [el, s] = pending.pop()!;
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i)!;
      if (a.namespaceURI === XMLNS) continue;
      s.attributes.push(JSON.stringify([a.namespaceURI, a.localName ?? a.name, a.name, a.value]));
    }
    s.attributes.sort();
    for (let n: Node | null = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1) {
        const child = n as Element;
        const c = { element: child.tagName, ns: child.namespaceURI, attributes: [], children: [] };
        s.children.push(c);
        pending.push([child, c]);
      } else if (n.nodeType === 3) {
        s.children.push({ text: n.nodeValue ?? '' });
      } else {
        s.children.push({ other: n.nodeType, value: n.nodeValue });
      }
    }
  }
  return out;
}
