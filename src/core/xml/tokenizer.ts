/**
 * A strict XML 1.0 (fifth edition) + Namespaces in XML 1.0 reader for what parseXml accepts: SAML messages and
 * metadata, never a DTD. It replaces xmldom's SAX reader on the parseXml path (issue #16, item 2: chosen by
 * measurement, see bench/parsers.bench.ts), and reports to a handler that builds the xmldom DOM.
 *
 * Why our own: xmldom's reader (a RegExp per tag and attribute name) was about 30% of a response validation,
 * and saxes 6 (strict and conformance-tested, tried first) reads one character at a time through a state
 * machine: with the DOM built from its events it saved a fifth of the parse, not enough for issue #16's
 * target. This reader finds each token's end with `indexOf` and checks names through an ASCII table, taking
 * the full NameStartChar/NameChar ranges only for non-ASCII characters. Every check it makes is linear in
 * the input; test/core/xml/well-formedness.test.ts holds its verdicts against libxml2's (xmllint) and its
 * trees against stock xmldom's.
 *
 * What it refuses (each with the offset where the document goes wrong): any DOCTYPE; entity references
 * other than the five predefined ones; character references to a character outside Char; `<` in an attribute
 * value; an end tag that is not exactly the open element's name; a repeated attribute, by qualified name or
 * by expanded name; unbound prefixes, undeclared prefixes (`xmlns:p=""`) and the `xml`/`xmlns` misuses of
 * Namespaces in XML section 3; an element named `xmlns` (XML allows it, xmldom cannot build it); `--` in a
 * comment; `]]>` in text; an XML declaration anywhere but at offset 0
 * or with a bad version, encoding or standalone; anything but whitespace, comments and processing
 * instructions outside the one root element. It normalises line ends (CRLF and CR to LF) everywhere and
 * attribute values as XML 1.0 section 3.3.3 says for CDATA attributes (a literal tab, CR or LF becomes a space;
 * a character reference stays the character it names).
 *
 * Not checked here: literal characters outside Char (NUL, C0 controls, lone surrogates). assertSafeXmlText
 * refuses those on the whole text before any parse, in one scan.
 */
import { NAMESPACE } from '@xmldom/xmldom';
import { isXmlChar } from './characters.ts';

/** A refusal: what is wrong and the offset (UTF-16 units into the text) where it was found. */
export class XmlSyntaxError extends Error {
  readonly offset: number;
  /** 'doctype' when the document carries a DTD (parseXml reports it as SAML_DTD_FORBIDDEN). */
  readonly kind: 'syntax' | 'doctype';

  constructor(message: string, offset: number, kind: 'syntax' | 'doctype' = 'syntax') {
    super(message);
    this.name = 'XmlSyntaxError';
    this.offset = offset;
    this.kind = kind;
  }
}

/** The attributes of one start tag, in document order. Reused from tag to tag: read them during the call. */
export interface TokenAttributes {
  length: number;
  qNames: string[];
  values: string[];
  namespaces: (string | null)[];
}

/** What the reader reports, in document order. A handler may throw to stop the parse where it is. */
export interface XmlTokenHandler {
  startElement(namespaceURI: string | null, localName: string, qName: string, attrs: TokenAttributes): void;
  endElement(): void;
  /** Character data, references resolved. Outside the root element, only whitespace followed by markup. */
  text(data: string): void;
  cdata(data: string): void;
  comment(data: string): void;
  /** Also the XML declaration, as target `xml` (what xmldom reports for it). */
  processingInstruction(target: string, data: string): void;
}

const XML_NS = NAMESPACE.XML;
const XMLNS_NS = NAMESPACE.XMLNS;

// ASCII character classes.
const NAME_START = 1;
const NAME_CHAR = 2;
const SPACE = 4;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) ASCII[c] = NAME_START | NAME_CHAR;
  else if (/[0-9.-]/.test(ch)) ASCII[c] = NAME_CHAR;
  else if (c === 0x20 || c === 0x9 || c === 0xa || c === 0xd) ASCII[c] = SPACE;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQ = 0x3d;
const QUOTE = 0x22;
const APOS = 0x27;
const QUESTION = 0x3f;
const BANG = 0x21;

/** XML 1.0 production [4] NameStartChar, beyond ASCII, for a BMP character. */
function isNonAsciiNameStart(c: number): boolean {
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    (c >= 0x200c && c <= 0x200d) ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd)
  );
}

/** Production [4a] NameChar beyond ASCII and NameStartChar. */
function isNonAsciiNameOnly(c: number): boolean {
  return c === 0xb7 || (c >= 0x300 && c <= 0x36f) || (c >= 0x203f && c <= 0x2040);
}

/**
 * The width (1 or 2 code units) of the non-ASCII name character at `i`, or 0. Supplementary characters
 * U+10000 to U+EFFFF are name characters: a high surrogate D800-DB7F followed by a low one.
 */
function nonAsciiNameWidth(s: string, i: number, start: boolean): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdb7f) {
    const low = s.charCodeAt(i + 1);
    return low >= 0xdc00 && low <= 0xdfff ? 2 : 0;
  }
  if (isNonAsciiNameStart(c)) return 1;
  return !start && isNonAsciiNameOnly(c) ? 1 : 0;
}

/** The end of the Name starting at `i` (production [5]), or `i` when none starts there. */
function nameEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c < 128) {
    if ((ASCII[c]! & NAME_START) === 0) return i;
    i++;
  } else {
    const w = nonAsciiNameWidth(s, i, true);
    if (w === 0) return i;
    i += w;
  }
  for (;;) {
    c = s.charCodeAt(i);
    if (c < 128) {
      if ((ASCII[c]! & NAME_CHAR) === 0) return i;
      i++;
    } else {
      const w = nonAsciiNameWidth(s, i, false); // NaN past the end: no range matches, w is 0
      if (w === 0) return i;
      i += w;
    }
  }
}

function isSpace(c: number): boolean {
  return c < 128 && (ASCII[c]! & SPACE) !== 0;
}

/** CRLF and lone CR to LF (XML 1.0 section 2.11). */
function normaliseLineEnds(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

/** What makes an attribute value differ from its literal: a reference, or a tab, LF or CR to normalise. */
const NOT_PLAIN_VALUE = /[&\t\n\r]/;

// XML 1.0 productions [26] VersionNum and [81] EncName.
const DECL_VERSION = /^1\.[0-9]+$/;
const DECL_ENCODING = /^[A-Za-z][A-Za-z0-9._-]*$/;

/**
 * Reads `xml` and reports it to `handler`. Throws XmlSyntaxError at the first problem, or whatever the
 * handler throws.
 *
 * @example
 * ```ts
 * tokenizeXml('<a xmlns="urn:x">t</a>', handler); // startElement('urn:x', 'a', 'a', …), text('t'), endElement()
 * ```
 */
export function tokenizeXml(xml: string, handler: XmlTokenHandler): void {
  new Reader(xml, handler).document();
}

class Reader {
  readonly #s: string;
  readonly #h: XmlTokenHandler;
  readonly #attrs: TokenAttributes = { length: 0, qNames: [], values: [], namespaces: [] };
  // Attribute prefixes and local names of the tag being read (parallel to #attrs).
  readonly #prefixes: (string | null)[] = [];
  readonly #locals: string[] = [];
  /** Open elements' qualified names, for exact end-tag matching. */
  readonly #open: string[] = [];
  /** Prefix bindings in scope ('' is the default namespace); an undo log restores them at each end tag. */
  readonly #bindings = new Map<string, string | null>([['xml', XML_NS]]);
  readonly #undo: { prefix: string; previous: string | null | undefined }[] = [];
  /** How many undo entries each open element pushed. */
  readonly #undoCounts: number[] = [];

  constructor(xml: string, handler: XmlTokenHandler) {
    this.#s = xml;
    this.#h = handler;
  }

  #fail(message: string, offset: number): never {
    throw new XmlSyntaxError(message, offset);
  }

  document(): void {
    const s = this.#s;
    let i = 0;
    if (s.startsWith('<?xml') && isSpace(s.charCodeAt(5))) i = this.#xmlDeclaration();
    i = this.#misc(i, false);
    if (i >= s.length) this.#fail('the document has no root element', i);
    i = this.#content(i);
    i = this.#misc(i, true);
    if (i < s.length)
      this.#fail('only comments, processing instructions and whitespace may follow the root element', i);
  }

  /** Production [23] XMLDecl, at offset 0; reported as the processing instruction xmldom makes of it. */
  #xmlDeclaration(): number {
    const s = this.#s;
    const end = s.indexOf('?>', 5);
    if (end < 0) this.#fail('the XML declaration is not closed', 0);
    const body = s.slice(5, end);
    // Names and values in their one allowed order, each pair preceded by whitespace.
    const pairs = /[ \t\r\n]+([a-z]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')/gy;
    const seen: string[] = [];
    let at = 0;
    for (let m = pairs.exec(body); m; m = pairs.exec(body)) {
      const name = m[1]!;
      const value = m[2] ?? m[3]!;
      const order = ['version', 'encoding', 'standalone'];
      const last = seen.length ? order.indexOf(seen[seen.length - 1]!) : -1;
      if (order.indexOf(name) <= last) this.#fail(`unexpected "${name}" in the XML declaration`, 5 + m.index);
      if (seen.length === 0 && name !== 'version')
        this.#fail('the XML declaration has no version', 5 + m.index);
      if (name === 'version' && !DECL_VERSION.test(value))
        this.#fail(`the XML declaration's version "${value}" is not 1.x`, 5 + m.index);
      if (name === 'encoding' && !DECL_ENCODING.test(value))
        this.#fail(`the XML declaration's encoding "${value}" is not an encoding name`, 5 + m.index);
      if (name === 'standalone' && value !== 'yes' && value !== 'no')
        this.#fail(`the XML declaration's standalone "${value}" is neither yes nor no`, 5 + m.index);
      seen.push(name);
      at = pairs.lastIndex;
    }
    if (seen.length === 0) this.#fail('the XML declaration has no version', 5);
    for (; at < body.length; at++) {
      if (!isSpace(body.charCodeAt(at))) this.#fail('the XML declaration is malformed', 5 + at);
    }
    let dataStart = 5;
    while (isSpace(s.charCodeAt(dataStart))) dataStart++;
    this.#h.processingInstruction('xml', normaliseLineEnds(s.slice(dataStart, end)));
    return end + 2;
  }

  /**
   * Production [27] Misc*: comments, processing instructions and whitespace, before or after the root. Returns
   * the offset of the root's `<` (prolog) or of what is not Misc. Whitespace followed by markup becomes a text
   * node of the document, as xmldom makes it; whitespace at the very end does not.
   */
  #misc(i: number, afterRoot: boolean): number {
    const s = this.#s;
    const n = s.length;
    for (;;) {
      const start = i;
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      if (i >= n) return i;
      if (s.charCodeAt(i) !== LT) {
        this.#fail(afterRoot ? 'text after the root element' : 'text before the root element', i);
      }
      if (i > start) this.#h.text(normaliseLineEnds(s.slice(start, i)));
      const next = s.charCodeAt(i + 1);
      if (next === BANG) {
        if (s.startsWith('<!--', i)) {
          i = this.#comment(i);
          continue;
        }
        this.#markupDeclaration(i);
      }
      if (next === QUESTION) {
        i = this.#processingInstruction(i);
        continue;
      }
      if (afterRoot) this.#fail('a document has one root element', i);
      return i;
    }
  }

  #markupDeclaration(i: number): never {
    if (this.#s.startsWith('<!DOCTYPE', i) || this.#s.startsWith('<!ENTITY', i)) {
      throw new XmlSyntaxError('a DOCTYPE or ENTITY declaration', i, 'doctype');
    }
    this.#fail('markup declarations are not allowed', i);
  }

  /** Production [15] Comment at `i` (the `<`); returns the offset after it. */
  #comment(i: number): number {
    const s = this.#s;
    const end = s.indexOf('--', i + 4);
    if (end < 0) this.#fail('the comment is not closed', i);
    if (s.charCodeAt(end + 2) !== GT) this.#fail('"--" inside a comment', end);
    this.#h.comment(normaliseLineEnds(s.slice(i + 4, end)));
    return end + 3;
  }

  /** Production [16] PI at `i`; returns the offset after it. The declaration's target `xml` is reserved. */
  #processingInstruction(i: number): number {
    const s = this.#s;
    const targetEnd = nameEnd(s, i + 2);
    if (targetEnd === i + 2) this.#fail('a processing instruction without a target', i);
    const target = s.slice(i + 2, targetEnd);
    if (target.toLowerCase() === 'xml') {
      this.#fail('the XML declaration is only allowed at the very start of the document', i);
    }
    if (target.includes(':')) this.#fail(`the processing instruction target "${target}" has a colon`, i);
    const end = s.indexOf('?>', targetEnd);
    if (end < 0) this.#fail('the processing instruction is not closed', i);
    let dataStart = targetEnd;
    if (dataStart < end && !isSpace(s.charCodeAt(dataStart))) {
      this.#fail('whitespace must separate a processing instruction target from its data', dataStart);
    }
    while (dataStart < end && isSpace(s.charCodeAt(dataStart))) dataStart++;
    this.#h.processingInstruction(target, normaliseLineEnds(s.slice(dataStart, end)));
    return end + 2;
  }

  /** The root element and everything in it; returns the offset after its end tag. */
  #content(i: number): number {
    const s = this.#s;
    const n = s.length;
    const h = this.#h;
    const open = this.#open;
    i = this.#startTag(i);
    while (open.length > 0) {
      const lt = s.indexOf('<', i);
      if (lt < 0) this.#fail(`<${open[open.length - 1]}> is not closed`, n);
      if (lt > i) h.text(this.#text(i, lt));
      const next = s.charCodeAt(lt + 1);
      if (next === SLASH) i = this.#endTag(lt);
      else if (next === BANG) {
        if (s.startsWith('<!--', lt)) i = this.#comment(lt);
        else if (s.startsWith('<![CDATA[', lt)) i = this.#cdata(lt);
        else this.#markupDeclaration(lt);
      } else if (next === QUESTION) i = this.#processingInstruction(lt);
      else i = this.#startTag(lt);
    }
    return i;
  }

  /** Character data from `start` to `end` (the next `<`): references resolved, line ends normalised. */
  #text(start: number, end: number): string {
    const s = this.#s;
    const raw = s.slice(start, end);
    const close = raw.indexOf(']]>');
    if (close >= 0) this.#fail('"]]>" in text', start + close);
    if (raw.includes('&')) return this.#resolve(normaliseLineEnds(raw), start, false);
    return normaliseLineEnds(raw);
  }

  /**
   * Resolves the references in `raw` (which starts at offset `at` of the document); in an attribute value,
   * literal tab and LF (CR is already LF) also become spaces.
   */
  #resolve(raw: string, at: number, attribute: boolean): string {
    let out = '';
    let from = 0;
    for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', from)) {
      out += attribute ? spaced(raw.slice(from, amp)) : raw.slice(from, amp);
      const semi = raw.indexOf(';', amp + 1);
      if (semi < 0) this.#fail('"&" not starting a reference (write &amp;)', at + amp);
      out += this.#reference(raw.slice(amp + 1, semi), at + amp);
      from = semi + 1;
    }
    return out + (attribute ? spaced(raw.slice(from)) : raw.slice(from));
  }

  /** The character an entity or character reference (without `&` and `;`) stands for. */
  #reference(name: string, at: number): string {
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    let code = Number.NaN;
    if (/^#x[0-9A-Fa-f]+$/.test(name)) code = Number.parseInt(name.slice(2), 16);
    else if (/^#[0-9]+$/.test(name)) code = Number.parseInt(name.slice(1), 10);
    else if (name.startsWith('#')) this.#fail(`the character reference &${name}; is malformed`, at);
    else if (nameEnd(name, 0) === name.length && name.length > 0) {
      this.#fail(`the entity &${name}; is not defined (only &lt; &gt; &amp; &quot; &apos; are)`, at);
    } else this.#fail('"&" not starting a reference (write &amp;)', at);
    if (!isXmlChar(code)) this.#fail(`the character reference &${name}; is not an XML character`, at);
    return String.fromCodePoint(code);
  }

  /** Production [18] CDSect at `i`; returns the offset after it. */
  #cdata(i: number): number {
    const s = this.#s;
    const end = s.indexOf(']]>', i + 9);
    if (end < 0) this.#fail('the CDATA section is not closed', i);
    this.#h.cdata(normaliseLineEnds(s.slice(i + 9, end)));
    return end + 3;
  }

  /** Production [42] ETag at `i`: exactly the open element's name. */
  #endTag(i: number): number {
    const s = this.#s;
    const open = this.#open;
    const qName = open[open.length - 1]!;
    let j = i + 2;
    // After the exact name only whitespace or ">" may follow (production [42]), so a longer name fails too.
    const after = s.charCodeAt(j + qName.length);
    if (!s.startsWith(qName, j) || !(after === GT || isSpace(after))) {
      const found = s.slice(j, Math.max(nameEnd(s, j), j + 1)).slice(0, 60);
      this.#fail(`the end tag </${found}> does not match the start tag <${qName}>`, i);
    }
    j += qName.length;
    while (isSpace(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== GT) this.#fail(`the end tag </${qName}> is not closed by ">"`, j);
    open.pop();
    this.#popBindings();
    this.#h.endElement();
    return j + 1;
  }

  /** Production [40] STag or [44] EmptyElemTag at `i`; returns the offset after it. */
  #startTag(i: number): number {
    const s = this.#s;
    const nameStart = i + 1;
    const nameStop = nameEnd(s, nameStart);
    if (nameStop === nameStart) this.#fail('"<" not starting a tag (write &lt;)', i);
    const qName = s.slice(nameStart, nameStop);
    const attrs = this.#attrs;
    const prefixes = this.#prefixes;
    const locals = this.#locals;
    let count = 0;
    let declared = 0;
    let j = nameStop;
    let selfClosing = false;
    for (;;) {
      const spaceStart = j;
      while (isSpace(s.charCodeAt(j))) j++;
      const c = s.charCodeAt(j);
      if (c === GT) {
        j++;
        break;
      }
      if (c === SLASH) {
        if (s.charCodeAt(j + 1) !== GT) this.#fail('"/" in a tag not followed by ">"', j);
        j += 2;
        selfClosing = true;
        break;
      }
      if (j === spaceStart) {
        this.#fail(
          j >= s.length ? `<${qName}> is not closed` : `unexpected character in the tag <${qName}>`,
          j,
        );
      }
      // Attribute: Name Eq AttValue.
      const attrStop = nameEnd(s, j);
      if (attrStop === j) this.#fail(`unexpected character in the tag <${qName}>`, j);
      const attrName = s.slice(j, attrStop);
      j = attrStop;
      while (isSpace(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== EQ) this.#fail(`the attribute ${attrName} has no value`, j);
      j++;
      while (isSpace(s.charCodeAt(j))) j++;
      const quote = s.charCodeAt(j);
      if (quote !== QUOTE && quote !== APOS) this.#fail(`the value of ${attrName} is not quoted`, j);
      const valueStart = j + 1;
      const valueEnd = s.indexOf(quote === QUOTE ? '"' : "'", valueStart);
      if (valueEnd < 0) this.#fail(`the value of ${attrName} is not closed`, j);
      const raw = s.slice(valueStart, valueEnd);
      const lt = raw.indexOf('<');
      if (lt >= 0) this.#fail(`"<" in the value of ${attrName}`, valueStart + lt);
      const value = this.#attributeValue(raw, valueStart);
      j = valueEnd + 1;
      // Split the QName (Namespaces in XML production [7]) and note namespace declarations.
      const colon = attrName.indexOf(':');
      let prefix: string | null = null;
      let local = attrName;
      if (colon >= 0) {
        prefix = attrName.slice(0, colon);
        local = attrName.slice(colon + 1);
        if (colon === 0 || local === '' || local.includes(':')) {
          this.#fail(`the attribute name ${attrName} is not a qualified name`, valueStart);
        }
      }
      if (prefix === 'xmlns') {
        this.#declare(local, value, valueStart);
        declared++;
      } else if (prefix === null && attrName === 'xmlns') {
        this.#declare('', value, valueStart);
        declared++;
      }
      attrs.qNames[count] = attrName;
      attrs.values[count] = value;
      prefixes[count] = prefix;
      locals[count] = local;
      count++;
    }
    attrs.length = count;
    this.#undoCounts.push(declared);
    // The element's own name and namespace (its declarations are in scope on it).
    const colon = qName.indexOf(':');
    let namespace: string | null;
    let localName = qName;
    if (colon >= 0) {
      const prefix = qName.slice(0, colon);
      localName = qName.slice(colon + 1);
      if (colon === 0 || localName === '' || localName.includes(':')) {
        this.#fail(`the element name ${qName} is not a qualified name`, i);
      }
      if (prefix === 'xmlns') this.#fail(`the element <${qName}> uses the reserved prefix xmlns`, i);
      namespace = this.#bindings.get(prefix) ?? null;
      if (namespace === null) this.#fail(`the prefix ${prefix} of <${qName}> is not bound to a namespace`, i);
    } else {
      // XML allows an element named xmlns, but xmldom reserves the name for the XMLNS namespace and cannot
      // build it (createElementNS throws): refused here, where the offset is known.
      if (qName === 'xmlns') this.#fail('the element name xmlns is reserved for namespace declarations', i);
      namespace = this.#bindings.get('') ?? null;
    }
    this.#attributeNamespaces(qName, count, i);
    this.#open.push(qName);
    this.#h.startElement(namespace, localName, qName, attrs);
    if (selfClosing) {
      this.#open.pop();
      this.#popBindings();
      this.#h.endElement();
    }
    return j;
  }

  /** An attribute value, normalised (section 3.3.3) and with its references resolved. */
  #attributeValue(raw: string, at: number): string {
    // The common case: nothing to normalise or resolve, the slice itself (one native scan).
    if (!NOT_PLAIN_VALUE.test(raw)) return raw;
    const lines = normaliseLineEnds(raw);
    // Offsets in error messages point into `raw` only where no CRLF preceded them; close enough to find it.
    return lines.includes('&') ? this.#resolve(lines, at, true) : spaced(lines);
  }

  /** Binds `prefix` ('' for the default namespace) to `uri` for this element and its descendants. */
  #declare(prefix: string, uri: string, at: number): void {
    if (prefix === 'xmlns') this.#fail('the prefix xmlns must not be declared', at);
    if (prefix === 'xml' && uri !== XML_NS) this.#fail(`the prefix xml must be bound to ${XML_NS}`, at);
    if (prefix !== 'xml' && uri === XML_NS) {
      this.#fail(`only the prefix xml may be bound to ${XML_NS}`, at);
    }
    if (uri === XMLNS_NS) this.#fail(`no prefix may be bound to ${XMLNS_NS}`, at);
    if (prefix !== '' && uri === '') {
      this.#fail(`xmlns:${prefix}="" undeclares a prefix, which Namespaces in XML 1.0 does not allow`, at);
    }
    const bindings = this.#bindings;
    // Two declarations of one prefix on one element are a repeated attribute, refused below; the undo log
    // restores the binding from before the element either way.
    this.#undo.push({ prefix, previous: bindings.get(prefix) });
    bindings.set(prefix, uri === '' ? null : uri);
  }

  #popBindings(): void {
    const bindings = this.#bindings;
    const undo = this.#undo;
    for (let k = this.#undoCounts.pop()!; k > 0; k--) {
      const { prefix, previous } = undo.pop()!;
      if (previous === undefined) bindings.delete(prefix);
      else bindings.set(prefix, previous);
    }
  }

  /**
   * Resolves each attribute's namespace and refuses repeated attributes: the same qualified name (XML 1.0
   * WFC: Unique Att Spec) or the same expanded name (Namespaces in XML section 6.3; xmldom kept one of the
   * two silently, libxml2 and expat refuse). Linear: a Set once the tag has more than a few attributes.
   */
  #attributeNamespaces(elementName: string, count: number, at: number): void {
    const attrs = this.#attrs;
    const prefixes = this.#prefixes;
    const locals = this.#locals;
    const namespaces = attrs.namespaces;
    for (let k = 0; k < count; k++) {
      const prefix = prefixes[k];
      if (prefix === null) namespaces[k] = attrs.qNames[k] === 'xmlns' ? XMLNS_NS : null;
      else if (prefix === 'xmlns') namespaces[k] = XMLNS_NS;
      else {
        const uri = this.#bindings.get(prefix) ?? null;
        if (uri === null) {
          this.#fail(
            `the prefix ${prefix} of the attribute ${attrs.qNames[k]} is not bound to a namespace`,
            at,
          );
        }
        namespaces[k] = uri;
      }
    }
    if (count < 2) return;
    if (count <= 8) {
      for (let a = 1; a < count; a++) {
        for (let b = 0; b < a; b++) this.#compareAttributes(elementName, a, b, at);
      }
      return;
    }
    const seen = new Set<string>();
    for (let k = 0; k < count; k++) {
      const qName = attrs.qNames[k]!;
      if (seen.has(qName)) this.#repeated(elementName, qName, at);
      seen.add(qName);
    }
    const expanded = new Set<string>();
    for (let k = 0; k < count; k++) {
      const uri = namespaces[k];
      if (uri === null || prefixes[k] === null) continue;
      // NUL cannot occur in XML text, so the key is unambiguous.
      const key = `${uri}\u0000${locals[k]}`;
      if (expanded.has(key)) this.#sameExpandedName(elementName, attrs.qNames[k]!, at);
      expanded.add(key);
    }
  }

  #compareAttributes(elementName: string, a: number, b: number, at: number): void {
    const attrs = this.#attrs;
    if (attrs.qNames[a] === attrs.qNames[b]) this.#repeated(elementName, attrs.qNames[a]!, at);
    if (
      this.#prefixes[a] !== null &&
      this.#prefixes[b] !== null &&
      this.#locals[a] === this.#locals[b] &&
      attrs.namespaces[a] === attrs.namespaces[b]
    ) {
      this.#sameExpandedName(elementName, attrs.qNames[a]!, at);
    }
  }

  #repeated(elementName: string, qName: string, at: number): never {
    this.#fail(`the attribute ${qName} is repeated on <${elementName}>`, at);
  }

  #sameExpandedName(elementName: string, qName: string, at: number): never {
    this.#fail(
      `attribute ${qName} repeats the namespace and local name of another attribute of <${elementName}> (Namespaces in XML 1.0, section 6.3)`,
      at,
    );
  }
}

/** Literal tab and LF in an attribute value become spaces (CR is already LF). */
function spaced(s: string): string {
  return s.includes('\t') || s.includes('\n') ? s.replace(/[\t\n]/g, ' ') : s;
}

/**
 * The 1-based line and column of `offset` in `text`, counting CRLF, CR and LF as line ends.
 *
 * @example
 * ```ts
 * lineAndColumn('<a>\n<b', 5); // { line: 2, column: 2 }
 * ```
 */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let k = 0; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === 0xa || (c === 0xd && text.charCodeAt(k + 1) !== 0xa)) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
