/**
 * The one way SAML XML enters the toolkit: size-limited, DTD-free, depth-limited, namespace-aware, parsed once.
 *
 * SAML never needs a DOCTYPE, so any DTD or entity declaration is refused before parsing: that closes XXE,
 * billion-laughs and entity-based signature tricks in one place instead of trusting each parser's settings.
 *
 * Element depth and processing instructions are checked while the DOM is built, in the parser's own SAX
 * events, so that parsing stops at the first element past the limit: a hostile message costs what its first
 * `maxDepth` levels cost, never what the whole nesting would (20,000 levels took 130 ms to parse and then
 * overflowed the stack of every recursive reader: the canonicaliser, textContent, serialisation).
 */
import { DOMParser, type Document, type Element, type Node, ParseError } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { assertXmlCharacters } from './characters.ts';
import { LeanDomHandler, type SaxAttributes } from './dom-builder.ts';
import { memoizeXmldomGrammar } from './xmldom-grammar.ts';

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
  if (xml.includes('<!') && DTD_PATTERN.test(xml)) {
    throw new SamlSpError('SAML_DTD_FORBIDDEN', `The ${what} contains a DOCTYPE or ENTITY declaration.`, {
      hint: 'SAML messages never carry a DTD. This is either a broken IdP or an XML injection attempt (XXE, entity expansion).',
    });
  }
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
  const guard: ParseGuard = {
    what,
    maxDepth,
    allowProcessingInstructions: options.allowProcessingInstructions ?? false,
  };
  // Without xmldom's locator, which stamps a line and column on every node (5% of a validation). A document
  // that fails is parsed again with it, only to say where it fails: the refusal reads as it always did.
  const attempt = parseWithGuard(text, guard, false);
  if (guard.refusal) throw guard.refusal;
  if (attempt.failure) {
    const located = parseWithGuard(text, { ...guard, refusal: undefined }, true).failure ?? attempt.failure;
    throw malformed(what, located.reason, located.cause);
  }
  const doc = attempt.doc!;
  // The hook is an xmldom option it marks internal: if an upgrade stopped honouring it, the depth limit would
  // be gone without a sound. A document with a root element has passed through startElement at least once.
  if (!guard.sawElement) throw new Error('parseXml: xmldom did not use the depth-limiting SAX handler.');
  return doc;
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

/** What the SAX hook enforces, and the refusal it raised (the parser itself only sees a ParseError). */
interface ParseGuard {
  what: string;
  maxDepth: number;
  allowProcessingInstructions: boolean;
  refusal?: SamlSpError;
  /** Set by the handler: proof that xmldom used it. */
  sawElement?: true;
}

// xmldom builds its DOM from SAX events through a handler class (the `domHandler` option): ours is xmldom's
// own minus its redundant checks (dom-builder.ts), and counts depth and watches for processing instructions on
// the way. xmldom rethrows a ParseError from a handler at once, which stops the parse at the offending element.

// The guard of the parse in progress. parseFromString is synchronous, so one slot is enough, and one class for
// every parse keeps xmldom's calls into the handler monomorphic (a class per parse made a response
// validation measurably slower: about 2.9 against 2.5 ms of CPU).
let activeGuard: ParseGuard | undefined;

class GuardedHandler extends LeanDomHandler {
  readonly #guard: ParseGuard;
  #depth = 0;

  constructor(options: unknown) {
    super(options);
    if (!activeGuard) throw new Error('GuardedHandler is only used by parseXml.');
    this.#guard = activeGuard;
  }

  override startElement(
    namespaceURI: string | undefined,
    localName: string,
    qName: string,
    attrs: SaxAttributes,
  ): void {
    const guard = this.#guard;
    this.#depth++;
    guard.sawElement = true;
    if (this.#depth > guard.maxDepth) stop(guard, tooDeep(guard));
    const repeated = repeatedExpandedName(attrs);
    if (repeated !== undefined) {
      // xmldom would keep one of the two silently (setAttributeNode replaces by namespace and local name).
      throw new ParseError(
        `attribute ${repeated} repeats the namespace and local name of another attribute of <${qName}> (Namespaces in XML 1.0, section 6.3)`,
      );
    }
    super.startElement(namespaceURI, localName, qName, attrs);
  }

  override endElement(namespaceURI: string | undefined, localName: string, qName: string): void {
    this.#depth--;
    super.endElement(namespaceURI, localName, qName);
  }

  override processingInstruction(target: string, data: string): void {
    // xmldom reports the XML declaration as a processing instruction, and only accepts it at offset 0.
    if (target.toLowerCase() !== 'xml' && !this.#guard.allowProcessingInstructions) {
      stop(this.#guard, processingInstruction(this.#guard.what, target));
    }
    super.processingInstruction(target, data);
  }
}

/**
 * The qualified name of an attribute whose expanded name (namespace, local name) another attribute of the same
 * element already has, e.g. `a:id` and `b:id` with `a` and `b` bound to the same namespace. xmldom refuses a
 * repeated qualified name but not this; libxml2 (hence xmlsec, Shibboleth) refuses both, and a parser that
 * keeps one of the two reads another document than theirs. Unprefixed attributes have no namespace, so their
 * qualified names are their expanded names and xmldom's own check covers them.
 */
function repeatedExpandedName(attrs: SaxAttributes): string | undefined {
  const n = attrs.length;
  if (n < 2) return undefined;
  let seen: Set<string> | undefined;
  for (let i = 0; i < n; i++) {
    const uri = attrs.getURI(i);
    if (!uri) continue;
    const qName = attrs.getQName(i);
    // NUL cannot occur in XML text, so the key is unambiguous.
    const key = `${uri}\u0000${qName.slice(qName.indexOf(':') + 1)}`;
    seen ??= new Set();
    if (seen.has(key)) return qName;
    seen.add(key);
  }
  return undefined;
}

/** One xmldom parse under `guard`: the document, or why xmldom refused it (a guard refusal is on the guard). */
function parseWithGuard(
  text: string,
  guard: ParseGuard,
  locator: boolean,
): { doc?: Document; failure?: { reason: string; cause?: unknown } } {
  let problem: string | undefined;
  const parser = new DOMParser({
    locator,
    onError: (level, message) => {
      if (level !== 'warning' || problem === undefined) problem ??= message;
    },
    domHandler: GuardedHandler,
  } as ConstructorParameters<typeof DOMParser>[0]);
  let doc: Document;
  activeGuard = guard;
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (cause) {
    if (guard.refusal) return {};
    return { failure: { reason: cause instanceof Error ? cause.message : String(cause), cause } };
  } finally {
    activeGuard = undefined;
  }
  if (guard.refusal) return {};
  if (problem !== undefined) return { failure: { reason: problem } };
  if (!doc.documentElement) return { failure: { reason: 'no root element' } };
  return { doc };
}

function stop(guard: ParseGuard, refusal: SamlSpError): never {
  guard.refusal = refusal;
  throw new ParseError(refusal.message);
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
