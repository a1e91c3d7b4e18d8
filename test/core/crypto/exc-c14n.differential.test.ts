/**
 * Our exclusive canonicaliser (src/core/crypto/exc-c14n.ts, issue #16) against two other implementations.
 * Canonical bytes are what a signature covers: any difference is a false refusal at best and, at worst, two
 * documents with one digest. So:
 * 1. Against xml-crypto (the canonicaliser we verified with before, still the one we sign with): equal bytes
 *    for every element of every fixture (responses of every signing and encryption shape, logout messages,
 *    recorded IdP metadata), the attack corpus of signed-view.test.ts, the fuzzer's mutants, and generated
 *    namespace-heavy documents, each element canonicalised with and without its enveloped Signature and with
 *    PrefixLists.
 * 2. Where xml-crypto departs from the spec, the bytes must equal libxml2's (through xmlsec1, ./libxml2-c14n.ts).
 *    The cases where that is known to happen (KNOWN below) are pinned one by one; in the generated and fuzzed
 *    documents every disagreement with xml-crypto is sent to xmlsec1 and must match it.
 * 3. A sample of generated documents goes to xmlsec1 whatever xml-crypto says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeExclusive } from '../../../src/core/crypto/exc-c14n.ts';
import { SamlSpError } from '../../../src/core/errors.ts';
import { logoutRequestXml, logoutResponseXml } from '../../fixtures/build-logout.ts';
import { buildResponseXml } from '../../fixtures/build-response.ts';
import { applyPlan, mutationPlan } from '../../fuzz/mutate.ts';
import { logoutSeeds, metadataSeeds, responseSeeds } from '../../fuzz/seeds.ts';
import { FIXTURES, INVISIBLE, STRUCTURAL } from '../response/signed-view-corpus.ts';
import { XMLSEC1 } from '../xmlsec.ts';
import { elementsInOrder, oursAndLibxml2 } from './libxml2-c14n.ts';
import { xmlCryptoExclusive } from './xml-crypto-c14n.ts';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const HAVE_XMLSEC1 = existsSync(XMLSEC1);

function parse(xml: string): Document | undefined {
  let failed = false;
  try {
    const doc = new DOMParser({
      onError: (level) => {
        if (level !== 'warning') failed = true;
      },
    }).parseFromString(xml.replace(/^\ufeff/, ''), 'text/xml');
    return failed || !doc.documentElement ? undefined : doc;
  } catch {
    return undefined; // xmldom throws on fatal errors: not a document to canonicalise
  }
}

function directSignature(el: Element): Element | undefined {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === 'Signature' && (n as Element).namespaceURI === DSIG)
      return n as Element;
  }
  return undefined;
}

/** Whether a processing instruction sits under `root` outside `exclude` (ours refuses those, by design). */
function hasProcessingInstruction(root: Node, exclude?: Node): boolean {
  for (let n = root.firstChild; n; n = n.nextSibling) {
    if (n === exclude) continue;
    if (n.nodeType === 7 || hasProcessingInstruction(n, exclude)) return true;
  }
  return false;
}

function depthOf(el: Node): number {
  let depth = 0;
  const stack: [Node, number][] = [[el, 0]];
  while (stack.length > 0) {
    const [n, d] = stack.pop()!;
    depth = Math.max(depth, d);
    for (let c = n.firstChild; c; c = c.nextSibling) stack.push([c, d + 1]);
  }
  return depth;
}

type Outcome = { same: true } | { same: false; ours: string; reference: string | Error };

/**
 * Ours against xml-crypto for one apex. Subtrees ours refuses by design (a processing instruction) and those
 * too deep for xml-crypto's recursion are checked for the refusal / skipped.
 */
function compare(el: Element, prefixList: readonly string[], exclude: Element | undefined): Outcome {
  const options = { prefixList, ...(exclude ? { exclude } : {}) };
  if (hasProcessingInstruction(el, exclude)) {
    expect(() => canonicalizeExclusive(el, options)).toThrow(SamlSpError);
    return { same: true };
  }
  const ours = canonicalizeExclusive(el, options);
  let reference: string | Error;
  try {
    reference = xmlCryptoExclusive(el, options);
  } catch (err) {
    reference = err as Error;
  }
  return ours === reference ? { same: true } : { same: false, ours, reference };
}

/** Every element of the document, with its enveloped Signature left out and kept, and with PrefixLists. */
function compareDocument(
  xml: string,
  prefixLists: readonly (readonly string[])[] = [[]],
): { compared: number; disagreements: { index: number; prefixList: readonly string[]; exclude: boolean }[] } {
  const doc = parse(xml);
  if (!doc) return { compared: 0, disagreements: [] };
  const all = elementsInOrder(doc);
  if (all.length > 0 && depthOf(doc.documentElement!) > 2_000) return { compared: 0, disagreements: [] };
  const disagreements: { index: number; prefixList: readonly string[]; exclude: boolean }[] = [];
  let compared = 0;
  all.forEach((el, index) => {
    const signature = directSignature(el);
    for (const prefixList of prefixLists) {
      for (const exclude of signature ? [signature, undefined] : [undefined]) {
        const outcome = compare(el, prefixList, exclude);
        compared++;
        if (!outcome.same) disagreements.push({ index, prefixList, exclude: exclude !== undefined });
      }
    }
  });
  return { compared, disagreements };
}

/** A disagreement with xml-crypto is acceptable only where ours is libxml2's byte for byte. */
function settleWithLibxml2(
  xml: string,
  d: { index: number; prefixList: readonly string[]; exclude: boolean },
) {
  const doc = parse(xml)!;
  const el = elementsInOrder(doc)[d.index]!;
  const exclude = d.exclude ? directSignature(el) : undefined;
  const { ours, libxml2, text } = oursAndLibxml2(doc, d.index, {
    prefixList: d.prefixList,
    ...(exclude ? { exclude } : {}),
  });
  expect(ours, `ours and libxml2 differ on\n${text}`).toBe(libxml2);
}

// ---------------------------------------------------------------------------------------------------------
// 1. Fixtures and the attack corpus: equal to xml-crypto, no exception

const PREFIX_LISTS: readonly (readonly string[])[] = [[], ['xs'], ['saml', 'ds', 'xsi', 'xs']];

describe('equal to xml-crypto on every fixture', () => {
  it('responses of every shape, logout messages, recorded metadata, fuzz seeds', async () => {
    const documents: [string, string][] = [];
    for (const sign of ['none', 'assertion', 'response', 'both'] as const)
      documents.push([`response ${sign}`, await buildResponseXml({ sign })]);
    documents.push(['response encrypted', await buildResponseXml({ encrypt: { algorithm: 'gcm' } })]);
    documents.push(['logout request', logoutRequestXml()], ['logout response', logoutResponseXml()]);
    for (const seed of await responseSeeds()) documents.push([`seed ${seed.name}`, seed.xml]);
    for (const seed of logoutSeeds()) documents.push([`seed ${seed.name}`, seed.xml]);
    for (const seed of metadataSeeds()) documents.push([`seed ${seed.name}`, seed.xml]);
    const metadataDir = join(import.meta.dirname, '../../fixtures/metadata');
    for (const file of readdirSync(metadataDir).filter((f) => f.endsWith('.xml')))
      documents.push([file, readFileSync(join(metadataDir, file), 'utf8')]);

    let total = 0;
    for (const [name, xml] of documents) {
      const { compared, disagreements } = compareDocument(xml, PREFIX_LISTS);
      expect(disagreements, name).toEqual([]);
      total += compared;
    }
    expect(total).toBeGreaterThan(2_000);
  });

  for (const [fixture, build] of Object.entries(FIXTURES)) {
    it(`the attack corpus on "${fixture}"`, async () => {
      const genuine = await buildResponseXml(build);
      for (const [edit, apply] of Object.entries({ ...INVISIBLE, ...STRUCTURAL })) {
        const xml = apply(genuine);
        const { compared, disagreements } = compareDocument(xml, PREFIX_LISTS);
        expect(compared, edit).toBeGreaterThan(0);
        for (const d of disagreements) {
          // Known: xml-crypto throws on an empty CDATA and repeats xmlns="" below an undeclared default.
          expect(
            KNOWN_IN_CORPUS.some((k) => edit.startsWith(k)),
            `${edit}: ${JSON.stringify(d)}`,
          ).toBe(true);
          if (HAVE_XMLSEC1) settleWithLibxml2(xml, d);
        }
      }
    });
  }
});

const KNOWN_IN_CORPUS = ['an empty CDATA', 'a default namespace undeclared'];

// ---------------------------------------------------------------------------------------------------------
// 2. Where xml-crypto departs from the spec: ours is libxml2's, byte for byte

/** Each case: the document, the apex (index in document order), the PrefixList, and what xml-crypto does. */
const KNOWN: Record<
  string,
  { xml: string; apex?: number; prefixList?: string[]; edit?: (doc: Document) => void; xmlCrypto: string }
> = {
  // exc-c14n §3: xmlns="" only where the nearest output ancestor has a non-empty default. xml-crypto passes
  // the element's null namespace down and writes xmlns="" again on every unprefixed descendant.
  'xmlns="" repeated below an undeclared default namespace': {
    xml: '<r xmlns="urn:x"><y xmlns=""><z/></y></r>',
    xmlCrypto: '<r xmlns="urn:x"><y xmlns=""><z xmlns=""></z></y></r>',
  },
  // Namespace declarations sort by prefix in code-point order; xml-crypto uses localeCompare (a before B).
  'prefixes in upper and lower case': {
    xml: '<r xmlns:a="urn:1" xmlns:B="urn:2"><a:x B:y="1"/></r>',
    xmlCrypto: '<r><a:x xmlns:a="urn:1" xmlns:B="urn:2" B:y="1"></a:x></r>',
  },
  // Attributes sort by namespace URI, then local name; xml-crypto compares URI + name concatenated, so a URI
  // that is a prefix of another (urn:a, urn:ab) sorts by the names.
  'attributes whose namespace URI is a prefix of another': {
    xml: '<r xmlns:p="urn:a" xmlns:q="urn:ab"><e p:z="1" q:c="2"/></r>',
    xmlCrypto: '<r><e xmlns:p="urn:a" xmlns:q="urn:ab" q:c="2" p:z="1"></e></r>',
  },
  // Code points, not UTF-16 units: U+F900 sorts before U+10000 (a surrogate pair in JavaScript).
  'attribute names beyond the BMP': {
    xml: '<r a\uF900="1" a\u{10000}="2"/>',
    xmlCrypto: '<r a\u{10000}="2" a\uF900="1"></r>',
  },
  // Only xmlns and xmlns:* are declarations; xml-crypto drops every attribute whose name starts with xmlns.
  'an attribute named xmlnsfoo': { xml: '<r xmlnsfoo="1"/>', xmlCrypto: '<r></r>' },
  // PrefixList names prefixes; xml-crypto also matches it against the local name of any prefixed attribute.
  'a PrefixList token equal to an attribute local name': {
    xml: '<r xmlns:x="urn:x" x:type="v"/>',
    prefixList: ['type'],
    xmlCrypto: '<r xmlns:type="v" xmlns:x="urn:x" x:type="v"></r>',
  },
  // "#default" in the PrefixList makes the default namespace inclusive (exc-c14n §3); xml-crypto ignores it.
  '#default in the PrefixList': {
    xml: '<r xmlns="urn:d"><p:a xmlns:p="urn:p"><p:b/></p:a></r>',
    apex: 1,
    prefixList: ['#default'],
    xmlCrypto: '<p:a xmlns:p="urn:p"><p:b></p:b></p:a>',
  },
  // With no PrefixList given, xml-crypto takes one from a CanonicalizationMethod child of the element, in
  // any namespace: content of the document would choose how it is canonicalised.
  'a CanonicalizationMethod with a PrefixList inside the element': {
    xml: '<a><CanonicalizationMethod xmlns:q="urn:q"><InclusiveNamespaces PrefixList="q"/></CanonicalizationMethod></a>',
    xmlCrypto:
      '<a><CanonicalizationMethod xmlns:q="urn:q"><InclusiveNamespaces PrefixList="q"></InclusiveNamespaces></CanonicalizationMethod></a>',
  },
  // An empty CDATA section (or text node) is nothing; xml-crypto throws on it (so it was refused before issue
  // #16). xmldom's parser drops empty CDATA sections, but a DOM edit (the fuzzer's) can make one.
  'an empty CDATA section': {
    xml: '<r><e/></r>',
    edit: (doc) => doc.documentElement!.appendChild(doc.createCDATASection('')),
    xmlCrypto: 'throws',
  },
};

/**
 * Refused rather than rendered: namespace names the implementations do not agree on. C14N 1.0 §2.1 requires
 * a failure on relative namespace URIs (libxml2 fails, xml-crypto renders them); libxml2 also fails on names
 * that are not URIs (non-ASCII, white space, quotes). A name with `&` is escaped by the spec, written raw by
 * xml-crypto and as its internal `&#38;` by libxml2.
 */
const REFUSED: Record<string, string> = {
  'a relative namespace URI on the element': '<p:r xmlns:p="relative/path"/>',
  'a relative default namespace below': '<r><e xmlns="x"/></r>',
  'an unused relative declaration': '<r><e xmlns:u="x"/></r>',
  'a namespace URI with &': '<p:r xmlns:p="urn:a&amp;b"/>',
  'a namespace URI with a quote': '<p:r xmlns:p="urn:a&quot;b"/>',
  'a namespace URI with a line feed': '<p:r xmlns:p="urn:a&#10;b"/>',
  'a namespace URI with a space': '<p:r xmlns:p="urn:a b"/>',
  'a namespace IRI (non-ASCII), which libxml2 refuses': '<p:r xmlns:p="urn:é"/>',
};

describe('namespace names canonicalisers disagree on are refused', () => {
  for (const [name, xml] of Object.entries(REFUSED)) {
    it(name, () => {
      const doc = parse(xml)!;
      expect(() => canonicalizeExclusive(doc.documentElement!)).toThrow(
        expect.objectContaining({ code: 'SAML_STRUCTURE_INVALID' }),
      );
    });
  }

  it.skipIf(!HAVE_XMLSEC1)('libxml2 refuses a relative namespace URI too', () => {
    const doc = parse(REFUSED['a relative default namespace below']!)!;
    expect(() => oursAndLibxml2(doc, 0)).toThrow(/Relative namespace UR/);
  });
});

describe.skipIf(!HAVE_XMLSEC1)('where xml-crypto departs from the spec, ours is libxml2 (xmlsec1)', () => {
  for (const [name, known] of Object.entries(KNOWN)) {
    it(name, () => {
      const doc = parse(known.xml)!;
      known.edit?.(doc);
      const el = elementsInOrder(doc)[known.apex ?? 0]!;
      const prefixList = known.prefixList ?? [];
      let reference: string;
      try {
        reference = xmlCryptoExclusive(el, { prefixList });
      } catch {
        reference = 'throws';
      }
      expect(reference, 'xml-crypto still behaves as documented').toBe(known.xmlCrypto);
      const ours = canonicalizeExclusive(el, { prefixList });
      expect(ours).not.toBe(reference);
      const settled = oursAndLibxml2(doc, known.apex ?? 0, { prefixList });
      expect(settled.ours).toBe(settled.libxml2);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// 3. Generated namespace-heavy documents and the fuzzer's mutants

const PREFIXES = ['', 'a', 'b', 'B', '_x', 'saml', 'ds', 'é'] as const;
const URIS = [
  'urn:a',
  'urn:ab',
  'urn:b',
  'http://www.w3.org/2000/09/xmldsig#',
  'urn:oasis:names:tc:SAML:2.0:assertion',
  'http://www.w3.org/2001/XMLSchema-instance',
] as const;
const LOCALS = ['e', 'f', 'ID', 'lang', 'type', 'Z', 'z', 'é', 'a\u{10000}', 'a\uF900'] as const;
const TEXTS = ['t', ' ', 'a&b', '<x>', '"q" \'a\'', '\r\n\t', ']]>', 'é€𐀀', 'x\ry', '&#x41;'] as const;

type GenNode =
  | { kind: 'text' | 'cdata' | 'comment'; text: number }
  | {
      kind: 'element';
      prefix: number;
      local: number;
      /** Declarations: prefix index, URI index, or -1 to undeclare the default namespace (xmlns=""). */
      declare: { prefix: number; uri: number }[];
      attributes: { prefix: number; local: number; text: number; xml: boolean }[];
      children: GenNode[];
    };

const genTree = fc.letrec<{ node: GenNode; element: GenNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constantFrom('text' as const, 'cdata' as const, 'comment' as const),
      text: fc.nat(TEXTS.length - 1),
    }),
    tie('element'),
  ),
  element: fc.record({
    kind: fc.constant('element' as const),
    prefix: fc.nat(PREFIXES.length - 1),
    local: fc.nat(LOCALS.length - 1),
    declare: fc.array(
      fc.record({ prefix: fc.nat(PREFIXES.length - 1), uri: fc.integer({ min: -1, max: URIS.length - 1 }) }),
      { maxLength: 3 },
    ),
    attributes: fc.array(
      fc.record({
        prefix: fc.nat(PREFIXES.length - 1),
        local: fc.nat(LOCALS.length - 1),
        text: fc.nat(TEXTS.length - 1),
        xml: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
    children: fc.array(tie('node'), { maxLength: 4 }),
  }),
}));

const escapeText = (t: string) =>
  t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
const escapeAttr = (t: string) =>
  t
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');

/**
 * Serialises a generated tree as namespace-well-formed XML: a prefix used but not in scope is declared on
 * the element (URI chosen by the prefix's index), redundant and re-declarations are kept, duplicate attributes
 * dropped. Special characters are written as references, so that every parser sees the same characters.
 */
function serialise(root: GenNode): string {
  const walk = (node: GenNode, scope: Map<string, string>): string => {
    if (node.kind === 'text') return escapeText(TEXTS[node.text]!);
    if (node.kind === 'cdata') {
      const t = TEXTS[node.text]!.replace(/\]\]>/g, '').replace(/\r/g, '');
      return t === '' ? '' : `<![CDATA[${t}]]>`;
    }
    if (node.kind === 'comment') return `<!--${TEXTS[node.text]!.replace(/-/g, '').replace(/\r/g, '')}-->`;
    const element = node as Extract<GenNode, { kind: 'element' }>;
    const inner = new Map(scope);
    const decls = new Map<string, string>();
    for (const d of element.declare) {
      const prefix = PREFIXES[d.prefix]!;
      if (d.uri < 0 && prefix !== '') continue; // xmlns:p="" is not XML 1.0
      const uri = d.uri < 0 ? '' : URIS[d.uri]!;
      decls.set(prefix, uri);
      inner.set(prefix, uri);
    }
    const need = (prefix: string, index: number) => {
      if (prefix === '' || inner.has(prefix)) return;
      const uri = URIS[index % URIS.length]!;
      decls.set(prefix, uri);
      inner.set(prefix, uri);
    };
    const prefix = PREFIXES[element.prefix]!;
    need(prefix, element.prefix);
    const qname = prefix === '' ? LOCALS[element.local]! : `${prefix}:${LOCALS[element.local]!}`;
    const attrs = new Map<string, string>();
    const expanded = new Set<string>();
    for (const a of element.attributes) {
      const local = LOCALS[a.local]!;
      let name: string;
      let ns: string;
      if (a.xml) {
        name = `xml:${local}`;
        ns = 'xml';
      } else {
        const p = PREFIXES[a.prefix]!;
        need(p, a.prefix);
        name = p === '' ? local : `${p}:${local}`;
        ns = p === '' ? '' : inner.get(p)!;
      }
      if (attrs.has(name) || expanded.has(`${ns} ${local}`)) continue;
      attrs.set(name, TEXTS[a.text]!);
      expanded.add(`${ns} ${local}`);
    }
    let out = `<${qname}`;
    for (const [p, uri] of decls)
      out += p === '' ? ` xmlns="${escapeAttr(uri)}"` : ` xmlns:${p}="${escapeAttr(uri)}"`;
    for (const [name, value] of attrs) out += ` ${name}="${escapeAttr(value)}"`;
    if (element.children.length === 0) return `${out}/>`;
    return `${out}>${element.children.map((c) => walk(c, inner)).join('')}</${qname}>`;
  };
  return walk(root, new Map());
}

const prefixListArb = fc.subarray(['a', 'b', 'B', '_x', 'saml', 'ds', 'é', '#default'], { maxLength: 3 });
let settledByLibxml2 = 0;

describe('generated namespace-heavy documents', () => {
  it('equal to xml-crypto, or to libxml2 where xml-crypto departs from the spec', () => {
    let documents = 0;
    fc.assert(
      fc.property(genTree.element, prefixListArb, fc.nat(), (tree, prefixList, pick) => {
        const xml = `<root xmlns:a="urn:a" xmlns:_x="urn:b" xmlns="urn:ab">${serialise(tree)}</root>`;
        const { compared, disagreements } = compareDocument(xml, [[], prefixList]);
        expect(compared).toBeGreaterThan(0);
        documents++;
        // Every disagreement, up to two per document (xmlsec1 costs a process), goes to libxml2.
        for (const d of disagreements.slice(0, 2)) {
          if (!HAVE_XMLSEC1) break;
          settleWithLibxml2(xml, d);
          settledByLibxml2++;
        }
        // And one element in ten documents goes to libxml2 whatever xml-crypto says.
        if (HAVE_XMLSEC1 && pick % 10 === 0) {
          const count = elementsInOrder(parse(xml)!).length;
          settleWithLibxml2(xml, { index: pick % count, prefixList, exclude: false });
        }
      }),
      { numRuns: Number(process.env.C14N_RUNS ?? 150) },
    );
    expect(documents).toBeGreaterThan(0);
    if (HAVE_XMLSEC1) expect(settledByLibxml2).toBeGreaterThan(0);
  }, 120_000);

  it("the fuzzer's mutants of signed messages: equal to xml-crypto, or to libxml2", async () => {
    const seeds = [...(await responseSeeds()).map((s) => s.xml), ...logoutSeeds().map((s) => s.xml)];
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), mutationPlan, (seedIndex, plan) => {
        const xml = applyPlan(seeds[seedIndex]!, plan);
        let result: ReturnType<typeof compareDocument>;
        try {
          result = compareDocument(xml, [[]]);
        } catch (err) {
          // Ours refuses namespace names implementations disagree on (the fuzzer declares some): coded.
          expect(err).toBeInstanceOf(SamlSpError);
          return;
        }
        for (const d of result.disagreements.slice(0, 2)) if (HAVE_XMLSEC1) settleWithLibxml2(xml, d);
      }),
      { numRuns: Number(process.env.C14N_RUNS ?? 150) },
    );
  }, 120_000);
});

describe('hostile breadth', () => {
  // 8,000 prefixes, each visibly used by one attribute (315 KB): the built-in sort takes about 30 ms here,
  // an insertion sort 700 ms (measured when this was written).
  it('thousands of visibly used prefixes on one element sort in O(n log n), in code-point order', () => {
    const n = 8_000;
    let attributes = '';
    for (let i = n - 1; i >= 0; i--) attributes += ` xmlns:p${i}="urn:p:${i}" p${i}:a="${i}"`;
    const doc = parse(`<r${attributes}><e/></r>`)!;
    expect(doc.documentElement!.attributes.length).toBe(2 * n);
    const started = performance.now();
    const ours = canonicalizeExclusive(doc.documentElement!);
    const elapsed = performance.now() - started;
    // (xml-crypto differs here: it sorts the attributes by URI + name, so urn:p:10 before urn:p:1.)
    const indexes = Array.from({ length: n }, (_, i) => i);
    const byPrefix = [...indexes].sort((a, b) => (`p${a}` < `p${b}` ? -1 : 1));
    const byUri = [...indexes].sort((a, b) => (`urn:p:${a}` < `urn:p:${b}` ? -1 : 1));
    const expected =
      '<r' +
      byPrefix.map((i) => ` xmlns:p${i}="urn:p:${i}"`).join('') +
      byUri.map((i) => ` p${i}:a="${i}"`).join('') +
      '><e></e></r>';
    expect(ours).toBe(expected);
    expect(elapsed).toBeLessThan(400);
  });

  it('a PrefixList of thousands of prefixes on small documents keeps its order, equal to xml-crypto', () => {
    const n = 2_000;
    const prefixes = Array.from({ length: n }, (_, i) => `q${(i * 7919) % n}`);
    const declarations = prefixes.map((p) => ` xmlns:${p}="urn:q"`).join('');
    const doc = parse(`<r${declarations}><e/></r>`)!;
    expect(canonicalizeExclusive(doc.documentElement!, { prefixList: prefixes })).toBe(
      xmlCryptoExclusive(doc.documentElement!, { prefixList: prefixes }),
    );
  });
});
