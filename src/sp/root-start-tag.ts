/**
 * The start tag of an XML document's root element, read without parsing the document: what the test sign-in
 * router needs (the root's unverified InResponseTo) on every ACS request, where a full parse of the response
 * cost as much again as the validation's own parse.
 */

/**
 * The root element's start tag, written as an empty element (`<samlp:Response ... />`), so that the strict
 * parser can read its attributes as it would in the whole document. Undefined when the prolog holds anything
 * but a byte-order mark, an XML declaration and white space (a comment, a processing instruction or a DOCTYPE,
 * which the strict parser judges), or the tag does not end: the caller then parses the whole document.
 *
 * @example
 * ```ts
 * rootStartTag('<?xml version="1.0"?>\n<a x="1>2"><b/></a>'); // '<a x="1>2"/>'
 * ```
 */
export function rootStartTag(xml: string): string | undefined {
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (xml.startsWith('<?xml', i)) {
    const end = xml.indexOf('?>', i + 5);
    if (end < 0) return undefined;
    i = end + 2;
  }
  while (i < xml.length && isXmlSpace(xml.charCodeAt(i))) i++;
  if (xml[i] !== '<' || xml[i + 1] === '!' || xml[i + 1] === '?' || xml[i + 1] === '/') return undefined;
  // Attribute values may hold '>' (and the other quote): the tag ends at the first '>' outside quotes.
  let quote = '';
  for (let j = i + 1; j < xml.length; j++) {
    const c = xml[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return xml[j - 1] === '/' ? xml.slice(i, j + 1) : `${xml.slice(i, j)}/>`;
    }
  }
  return undefined;
}

/** XML's S production: space, tab, carriage return, line feed. */
function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}
