/**
 * The start tag of an XML document's root element, read without parsing the document: what the test sign-in
 * router needs (the root's unverified InResponseTo) on every ACS request, where a full parse of the response
 * cost as much again as the validation's own parse.
 */
import { isBase64Alphabet } from '../core/xml/encoding.ts';

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

/**
 * How much of a base64 SAMLResponse {@link rootStartTagOfBase64} decodes: 1.5 KiB of XML, ample for a
 * Response start tag (namespaces, ID, InResponseTo, Destination, IssueInstant: about 400 bytes).
 */
const BASE64_HEAD_CHARS = 2048;

/**
 * {@link rootStartTag} of a base64-encoded message, decoding only its head: the test sign-in router reads the
 * root's unverified InResponseTo on every ACS request, and decoding (and checking) the whole base64 of every
 * response cost more than the tag's parse. Undefined when the head is not plain base64 or holds no usable
 * start tag: the caller then decodes the whole message the strict way.
 *
 * @example
 * ```ts
 * rootStartTagOfBase64(Buffer.from('<a x="1"><b/></a>').toString('base64')); // '<a x="1"/>'
 * ```
 */
export function rootStartTagOfBase64(value: string): string | undefined {
  const head = value.slice(0, BASE64_HEAD_CHARS).replace(/\s+/g, '');
  if (!isBase64Alphabet(head)) return undefined;
  // Whole groups of four only; a character cut at the end decodes as U+FFFD, after the tag we look for.
  const usable = head.length - (head.length % 4);
  return rootStartTag(Buffer.from(head.slice(0, usable), 'base64').toString('utf8'));
}
