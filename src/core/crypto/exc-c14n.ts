/**
 * Exclusive XML canonicalisation (W3C xml-exc-c14n 1.0, without comments) of one element of a parsed xmldom
 * document: the bytes every signature we verify is computed over (responses, logout messages, metadata).
 *
 * Our own implementation (issue #16; it replaced xml-crypto's canonicaliser on the verification path, which
 * recursed per level, joined arrays per node and escaped with a regex replace per text). What it guarantees,
 * and why each point matters for signatures:
 * - **Spec-exact bytes.** Any difference from what the signer canonicalised is either a false refusal or, worse,
 *   two different documents with one digest. The rules implemented (exc-c14n §3, C14N 1.0 §2.3):
 *   elements as `<qname ns* attrs*>…</qname>` with no empty-element shorthand; comments left out; text and
 *   CDATA as escaped text (`&amp; &lt; &gt; &#xD;`); attribute values escaped (`&amp; &lt; &quot; &#x9; &#xA;
 *   &#xD;`); attributes sorted by namespace URI (none first), then local name; namespace declarations sorted
 *   by prefix (the default, which has none, first), their values escaped like attribute values. A namespace
 *   is declared on an element when the element visibly utilises it (its own prefix, or the default namespace
 *   for an unprefixed element, or an attribute's prefix; never `xml`) or its prefix is in the InclusiveNamespaces
 *   PrefixList (`#default` for the default namespace), and the nearest output ancestor does not already have
 *   that prefix with that value in the output (for the default namespace the initial value is empty, so
 *   `xmlns=""` is written only under an output ancestor with a non-empty default). On the apex, PrefixList
 *   prefixes declared by ancestors outside the subtree are rendered too (they are in scope). Orderings compare
 *   code points (libxml2's byte order on UTF-8), never the locale.
 * - **Held against two other implementations.** test/core/crypto/exc-c14n.differential.test.ts requires equal
 *   bytes with xml-crypto on every fixture, the attack corpus, the fuzzer's mutants and generated namespace-heavy
 *   documents; where xml-crypto departs from the spec (listed there: `xmlns=""` repeated under an undeclared
 *   default, prefixes sorted by locale, attributes sorted by URI+name concatenated, `#default` ignored,
 *   attributes named `xmlns…` dropped, empty CDATA thrown on, and more) the bytes must equal libxml2's, through
 *   xmlsec1.
 * - **Hostile input.** One iterative walk over the DOM links, the namespace scopes an undo log: no nesting depth
 *   overflows the stack. Sorting is O(n log n) however many attributes or declarations one element carries.
 * - **Refusals** (c14n-refusals.ts), SAML_STRUCTURE_INVALID: a processing instruction inside the subtree (exactly
 *   as before: exc-c14n would render it, no SAML message carries one, and canonicalisers disagree on it), a node
 *   of a type a parsed SAML element never holds, and namespace names the implementations do not agree on
 *   (relative URIs, which C14N says MUST fail; names that are not plain ASCII URIs; names with `&`).
 * - **The document is left as it was.** The enveloped Signature (`exclude`) is skipped during the walk, not
 *   detached; nothing is cloned or written.
 * Calling the canonicaliser ourselves (rather than xml-crypto's SignedXml.checkSignature) also keeps
 * verification free of XPath and of a whole-document re-parse.
 */
import { createHash } from 'node:crypto';
import type { Attr, Element, Node } from '@xmldom/xmldom';
import { checkNamespaceValue, refusal, unboundPrefix } from './c14n-refusals.ts';
import { compareCodePoints, escapeAttributeValue, escapeText } from './c14n-text.ts';

const XMLNS = 'http://www.w3.org/2000/xmlns/';
const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const COMMENT = 8;

/** Options of {@link canonicalizeExclusive}. */
export interface ExcC14nOptions {
  /** InclusiveNamespaces PrefixList of the transform (prefixes rendered even when not visibly used). */
  prefixList?: readonly string[];
  /** A direct or nested descendant to leave out: the enveloped-signature transform. */
  exclude?: Element;
}

/**
 * Returns the exclusive canonical form of `element`, leaving `options.exclude` out. The document is not
 * changed.
 *
 * @example
 * ```ts
 * const bytes = canonicalizeExclusive(assertion, { exclude: signatureElement });
 * ```
 */
export function canonicalizeExclusive(element: Element, options: ExcC14nOptions = {}): string {
  return walkOf(element, options).run(undefined);
}

/**
 * Above this many UTF-16 units the output goes to the digest and starts again (see {@link digestExclusive}).
 * SAML messages stay far below it: their canonical form is still hashed in one piece.
 */
const DIGEST_CHUNK = 64 * 1024;

/**
 * The `algorithm` digest (a node:crypto hash name) of {@link canonicalizeExclusive}'s bytes, hashed as they are
 * produced, in pieces of about 64 KiB: a 15 MB federation aggregate is never held as one string (as a rope of a
 * million pieces it cost more to flatten and collect than to hash). The same bytes: the pieces are cut only
 * between whole rendered parts, never inside a character.
 *
 * @example
 * ```ts
 * const digest = digestExclusive(aggregate, { exclude: signatureElement }, 'sha256');
 * ```
 */
export function digestExclusive(element: Element, options: ExcC14nOptions, algorithm: string): Buffer {
  const hash = createHash(algorithm);
  const rest = walkOf(element, options).run((piece) => hash.update(piece, 'utf8'));
  return hash.update(rest, 'utf8').digest();
}

/** The canonicalisation of `element` with `options`, once the node to exclude is known to be inside it. */
function walkOf(element: Element, options: ExcC14nOptions): Walk {
  const exclude = options.exclude;
  if (exclude && !isInside(exclude, element)) {
    throw new Error('The node to exclude is not inside the element being canonicalised.');
  }
  return new Walk(element, options.prefixList ?? [], exclude);
}

/** One canonicalisation: the output and the namespace bindings in force in it. */
class Walk {
  /** Prefix ('' for the default namespace) → the value in force in the output; absent: none (default: ''). */
  private readonly rendered = new Map<string, string>();
  /** Undo log of `rendered`: prefix and previous value, restored when the element that changed it closes. */
  private readonly undoPrefixes: string[] = [];
  private readonly undoValues: (string | undefined)[] = [];
  /** Undo-log length at each open element. */
  private readonly marks: number[] = [];
  /** Declarations of the element being opened, as pairs (prefix, value). */
  private readonly declarations: string[] = [];
  private readonly attributes: Attr[] = [];
  private readonly listed: ReadonlySet<string>;
  private readonly defaultListed: boolean;
  private readonly apex: Element;
  private readonly exclude: Element | undefined;

  constructor(apex: Element, prefixList: readonly string[], exclude: Element | undefined) {
    this.apex = apex;
    this.exclude = exclude;
    this.listed = new Set(prefixList.filter((p) => p !== '#default' && p !== 'xml'));
    this.defaultListed = prefixList.includes('#default');
  }

  /**
   * Renders the subtree and returns the output. With `flush`, each time the output reaches DIGEST_CHUNK units
   * after a whole part (start tag, end tag or text) it goes to `flush` and starts again; the rest is returned.
   */
  run(flush: ((piece: string) => void) | undefined): string {
    // The output is a local string (V8 joins the pieces as ropes and flattens once, when it is hashed).
    let out = this.open(this.apex, true);
    let parent: Element = this.apex;
    let node: Node | null = this.apex.firstChild;
    for (;;) {
      if (flush !== undefined && out.length >= DIGEST_CHUNK) {
        flush(out);
        out = '';
      }
      if (node === null) {
        out += `</${parent.tagName}>`;
        this.close();
        if (parent === this.apex) return out;
        node = parent.nextSibling;
        parent = parent.parentNode as Element;
        continue;
      }
      const type = node.nodeType;
      if (type === ELEMENT) {
        if (node !== this.exclude) {
          out += this.open(node as Element, false);
          parent = node as Element;
          node = node.firstChild;
          continue;
        }
      } else if (type === TEXT || type === CDATA) {
        out += escapeText((node as unknown as { data: string }).data);
      } else if (type !== COMMENT) {
        throw refusal(this.apex, this.exclude, type);
      }
      node = node.nextSibling;
    }
  }

  /** Renders the start tag of `el` and brings the namespace bindings in force to its scope. */
  private open(el: Element, isApex: boolean): string {
    this.marks.push(this.undoPrefixes.length);
    const declarations = this.declarations;
    const attributes = this.attributes;
    declarations.length = 0;
    attributes.length = 0;

    // The element's own namespace: its prefix, or the default namespace (empty when it is in none).
    const prefix = el.prefix;
    if (prefix) {
      if (el.namespaceURI === null) throw unboundPrefix(prefix);
      if (prefix !== 'xml') this.utilise(prefix, el.namespaceURI);
    } else {
      this.utilise('', el.namespaceURI ?? '');
    }
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const attr = attrs[i]!;
      if (attr.namespaceURI === XMLNS) {
        checkNamespaceValue(attr.value);
        // A declaration: rendered only through the PrefixList (inclusive for its prefixes).
        if (attr.prefix === 'xmlns') {
          if (this.listed.has(attr.localName!)) this.utilise(attr.localName!, attr.value);
        } else if (this.defaultListed) {
          this.utilise('', attr.value);
        }
        continue;
      }
      attributes.push(attr);
      const attrPrefix = attr.prefix;
      if (attrPrefix && attrPrefix !== 'xml') {
        if (attr.namespaceURI === null) throw unboundPrefix(attrPrefix);
        this.utilise(attrPrefix, attr.namespaceURI);
      }
    }
    if (isApex) this.inheritListed(el);

    let out = `<${el.tagName}`;
    if (declarations.length > 0) {
      if (declarations.length > 2) sortPairs(declarations);
      for (let i = 0; i < declarations.length; i += 2) {
        const declared = declarations[i]!;
        out += `${declared === '' ? ' xmlns="' : ` xmlns:${declared}="`}${escapeAttributeValue(declarations[i + 1]!)}"`;
      }
    }
    if (attributes.length > 1) sortAttributes(attributes);
    for (let i = 0; i < attributes.length; i++) {
      const attr = attributes[i]!;
      out += ` ${attr.name}="${escapeAttributeValue(attr.value)}"`;
    }
    return `${out}>`;
  }

  /** Leaves the scope of the element whose end tag was written: its namespace bindings are undone. */
  private close(): void {
    const mark = this.marks.pop()!;
    if (this.undoPrefixes.length === mark) return;
    for (let i = this.undoPrefixes.length - 1; i >= mark; i--) {
      const previous = this.undoValues[i];
      if (previous === undefined) this.rendered.delete(this.undoPrefixes[i]!);
      else this.rendered.set(this.undoPrefixes[i]!, previous);
    }
    this.undoPrefixes.length = mark;
    this.undoValues.length = mark;
  }

  /**
   * The element needs `prefix` bound to `value` in the output: declares it unless the output already has
   * exactly that binding in force (for the default namespace, none in force means the empty value).
   */
  private utilise(prefix: string, value: string): void {
    const current = this.rendered.get(prefix);
    if (current === value || (current === undefined && prefix === '' && value === '')) return;
    checkNamespaceValue(value); // declared outside the subtree (inherited through the PrefixList or visibly used)
    this.undoPrefixes.push(prefix);
    this.undoValues.push(current);
    this.rendered.set(prefix, value);
    this.declarations.push(prefix, value);
  }

  /** On the apex: the PrefixList's prefixes in scope from ancestors outside the subtree. */
  private inheritListed(apex: Element): void {
    if (this.listed.size === 0 && !this.defaultListed) return;
    const seen = new Set<string>();
    for (let n: Node | null = apex; n && n.nodeType === ELEMENT; n = n.parentNode) {
      const attrs = (n as Element).attributes;
      for (let i = 0; i < attrs.length; i++) {
        const attr = attrs[i]!;
        if (attr.namespaceURI !== XMLNS) continue;
        const declared = attr.prefix === 'xmlns' ? attr.localName! : '';
        if (seen.has(declared)) continue;
        seen.add(declared); // the nearest declaration is the one in scope
        if (declared === '' ? this.defaultListed : this.listed.has(declared))
          this.utilise(declared, attr.value);
      }
    }
  }
}

/**
 * Elements carry a few declarations and attributes: insertion sort, no allocation. Above this many (a hostile
 * message can put thousands on one element), the built-in O(n log n) sort.
 */
const INSERTION_SORT_MAX = 16;

/** Sorts (prefix, value) pairs by prefix, in place. */
function sortPairs(pairs: string[]): void {
  if (pairs.length > 2 * INSERTION_SORT_MAX) {
    const sorted: [string, string][] = [];
    for (let i = 0; i < pairs.length; i += 2) sorted.push([pairs[i]!, pairs[i + 1]!]);
    sorted.sort((a, b) => compareCodePoints(a[0], b[0]));
    for (let i = 0; i < sorted.length; i++) {
      pairs[2 * i] = sorted[i]![0];
      pairs[2 * i + 1] = sorted[i]![1];
    }
    return;
  }
  for (let i = 2; i < pairs.length; i += 2) {
    const prefix = pairs[i]!;
    const value = pairs[i + 1]!;
    let j = i - 2;
    while (j >= 0 && compareCodePoints(pairs[j]!, prefix) > 0) {
      pairs[j + 2] = pairs[j]!;
      pairs[j + 3] = pairs[j + 1]!;
      j -= 2;
    }
    pairs[j + 2] = prefix;
    pairs[j + 3] = value;
  }
}

/** Sorts attributes by namespace URI (none first), then local name, in place. */
function sortAttributes(attributes: Attr[]): void {
  if (attributes.length > INSERTION_SORT_MAX) {
    attributes.sort(compareAttributes);
    return;
  }
  for (let i = 1; i < attributes.length; i++) {
    const attr = attributes[i]!;
    let j = i - 1;
    while (j >= 0 && compareAttributes(attributes[j]!, attr) > 0) {
      attributes[j + 1] = attributes[j]!;
      j--;
    }
    attributes[j + 1] = attr;
  }
}

function compareAttributes(a: Attr, b: Attr): number {
  return (
    compareCodePoints(a.namespaceURI ?? '', b.namespaceURI ?? '') ||
    compareCodePoints(a.localName ?? a.name, b.localName ?? b.name)
  );
}

function isInside(node: Node, ancestor: Element): boolean {
  for (let n = node.parentNode; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}
