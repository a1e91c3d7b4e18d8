/**
 * The one way SAML XML enters the toolkit: size-limited, DTD-free, depth-limited, namespace-aware, parsed once.
 *
 * SAML never needs a DOCTYPE, so any DTD or entity declaration is refused before parsing: that closes XXE,
 * billion-laughs and entity-based signature tricks in one place instead of trusting each parser's settings.
 *
 * The reader is our own strict XML 1.0 + Namespaces reader (tokenizer.ts, chosen by measurement: issue #16),
 * building an @xmldom/xmldom Document (dom-builder.ts). Element depth and processing instructions are checked
 * while the DOM is built, in the reader's events, so that parsing stops at the first element past the limit:
 * a hostile message costs what its first `maxDepth` levels cost, never what the whole nesting would (20,000 levels took 130 ms to parse and then
 * overflowed the stack of every recursive reader: the canonicaliser, textContent, serialisation).
 */
import { DOMException, type Document, type Element, type Node } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { assertXmlCharacters } from './characters.ts';
import { DomBuilder } from './dom-builder.ts';
import { lineAndColumn, type TokenAttributes, tokenizeXml, XmlSyntaxError } from './tokenizer.ts';
import { memoizeXmldomGrammar } from './xmldom-grammar.ts';

// parseXml no longer uses xmldom's SAX reader (tokenizer.ts), but xml-crypto, xml-encryption and the dev IdP
// still parse with a stock DOMParser in this process: the memo keeps them from compiling a RegExp per end tag.
memoizeXmldomGrammar();

/** Default limit for one SAML message or metadata document, in bytes of XML. */
export const DEFAULT_MAX_XML_BYTES = 256 * 1024;

/**
 * Default limit on element nesting. A SAML response is about 8 levels deep (Response > EncryptedAssertion >
 * EncryptedData > KeyInfo > EncryptedKey > EncryptionMethod > DigestMethod), a SOAP envelope adds 2, an
 * aggregate metadata document reaches about 12; 100 leaves room for any IdP extension.
 */
export const DEFAULT_MAX_XML_DEPTH = 100;

/**
 * The highest `maxDepth` accepted. The canonicaliser and xmldom's serialiser recurse once per level; this
 * keeps them far from the stack limit whatever the configuration.
 */
export const MAX_XML_DEPTH_LIMIT = 1000;

export interface ParseXmlOptions {
  maxBytes?: number;
  /** Deepest element nesting accepted (the root is depth 1). Default {@link DEFAULT_MAX_XML_DEPTH}. */
  maxDepth?: number;
  /**
   * Accept processing instructions (`<?target …?>`, other than the XML declaration). Default false: a SAML
   * message never carries one, and exclusive c14n renders them into signed bytes. Only metadata documents,
   * which some federations publish with an `<?xml-stylesheet?>`, turn this on.
   */
  allowProcessingInstructions?: boolean;
  /** Names the document in error messages ("SAML response", "IdP metadata"). */
  what?: string;
  /**
   * The caller has just passed this very text (no byte-order mark) through {@link assertSafeXmlText} with the
   * same `maxBytes`, so the size, DTD and character checks are not run twice. Only validateResponse sets it,
   * on the text its "size" step returned (the checks were 3% of a validation).
   */
  alreadyChecked?: boolean;
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
  // Every DOCTYPE or ENTITY declaration starts with "<!": most messages have none (no comment, no CDATA),
  // and a plain search for it is cheaper than the case-insensitive pattern (issue #16).
  if (xml.includes('<!') && DTD_PATTERN.test(xml)) throw dtdForbidden(what);
  assertXmlCharacters(xml, what);
  return xml;
}

/**
 * Parses XML after the safety checks. Parser warnings and errors are fatal: a SAML message is never "almost"
 * XML. Nesting deeper than `maxDepth` and processing instructions stop the parser where they occur.
 *
 * @example
 * ```ts
 * const doc = parseXml(xml, { what: 'SAML response', maxBytes: 256 * 1024, maxDepth: 100 });
 * ```
 */
export function parseXml(xml: string, options: ParseXmlOptions = {}): Document {
  const what = options.what ?? 'XML document';
  const maxDepth = checkedMaxDepth(options.maxDepth);
  // A UTF-8 byte-order mark (Entra's metadata has one) is not content.
  const unmarked = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  const text = options.alreadyChecked ? unmarked : assertSafeXmlText(unmarked, options);
  const builder = new GuardedBuilder({
    what,
    maxDepth,
    maxElements: Math.ceil((options.maxBytes ?? DEFAULT_MAX_XML_BYTES) / BYTES_PER_ELEMENT_MIN),
    allowProcessingInstructions: options.allowProcessingInstructions ?? false,
  });
  try {
    tokenizeXml(text, builder);
  } catch (cause) {
    throw asParseError(cause, text, what);
  }
  return builder.doc;
}

/** What the reader or the builder threw, as the coded error parseXml reports. */
function asParseError(cause: unknown, text: string, what: string): unknown {
  if (cause instanceof SamlSpError) return cause; // the guard's own refusals (depth, processing instruction)
  if (cause instanceof XmlSyntaxError) {
    if (cause.kind === 'doctype') return dtdForbidden(what);
    const { line, column } = lineAndColumn(text, cause.offset);
    return malformed(what, `${cause.message} (line ${line}, column ${column})`, cause);
  }
  // xmldom's factories refusing a name the reader let through (namespaceWellFormed, dom-builder.ts).
  if (cause instanceof DOMException) return malformed(what, cause.message, cause);
  return cause;
}

/** Thrown by {@link rootAttribute}'s handler to stop the reader once the root's start tag is read. */
const ROOT_READ = Symbol('root read');

/**
 * One unqualified attribute of the root element, read by parseXml's strict reader without building a tree:
 * the reader stops after the root's start tag, so nothing after it is judged. Undefined when the root has no
 * such attribute. Throws what parseXml throws for what comes before (a DTD, a malformed prolog or start tag).
 *
 * @example
 * ```ts
 * rootAttribute('<p:Response xmlns:p="urn:p" InResponseTo="_1"/>', 'InResponseTo'); // '_1'
 * ```
 */
export function rootAttribute(
  xml: string,
  localName: string,
  options: ParseXmlOptions = {},
): string | undefined {
  const what = options.what ?? 'XML document';
  const unmarked = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  const text = assertSafeXmlText(unmarked, options);
  let value: string | undefined;
  const ignore = () => {};
  try {
    tokenizeXml(text, {
      startElement(_ns, _local, _qName, attrs) {
        for (let i = 0; i < attrs.length; i++) {
          if (attrs.qNames[i] === localName && attrs.namespaces[i] === null) value = attrs.values[i];
        }
        throw ROOT_READ;
      },
      endElement: ignore,
      text: ignore,
      cdata: ignore,
      comment: ignore,
      processingInstruction(target) {
        if (target !== 'xml') throw processingInstruction(what, target);
      },
    });
  } catch (cause) {
    if (cause !== ROOT_READ) throw asParseError(cause, text, what);
  }
  return value;
}

/**
 * Checks a `maxDepth` option: an integer from 1 to {@link MAX_XML_DEPTH_LIMIT}; undefined gives the default.
 * Validators check their options first (InvalidOptionError); this RangeError is the last guard.
 *
 * @example
 * ```ts
 * checkedMaxDepth(undefined); // 100
 * ```
 */
export function checkedMaxDepth(maxDepth: number | undefined): number {
  if (maxDepth === undefined) return DEFAULT_MAX_XML_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_XML_DEPTH_LIMIT) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${MAX_XML_DEPTH_LIMIT}, got ${maxDepth}.`);
  }
  return maxDepth;
}

/**
 * The fewest bytes per element a document at its size limit may average: at most `maxBytes / 16` elements are
 * built (16,384 for a 256 KiB message). A genuine element is 40 bytes and more (`<saml:AttributeValue>x</…>`),
 * so a genuine document stays far under the count; one of empty elements (`<a/>`, 4 bytes) would build about
 * 800 bytes of DOM per element, 200 per byte of input, and is stopped at a quarter of its size.
 */
const BYTES_PER_ELEMENT_MIN = 16;

/** What the builder enforces on the way. */
interface ParseGuard {
  what: string;
  maxDepth: number;
  maxElements: number;
  allowProcessingInstructions: boolean;
}

/**
 * The DOM builder, counting depth and watching for processing instructions. Throwing from an event stops the
 * reader where it is: nothing past the first element deeper than `maxDepth` is read.
 */
class GuardedBuilder extends DomBuilder {
  readonly #guard: ParseGuard;
  #depth = 0;
  #elements = 0;

  constructor(guard: ParseGuard) {
    super();
    this.#guard = guard;
  }

  override startElement(
    namespaceURI: string | null,
    localName: string,
    qName: string,
    attrs: TokenAttributes,
  ): void {
    if (++this.#depth > this.#guard.maxDepth) throw tooDeep(this.#guard);
    if (++this.#elements > this.#guard.maxElements) throw tooManyElements(this.#guard);
    super.startElement(namespaceURI, localName, qName, attrs);
  }

  override endElement(): void {
    this.#depth--;
    super.endElement();
  }

  override processingInstruction(target: string, data: string): void {
    // The reader reports the XML declaration (only ever at offset 0) as the processing instruction `xml`.
    if (target !== 'xml' && !this.#guard.allowProcessingInstructions) {
      throw processingInstruction(this.#guard.what, target);
    }
    super.processingInstruction(target, data);
  }
}

function dtdForbidden(what: string): SamlSpError {
  return new SamlSpError('SAML_DTD_FORBIDDEN', `The ${what} contains a DOCTYPE or ENTITY declaration.`, {
    hint: 'SAML messages never carry a DTD. This is either a broken IdP or an XML injection attempt (XXE, entity expansion).',
  });
}

function tooDeep({ what, maxDepth }: ParseGuard): SamlSpError {
  return new SamlSpError(
    'SAML_XML_TOO_DEEP',
    `The ${what} nests elements more than ${maxDepth} levels deep.`,
    {
      hint: `A genuine SAML message is about 10 levels deep. This one was refused while parsing, at level ${maxDepth + 1}: it is either broken or built to exhaust the parser. If an IdP really sends deeper XML (an unusual extension), raise maxDepth for this connection.`,
      details: { maxDepth },
    },
  );
}

function tooManyElements({ what, maxElements }: ParseGuard): SamlSpError {
  return new SamlSpError('SAML_MESSAGE_TOO_LARGE', `The ${what} holds more than ${maxElements} elements.`, {
    hint: `A genuine SAML message averages 40 bytes and more per element; this one was refused while parsing, at element ${maxElements + 1}: it is built to make the parser allocate. If an IdP really sends that many (tens of thousands of group values), raise the size limit for this connection: the element count allowed grows with it.`,
    details: { maxElements },
    status: 413,
  });
}

function processingInstruction(what: string, target: string): SamlSpError {
  const shown = target.slice(0, 40);
  return new SamlSpError(
    'SAML_PROCESSING_INSTRUCTION_FORBIDDEN',
    `The ${what} carries a processing instruction <?${shown} …?>.`,
    {
      hint: 'SAML messages never carry processing instructions (only the <?xml …?> declaration at the very start is allowed). Signed XML renders them into its canonical bytes, so they are refused. If the IdP adds one, report it to the IdP vendor.',
      details: { target: shown },
    },
  );
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
  return el ? textContentOf(el).trim() : undefined;
}

/**
 * `el.textContent`, without xmldom's tree walk for what SAML leaf elements hold: nothing, or one Text or
 * CDATA node (a signed view joins each text run into one node). Any other content takes `textContent`.
 */
export function textContentOf(el: Element): string {
  const only = el.firstChild;
  if (only === null) return '';
  if (only.nextSibling === null && (only.nodeType === 3 || only.nodeType === 4)) return only.nodeValue ?? '';
  return el.textContent ?? '';
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a base64 form/query value into UTF-8 text, refusing anything that is not base64. */
export function decodeBase64Xml(value: string, what: string): string {
  // What IdPs post is the canonical base64 of the message (padded, no line breaks). A value that is exactly
  // the encoding of what it decodes to is base64 by construction, so that check (a native decode and encode,
  // then one comparison) replaces the two regular-expression scans of the whole value below, which cost five
  // times more (issue #16). Anything else (line breaks, missing padding, a stray character) takes the strict
  // path, which decides as it always did.
  const bytes = Buffer.from(value, 'base64');
  if (value.length > 0 && bytes.toString('base64') === value) return bytes.toString('utf8');
  const compact = value.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64.test(compact)) {
    throw new SamlSpError('SAML_MALFORMED', `The ${what} is not valid base64.`, {
      hint: 'The HTTP-POST binding carries base64-encoded XML in the form field. Check the binding the IdP uses.',
    });
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}
