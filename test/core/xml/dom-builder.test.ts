/**
 * The DOM parseXml builds (its own reader, src/core/xml/tokenizer.ts, feeding src/core/xml/dom-builder.ts;
 * issue #16) against stock xmldom's: the same text goes through parseXml and through a stock xmldom
 * DOMParser. When parseXml accepts, xmldom must accept too and build the same tree: every node's type,
 * names, namespace, prefix, value, every attribute in order with its owner, the child lists against the
 * sibling links, and each element's namespace map (and textContentOf must agree with textContent on every
 * element). When parseXml refuses what xmldom accepts, libxml2 must refuse it too: parseXml is stricter than
 * xmldom only where XML 1.0 and Namespaces in XML are. On a corpus of namespace edge cases and malformed
 * documents, on the fuzzer's seeds, and on fuzzed mutants (test/fuzz/mutate.ts). The verdicts against
 * libxml2 on every input are test/core/xml/well-formedness.test.ts.
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceWellFormed } from '../../../src/core/xml/dom-builder.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';
import { applyPlan, mutationPlan } from '../../fuzz/mutate.ts';
import { logoutSeeds, metadataSeeds, responseSeeds } from '../../fuzz/seeds.ts';
import {
  cleanUpOracles,
  describeTree,
  libxml2Refuses,
  type Outcome,
  ours,
  reference,
} from './parser-oracles.ts';

afterAll(cleanUpOracles);

function same(xml: string): Outcome {
  const mine = ours(xml);
  // parseXml's own refusals (depth, processing instructions) are not xmldom's to make.
  if ('refused' in mine && /^SAML_(XML_TOO_DEEP|PROCESSING_INSTRUCTION_FORBIDDEN)$/.test(mine.refused))
    return mine;
  const stock = reference(xml);
  if ('tree' in mine) expect(stock).toEqual(mine);
  else if ('tree' in stock) {
    // A refusal stock xmldom does not make: XML 1.0 and Namespaces in XML must make it too.
    expect(libxml2Refuses(xml), `stock xmldom and libxml2 accept: ${JSON.stringify(xml.slice(0, 300))}`).toBe(
      true,
    );
  } else expect(mine).toEqual(stock);
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
  'CRLF, CR, tab and LF in attribute values, and their references': '<a b="1\r\n2\r3\t4\n5&#13;&#10;&#9;6"/>',
  'NEL and LINE SEPARATOR are not line ends in XML 1.0': '<a b="\u0085\u2028">\u0085\u2028\u2029</a>',
  'whitespace before the root, between and after nodes': '\n <!--a-->\r\n<a/> \n<?pi x?>\n\n',
  'an XML declaration with encoding and standalone':
    '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n<a/>',
  'an XML declaration out of order': '<?xml version="1.0" standalone="no" encoding="UTF-8"?><a/>',
  'an XML declaration without version': '<?xml encoding="UTF-8"?><a/>',
  'an XML declaration not at the start': ' <?xml version="1.0"?><a/>',
  'a processing instruction named XML': '<a><?XmL x?></a>',
  'an empty CDATA section and an empty comment': '<a><![CDATA[]]><!----></a>',
  'a comment with --': '<a><!-- a -- b --></a>',
  'a comment ending in -': '<a><!-- a ---></a>',
  'character references outside Char': '<a>&#0;&#xFFFE;</a>',
  'a character reference to a supplementary character': '<a b="&#x1F600;">&#128512;</a>',
  'an undefined entity in an attribute': '<a b="&foo;"/>',
  'a bare ampersand': '<a>AT&T</a>',
  'the prefix xmlns undeclared on an attribute': '<a xmlns:p=""/>',
  'a name with a supplementary character': '<a\u{10000}b/>',
  'a name starting with a digit': '<1a/>',
  'a name with two colons': '<a:b:c xmlns:a="urn:a"/>',
  'an end tag with trailing space': '<a></a  >',
  'an end tag longer than the start tag': '<a></ab>',
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

  it('two attributes with the same expanded name: xmldom keeps one, parseXml refuses like libxml2', () => {
    // test/core/xml/expanded-names.test.ts has the messages and expat's verdict.
    const xml = '<a xmlns:p="urn:x" xmlns:q="urn:x" p:y="1" q:y="2"/>';
    expect('tree' in reference(xml)).toBe(true);
    expect(ours(xml)).toEqual({ refused: 'SAML_MALFORMED' });
    expect(libxml2Refuses(xml)).toBe(true);
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
