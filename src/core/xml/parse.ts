/**
 * The one way SAML XML enters the toolkit: size-limited, DTD-free, namespace-aware, parsed once.
 *
 * SAML never needs a DOCTYPE, so any DTD or entity declaration is refused before parsing: that closes XXE,
 * billion-laughs and entity-based signature tricks in one place instead of trusting each parser's settings.
 */
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { assertXmlCharacters } from './characters.ts';

/** Default limit for one SAML message or metadata document, in bytes of XML. */
export const DEFAULT_MAX_XML_BYTES = 256 * 1024;

export interface ParseXmlOptions {
  maxBytes?: number;
  /** Names the document in error messages ("SAML response", "IdP metadata"). */
  what?: string;
}

const DTD_PATTERN = /<!DOCTYPE|<!ENTITY/i;

/** Refuses oversized or DTD-carrying input with a coded error; returns the input unchanged otherwise. */
export function assertSafeXmlText(xml: string, options: ParseXmlOptions = {}): string {
  const what = options.what ?? 'XML document';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const size = Buffer.byteLength(xml, 'utf8');
  if (size > maxBytes) {
    throw new SamlSpError(
      'SAML_MESSAGE_TOO_LARGE',
      `The ${what} is ${size} bytes; the limit is ${maxBytes}.`,
      {
        hint: 'A genuine SAML message is a few kilobytes. If an IdP really sends more (many groups), raise the limit for this connection.',
        details: { size, maxBytes },
        status: 413,
      },
    );
  }
  if (DTD_PATTERN.test(xml)) {
    throw new SamlSpError('SAML_DTD_FORBIDDEN', `The ${what} contains a DOCTYPE or ENTITY declaration.`, {
      hint: 'SAML messages never carry a DTD. This is either a broken IdP or an XML injection attempt (XXE, entity expansion).',
    });
  }
  assertXmlCharacters(xml, what);
  return xml;
}

/** Parses XML after the safety checks. Parser warnings and errors are fatal: a SAML message is never "almost" XML. */
export function parseXml(xml: string, options: ParseXmlOptions = {}): Document {
  const what = options.what ?? 'XML document';
  // A UTF-8 byte-order mark (Entra's metadata has one) is not content.
  const text = assertSafeXmlText(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml, options);
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning' || problem === undefined) problem ??= message;
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (cause) {
    throw malformed(what, cause instanceof Error ? cause.message : String(cause), cause);
  }
  if (problem !== undefined) throw malformed(what, problem);
  if (!doc.documentElement) throw malformed(what, 'no root element');
  return doc;
}

function malformed(what: string, reason: string, cause?: unknown): SamlSpError {
  return new SamlSpError('SAML_MALFORMED', `The ${what} is not well-formed XML: ${reason}`, {
    hint: 'Check that the whole message arrived (proxies may truncate large POST bodies) and that it is XML.',
    cause,
  });
}

/** Element children of `parent` with the given namespace and local name, in document order. No XPath. */
export function childElements(parent: Node, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === localName && (n as Element).namespaceURI === ns) {
      out.push(n as Element);
    }
  }
  return out;
}

/** The single child with that name, or undefined; throws when there are several (a wrapping attempt). */
export function singleChild(parent: Node, ns: string, localName: string): Element | undefined {
  const found = childElements(parent, ns, localName);
  if (found.length > 1) {
    throw new SamlSpError(
      'SAML_STRUCTURE_INVALID',
      `Expected at most one <${localName}>, found ${found.length}.`,
      {
        hint: 'Duplicate SAML elements are a signature-wrapping pattern; a genuine IdP never sends them.',
      },
    );
  }
  return found[0];
}

/** Trimmed text content of an element (undefined when the element is missing). */
export function textOf(el: Element | undefined): string | undefined {
  return el?.textContent?.trim() ?? undefined;
}

/** Decodes a base64 form/query value into UTF-8 text, refusing anything that is not base64. */
export function decodeBase64Xml(value: string, what: string): string {
  const compact = value.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SamlSpError('SAML_MALFORMED', `The ${what} is not valid base64.`, {
      hint: 'The HTTP-POST binding carries base64-encoded XML in the form field. Check the binding the IdP uses.',
    });
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}
