/**
 * The lean DOM builder (src/core/xml/dom-builder.ts, issue #16) against xmldom's own: parseXml leaves out
 * the QName re-validation and the pre-insertion checks the SAX reader already guarantees, and merges
 * adjacent text as it arrives instead of normalising afterwards. Here the same text goes through parseXml and
 * through a stock xmldom DOMParser, and must give the same verdict and, when accepted, the same tree:
 * every node's type, names, namespace, prefix, value, every attribute in order with its owner, the child
 * lists against the sibling links, and each element's namespace map (and that textContentOf agrees with
 * textContent on every element). On a corpus of namespace edge cases
 * and malformed documents, on the fuzzer's seeds, and on fuzzed mutants (test/fuzz/mutate.ts).
 */
import { test } from '@fast-check/vitest';
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import { namespaceWellFormed } from '../../../src/core/xml/dom-builder.ts';
import {
  assertSafeXmlText,
  MAX_XML_DEPTH_LIMIT,
  parseXml,
  textContentOf,
} from '../../../src/core/xml/parse.ts';
import { applyPlan, mutationPlan } from '../../fuzz/mutate.ts';
import { logoutSeeds, metadataSeeds, responseSeeds } from '../../fuzz/seeds.ts';

type Outcome = { tree: unknown } | { refused: string };

const LIMITS = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: MAX_XML_DEPTH_LIMIT,
  allowProcessingInstructions: true,
};

/** Every observable property of the tree, and the consistency of its links. */
function describeTree(doc: Document): unknown {
  const walk = (node: Node): unknown => {
    const n = node as Node & Record<string, unknown>;
    expect(n.ownerDocument === doc || node === (doc as Node)).toBe(true);
    const children: unknown[] = [];
    let i = 0;
    let previous: Node | null = null;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      expect(c.parentNode).toBe(node);
      expect(c.previousSibling).toBe(previous);
      expect(node.childNodes.item(i)).toBe(c);
      children.push(walk(c));
      previous = c;
      i++;
    }
    expect(node.lastChild).toBe(previous);
    expect(node.childNodes.length).toBe(i);
    const base = { type: node.nodeType, name: node.nodeName, value: node.nodeValue, children };
    if (node.nodeType !== 1) return { ...base, data: n.data ?? null, length: n.length ?? null };
    const el = node as Element & { _nsMap: Record<string, string> };
    // textContentOf (parse.ts) shortcuts textContent for leaf elements: it must agree everywhere.
    expect(textContentOf(el)).toBe(el.textContent);
    const attributes: unknown[] = [];
    for (let a = 0; a < el.attributes.length; a++) {
      const attr = el.attributes.item(a)!;
      expect(attr.ownerElement).toBe(el);
      expect(attr.ownerDocument).toBe(doc);
      expect(el.getAttributeNodeNS(attr.namespaceURI, attr.localName!)).toBe(attr);
      attributes.push([
        attr.name,
        attr.namespaceURI,
        attr.prefix,
        attr.localName,
        attr.value,
        attr.nodeValue,
      ]);
    }
    return {
      ...base,
      tagName: el.tagName,
      namespaceURI: el.namespaceURI,
      prefix: el.prefix,
      localName: el.localName,
      attributes,
      nsMap: { ...el._nsMap },
    };
  };
  return walk(doc);
}

function ours(xml: string): Outcome {
  try {
    return { tree: describeTree(parseXml(xml, LIMITS)) };
  } catch (err) {
    if (err instanceof SamlSpError) return { refused: `${err.code}: ${err.message}` };
    throw err;
  }
}

/** xmldom as published, with parseXml's own verdict rules (a warning or error is fatal) and its message. */
function reference(xml: string): Outcome {
  try {
    assertSafeXmlText(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml, LIMITS);
  } catch (err) {
    return { refused: `${(err as SamlSpError).code}: ${(err as SamlSpError).message}` };
  }
  let problem: string | undefined;
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning' || problem === undefined) problem ??= message;
      },
    }).parseFromString(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml, 'text/xml');
  } catch (err) {
    return { refused: `SAML_MALFORMED: The XML document is not well-formed XML: ${(err as Error).message}` };
  }
  if (problem !== undefined)
    return { refused: `SAML_MALFORMED: The XML document is not well-formed XML: ${problem}` };
  return { tree: describeTree(doc) };
}

function same(xml: string): Outcome {
  const mine = ours(xml);
  // parseXml's own refusals (depth, processing instructions) are not xmldom's to make.
  if ('refused' in mine && /^SAML_(XML_TOO_DEEP|PROCESSING_INSTRUCTION_FORBIDDEN)/.test(mine.refused))
    return mine;
  expect(mine).toEqual(reference(xml));
  return mine;
}

const CASES: Record<string, string> = {
  'a plain document': '<a xmlns="urn:a" x="1"><b>t</b><c/></a>',
  'prefixed elements and attributes':
    '<p:a xmlns:p="urn:p" xmlns:q="urn:q" q:x="1" y="2"><q:b p:z="3"/></p:a>',
  'xml:lang and xml:space': '<a xml:lang="en" xml:space="preserve"> t </a>',
  'a default namespace undeclared': '<a xmlns="urn:a"><b xmlns=""><c/></b></a>',
  'a prefix re-declared below': '<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b></p:a>',
  'an unbound element prefix': '<p:a/>',
  'an unbound attribute prefix': '<a p:x="1"/>',
  'a prefix undeclared (Namespaces 1.1 only)': '<p:a xmlns:p="urn:p"><p:b xmlns:p=""/></p:a>',
  'the xml prefix bound elsewhere': '<a xmlns:xml="urn:other"/>',
  'the xml prefix used as an element prefix': '<xml:a/>',
  'the xmlns prefix declared': '<a xmlns:xmlns="urn:x"/>',
  'the xmlns prefix on an element': '<xmlns:a xmlns:xmlns="urn:x"/>',
  'an element named xmlns': '<xmlns/>',
  'the XMLNS namespace bound to a prefix': '<a xmlns:p="http://www.w3.org/2000/xmlns/" p:x="1"/>',
  'the XMLNS namespace as the default': '<a xmlns="http://www.w3.org/2000/xmlns/"/>',
  'an attribute written twice': '<a x="1" x="2"/>',
  'text, CDATA and comments mixed': '<a>x<![CDATA[y]]>z<!--c-->w<![CDATA[]]>v</a>',
  'CDATA next to CDATA': '<a><![CDATA[x]]><![CDATA[y]]></a>',
  'character and entity references': '<a b="&#x9;&lt;&amp;">&#65;&#x42;&gt;&quot;&apos;</a>',
  'an unknown entity': '<a>&nbsp;</a>',
  'whitespace and comments around the root': '<?xml version="1.0"?>\n<!--a-->\n<a/>\n<!--b-->\n',
  'a processing instruction': '<a><?target data?></a>',
  'text after the root': '<a/>text',
  'two root elements': '<a/><b/>',
  'no root element': '<!--only-->',
  'mismatched end tag': '<a><b></a></b>',
  'unclosed tag': '<a><b>',
  'a tag name with a bad character': '<a><b!c/></a>',
  'an attribute without a value': '<a b/>',
  'an attribute without quotes': '<a b=c/>',
  'a < in an attribute': '<a b="<"/>',
  'a stray <': '<a>1 < 2</a>',
  ']]> in text': '<a>x]]>y</a>',
  'CRLF and CR line ends': '<a\r\nb="1\r2">x\r\ny\rz</a>',
  'a byte-order mark': '\ufeff<a/>',
  'a name with non-ASCII letters': '<é:ü xmlns:é="urn:e" é:ñ="1">ß</é:ü>',
  'a long text': `<a>${'x'.repeat(100_000)}</a>`,
  'many attributes': `<a ${Array.from({ length: 2000 }, (_, i) => `a${i}="${i}"`).join(' ')}/>`,
};

describe('the lean builder gives the tree and the verdict xmldom gives', () => {
  for (const [name, xml] of Object.entries(CASES)) {
    it(name, () => {
      same(xml);
    });
  }

  it('the one deliberate difference: two attributes with the same expanded name are refused', () => {
    // Stock xmldom keeps one of them; parseXml refuses like libxml2 and expat (test/core/xml/expanded-names.test.ts).
    const xml = '<a xmlns:p="urn:x" xmlns:q="urn:x" p:y="1" q:y="2"/>';
    expect('tree' in reference(xml)).toBe(true);
    expect(ours(xml)).toEqual({ refused: expect.stringMatching(/^SAML_MALFORMED: .*q:y repeats/) });
  });

  it('a corpus case can fail: a changed tree is seen', () => {
    const doc = parseXml('<a><b/></a>');
    const before = describeTree(doc);
    (doc.documentElement!.firstChild as unknown as { localName: string }).localName = 'c';
    expect(describeTree(doc)).not.toEqual(before);
  });

  it('accepts and refuses the corpus as expected', () => {
    expect('tree' in same(CASES['prefixed elements and attributes']!)).toBe(true);
    for (const refused of ['an unbound element prefix', 'an unbound attribute prefix', 'two root elements'])
      expect('refused' in same(CASES[refused]!)).toBe(true);
  });
});

describe('namespaceWellFormed', () => {
  it('mirrors the Namespaces in XML checks of xmldom validateAndExtract', () => {
    const XML = 'http://www.w3.org/XML/1998/namespace';
    const XMLNS = 'http://www.w3.org/2000/xmlns/';
    expect(namespaceWellFormed(null, null, 'a')).toBe(true);
    expect(namespaceWellFormed('urn:a', 'p', 'p:a')).toBe(true);
    expect(namespaceWellFormed(null, 'p', 'p:a')).toBe(false);
    expect(namespaceWellFormed(XML, 'xml', 'xml:lang')).toBe(true);
    expect(namespaceWellFormed('urn:a', 'xml', 'xml:lang')).toBe(false);
    expect(namespaceWellFormed(XMLNS, 'xmlns', 'xmlns:p')).toBe(true);
    expect(namespaceWellFormed(XMLNS, null, 'xmlns')).toBe(true);
    expect(namespaceWellFormed('urn:a', 'xmlns', 'xmlns:p')).toBe(false);
    expect(namespaceWellFormed(null, null, 'xmlns')).toBe(false);
    expect(namespaceWellFormed(XMLNS, 'p', 'p:a')).toBe(false);
    expect(namespaceWellFormed(XMLNS, null, 'a')).toBe(false);
  });
});

const seeds = [
  ...(await responseSeeds()).map((s) => s.xml),
  ...logoutSeeds().map((s) => s.xml),
  ...metadataSeeds().map((s) => s.xml),
];

describe('the fuzzer seeds and their mutants', () => {
  it('every seed', () => {
    for (const xml of seeds) expect('tree' in same(xml)).toBe(true);
  });

  test.prop([fc.nat({ max: seeds.length - 1 }), mutationPlan], { numRuns: 200 })(
    'a mutant: same verdict, same tree',
    (seedIndex, plan) => {
      same(applyPlan(seeds[seedIndex]!, plan));
    },
  );
});
