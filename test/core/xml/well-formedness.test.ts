/**
 * parseXml's reader (src/core/xml/tokenizer.ts, issue #16) decides what is XML for every SAML message and
 * metadata document, so its verdict is held against libxml2's (`xmllint --noout --nonet`: the parser of
 * xmlsec1 and Shibboleth), and, where it accepts, its tree against stock xmldom's (./parser-oracles.ts). On
 * the corpus of XML edge cases (./xml-corpus.ts), the signed-view attack corpus applied to signed responses,
 * every recorded fixture, the fuzzer's seeds and mutants, and generated small hostile documents (entities,
 * character references, CR/LF/tab in attributes, comments, CDATA, processing instructions, XML declarations,
 * namespace tricks, non-ASCII names). The few places where parseXml and libxml2 disagree by design are
 * named in knownDifference and pinned below; every other disagreement fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildResponseXml } from '../../fixtures/build-response.ts';
import { applyPlan, mutationPlan } from '../../fuzz/mutate.ts';
import { logoutSeeds, metadataSeeds, responseSeeds } from '../../fuzz/seeds.ts';
import { FIXTURES, INVISIBLE, STRUCTURAL } from '../response/signed-view-corpus.ts';
import {
  cleanUpOracles,
  knownDifference,
  libxml2,
  libxml2Refuses,
  onlyNamespaceUriErrors,
  ours,
  reference,
} from './parser-oracles.ts';
import { CASES } from './xml-corpus.ts';

afterAll(cleanUpOracles);

/** Same verdict as libxml2 (unless a known difference), and when accepted the tree stock xmldom builds. */
function agrees(xml: string): void {
  const mine = ours(xml);
  const shown = JSON.stringify(xml.length > 400 ? `${xml.slice(0, 400)}…` : xml);
  const difference = knownDifference(xml);
  if (difference === 'DTD' || difference === 'unpaired surrogate') {
    expect(mine, shown).toEqual({ refused: difference === 'DTD' ? 'SAML_DTD_FORBIDDEN' : 'SAML_MALFORMED' });
    return;
  }
  if (difference === undefined) {
    const lint = libxml2(xml);
    // A namespace name libxml2's URI parser rejects: parseXml keeps it as written, as xmldom (known difference).
    if (!onlyNamespaceUriErrors(lint)) {
      expect('refused' in mine ? 'refused' : 'accepted', shown).toBe(lint.refused ? 'refused' : 'accepted');
    }
  }
  if ('tree' in mine) expect(reference(xml), shown).toEqual(mine);
  // The reader on its own (as validateResponse runs it, after its own checks of the text) must reach the same
  // verdict wherever assertSafeXmlText's scan for literal characters is not what refuses.
  if (!LITERAL_NON_CHAR.test(xml)) expect(ours(xml, true), shown).toEqual(mine);
}

/** Literal characters outside XML's Char, which only assertSafeXmlText's scan refuses. */
const LITERAL_NON_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('the corpus of XML edge cases', () => {
  for (const [name, xml] of Object.entries(CASES)) {
    it(name, () => agrees(xml));
  }
});

describe('the signed-view attack corpus on signed responses', async () => {
  for (const [fixture, build] of Object.entries(FIXTURES)) {
    const xml = await buildResponseXml(build);
    it(`${fixture}, and each edit`, () => {
      agrees(xml);
      for (const apply of Object.values({ ...INVISIBLE, ...STRUCTURAL })) agrees(apply(xml));
    });
  }
});

const fixtureDirs = ['test/fixtures/metadata', 'metadata'];
describe('every recorded XML fixture', () => {
  for (const dir of fixtureDirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.xml'))) {
      it(join(dir, file), () => agrees(readFileSync(join(dir, file), 'utf8')));
    }
  }
});

const seeds = [
  ...(await responseSeeds()).map((s) => s.xml),
  ...logoutSeeds().map((s) => s.xml),
  ...metadataSeeds().map((s) => s.xml),
];

describe('the fuzzer seeds and their mutants', () => {
  it('every seed', () => {
    for (const xml of seeds) agrees(xml);
  });

  test.prop([fc.nat({ max: seeds.length - 1 }), mutationPlan], { numRuns: 150 })(
    'a mutant',
    (seedIndex, plan) => agrees(applyPlan(seeds[seedIndex]!, plan)),
  );
});

// Pieces of small hostile documents. Each is legal somewhere, illegal somewhere else, or illegal everywhere.
// Each list starts with its well-formed pieces (as many as `piece` is told), then the hostile ones.
const NAMES = [
  'a',
  'é',
  'a\u{10000}',
  '_1',
  'a·b',
  'xml:d',
  'p:b',
  'q:c',
  'xmlns:e',
  '1x',
  'a:b:c',
  ':a',
  'a:',
];
const ATTRIBUTES = [
  'x="1"',
  "y='2'",
  'p:x="1"',
  'q:x="2"',
  'xmlns:p="urn:p"',
  'xmlns:q="urn:p"',
  'xmlns:q="urn:q"',
  'xmlns=""',
  'xmlns="urn:d"',
  'xml:lang="en"',
  'xmlns:xml="http://www.w3.org/XML/1998/namespace"',
  'z="a\r\nb\rc\td\ne"',
  'z="&#13;&#10;&#9;&#x20;"',
  'z="&lt;&gt;&amp;&quot;&apos;"',
  'z="&#x1F600;"',
  'z=">"',
  'z ="1"',
  "z= '1'",
  'é="ü"',
  'xmlns:p=""',
  'xmlns:xml="urn:x"',
  'xmlns:xmlns="urn:x"',
  'xmlns:p="http://www.w3.org/2000/xmlns/"',
  'xmlns="http://www.w3.org/XML/1998/namespace"',
  'z="&#0;"',
  'z="&#xFFFE;"',
  'z="&bogus;"',
  'z="a&b"',
  'z="<"',
  'z=1',
  'z',
];
const TEXTS = [
  't',
  ' ',
  '\r\n',
  '\r',
  '\t',
  '&amp;&lt;&gt;&quot;&apos;',
  '&#65;&#x42;&#13;',
  '&#x10FFFF;',
  '>',
  ']]',
  ']>',
  '\u0085\u2028',
  'é',
  '&#xD800;',
  '&#xFFFF;',
  '&#1114112;',
  '&#x;',
  '&#65',
  '&nbsp;',
  '& ',
  ']]>',
];
const MARKUP = [
  '<!--c-->',
  '<!---->',
  '<!-- - -->',
  '<!--\r\n-->',
  '<![CDATA[x]]>',
  '<![CDATA[]]>',
  '<![CDATA[a\r\nb]]>',
  '<![CDATA[ <a> & ]]>',
  '<![CDATA[ ]] ]]>',
  '<?pi x?>',
  '<?pi?>',
  '<?pi\r\nx\r?>',
  '<?xml-stylesheet href="a"?>',
  '<?pix?>',
  '<b></b >',
  '<!-- a--b -->',
  '<!-- x --->',
  '<?xml x?>',
  '<?XML?>',
  '<?p:i?>',
  '<!ELEMENT a ANY>',
  '<![CDATA[x]>',
  '<b/ >',
  '<b></c>',
  '</b>',
  '< b/>',
];
const PROLOGS = [
  '',
  '<?xml version="1.0"?>',
  '<?xml version="1.0" encoding="UTF-8"?>',
  "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
  '<?xml version="1.1"?>',
  '\ufeff<?xml version="1.0"?>',
  '\r\n',
  '<!--p-->\n',
  '<?pi p?>',
  '<?xml version="2.0"?>',
  '<?xml version="1.0" standalone="maybe"?>',
  '<?xml version="1.0"encoding="UTF-8"?>',
  '<?xml encoding="UTF-8"?>',
  ' <?xml version="1.0"?>',
  'x',
];
const EPILOGS = ['', '\n', ' <!--e--> ', '<?pi e?>', 'x', '<b/>', '&amp;', '<![CDATA[x]]>'];

interface Tree {
  name: string;
  attributes: string[];
  content: (string | Tree)[];
  close: 'match' | 'self' | 'space' | 'other';
}

/** Mostly the well-formed pieces (the first `benign` of the list), so that half the documents are accepted. */
function piece(list: string[], benign: number): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...list.slice(0, benign)), weight: 40 },
    { arbitrary: fc.constantFrom(...list), weight: 1 },
  );
}

const { tree } = fc.letrec<{ tree: Tree; item: string | Tree }>((tie) => ({
  tree: fc.record({
    name: piece(NAMES, 8),
    attributes: fc.uniqueArray(piece(ATTRIBUTES, 19), { maxLength: 3 }),
    content: fc.array(tie('item'), { maxLength: 4 }),
    close: fc.oneof(
      { arbitrary: fc.constantFrom<Tree['close']>('match', 'self', 'space'), weight: 30 },
      { arbitrary: fc.constant<Tree['close']>('other'), weight: 1 },
    ),
  }),
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    piece(TEXTS, 13),
    piece(MARKUP, 15),
    tie('tree'),
  ),
}));

function render(t: Tree): string {
  const attrs = t.attributes.map((a) => ` ${a}`).join('');
  if (t.close === 'self' && t.content.length === 0) return `<${t.name}${attrs}/>`;
  const inner = t.content.map((c) => (typeof c === 'string' ? c : render(c))).join('');
  const end = t.close === 'space' ? `</${t.name} \n>` : t.close === 'other' ? '</other>' : `</${t.name}>`;
  return `<${t.name}${attrs}>${inner}${end}`;
}

// Most roots bind the prefixes p and q, so that prefixed names below are mostly bound.
const hostileDocument = fc
  .tuple(piece(PROLOGS, 9), tree, piece(EPILOGS, 4), fc.nat(3))
  .map(([prolog, root, epilog, bind]) => {
    const rendered = render(root);
    const bound =
      bind > 0
        ? `<${root.name} xmlns:p="urn:p" xmlns:q="urn:q"${rendered.slice(root.name.length + 1)}`
        : rendered;
    return `${prolog}${bound}${epilog}`;
  });

describe('generated small hostile documents', () => {
  test.prop([hostileDocument], { numRuns: 400 })('the verdict of libxml2, the tree of xmldom', (xml) =>
    agrees(xml),
  );

  it('are accepted and refused in about equal parts (a generator that only made garbage would prove little)', () => {
    const sample = fc.sample(hostileDocument, 300);
    const accepted = sample.filter((xml) => 'tree' in ours(xml)).length;
    expect(accepted).toBeGreaterThan(60);
    expect(accepted).toBeLessThan(240);
  });
});

describe('the known differences are exactly these', () => {
  it('a DTD: refused by parseXml, read by libxml2', () => {
    const xml = '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>';
    expect(ours(xml)).toEqual({ refused: 'SAML_DTD_FORBIDDEN' });
    expect(libxml2Refuses(xml)).toBe(false);
  });

  it('an encoding label: parseXml reads decoded text, xmllint decodes bytes by the label', () => {
    const xml = '<?xml version="1.0" encoding="bogus"?><a/>';
    expect('tree' in ours(xml)).toBe(true);
    expect(libxml2Refuses(xml)).toBe(true);
  });

  it('a namespace name that is not a URI: kept as written (as xmldom), a namespace error for libxml2', () => {
    for (const xml of ['<p:a xmlns:p=" urn:x "/>', '<a xmlns="&amp;urn:x#"/>', '<a xmlns="urn:x#a#b"/>']) {
      expect(ours(xml)).toEqual(reference(xml));
      expect('tree' in ours(xml)).toBe(true);
      expect(onlyNamespaceUriErrors(libxml2(xml))).toBe(true);
    }
  });

  it('an element named xmlns: XML allows it, xmldom cannot build it, parseXml refuses', () => {
    expect(ours('<xmlns/>')).toEqual({ refused: 'SAML_MALFORMED' });
    expect(libxml2Refuses('<xmlns/>')).toBe(false);
  });
});
