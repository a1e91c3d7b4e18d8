/**
 * `npm run bench:parsers`: how the parser was chosen (issue #16, item 2). Both halves of what the validator
 * asks of an XML library, on the same signed 5 KB response, in interleaved rounds of one run:
 * - parse: xmldom 0.9 as published (a new RegExp per end tag); xmldom with that RegExp memoised from our side
 *   (src/core/xml/xmldom-grammar.ts; both with xmldom's default line/column locator; this was parseXml's reader
 *   until the choice below); saxes 6 (strict XML 1.0 + Namespaces) feeding parseXml's own DOM builder; parseXml
 *   (its own reader, src/core/xml/tokenizer.ts, plus the DTD, size, character, depth and processing-instruction
 *   guards); libxml2-wasm 0.7 (libxml2 compiled to WebAssembly: no DTD loading, no network, no entity
 *   substitution; the document disposed after each parse); and the two strict readers alone, events only;
 * - parse + exclusive c14n of the SignedInfo and of the assertion without its enveloped Signature, as the
 *   validator does: our canonicaliser on the xmldom tree (src/core/crypto/exc-c14n.ts) against libxml2's own,
 *   which libxml2-wasm runs on a subtree through a JavaScript visibility callback called for every node.
 * The c14n half is the difference of the two lines. A last line soaks libxml2-wasm (parse, c14n and dispose
 * of SOAK messages, default 100,000) and prints the process RSS at each quarter: its WebAssembly heap never
 * shrinks, so a leak shows as growth.
 *
 * The choice, in two steps:
 * 1. xmldom DOM or libxml2-wasm: libxml2-wasm parsed twice as fast, but with its c14n counted it was 1.2x to
 *    2.8x slower, and every reader of the validator (src/core/response/*) walks an xmldom DOM (on libxml2-wasm
 *    each node touched is a wrapper over a WASM pointer, and every document must be disposed by hand on every
 *    path, refusals included). The validator stayed on an xmldom DOM.
 * 2. Which strict reader builds it (xmldom's reader was about 30% of a validation). saxes was measured first,
 *    end to end, through the same builder: 72 µs against parseXml's 88 µs then (quiet probe), 74 against 117 µs
 *    in this bench at load 5-6: about a quarter off the parse, a tenth of a validation, not clearly enough for
 *    issue #16's 8x-the-floor target. Its reader alone (43 µs) reads one character at a time through a state
 *    machine; ours (14-17 µs) finds token ends with indexOf. parseXml now runs ours. One run at load 1.2-1.3:
 *    xmldom published 214 µs, memoised 125, saxes + builder 83, parseXml 51, libxml2-wasm (parse only) 55,
 *    saxes events only 44, own reader events only 14; parse + c14n: ours 58 µs, libxml2-wasm 151 µs.
 *    test/core/xml/well-formedness.test.ts holds the reader to libxml2's verdicts and xmldom's trees.
 *
 * Options: BENCH_SECONDS (per contender per round, default 1), BENCH_ROUNDS (default 4), SOAK.
 */
import { createRequire } from 'node:module';
import { DOMParser } from '@xmldom/xmldom';
import { ParseOption, XmlDocument, type XmlElement, XmlTreeNode } from 'libxml2-wasm';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { DomBuilder } from '../src/core/xml/dom-builder.ts';
import { type TokenAttributes, tokenizeXml, type XmlTokenHandler } from '../src/core/xml/tokenizer.ts';
import { buildResponseXml } from '../test/fixtures/build-response.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SOAK = Number(process.env.SOAK ?? 100_000);

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

// xmldom's grammar.reg as published, taken before src/core/xml/parse.ts installs the memoised one.
const grammar = createRequire(import.meta.url)('@xmldom/xmldom/lib/grammar.js') as { reg: unknown };
const publishedReg = grammar.reg;
const { parseXml } = await import('../src/core/xml/parse.ts');
const { canonicalizeExclusive } = await import('../src/core/crypto/exc-c14n.ts');
const memoizedReg = grammar.reg;
if (memoizedReg === publishedReg) throw new Error('the xmldom grammar memo is not installed');

/** Strict libxml2 options: no DTD loading or attribute defaults, no network, no entity substitution. */
const LIBXML_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

interface Contender {
  name: string;
  run: (xml: string) => void;
}

function xmldomPublished(xml: string): void {
  grammar.reg = publishedReg;
  try {
    new DOMParser().parseFromString(xml, 'text/xml');
  } finally {
    grammar.reg = memoizedReg;
  }
}

function xmldomMemoized(xml: string): void {
  new DOMParser().parseFromString(xml, 'text/xml');
}

function libxml2Parse(xml: string): void {
  const doc = XmlDocument.fromString(xml, { option: LIBXML_OPTIONS });
  doc.dispose();
}

function xmldomParseAndC14n(xml: string): void {
  const doc = parseXml(xml, { what: 'bench' });
  const assertion = doc.getElementsByTagNameNS(SAML, 'Assertion').item(0)!;
  const signature = assertion.getElementsByTagNameNS(DSIG, 'Signature').item(0)!;
  canonicalizeExclusive(signature.getElementsByTagNameNS(DSIG, 'SignedInfo').item(0)!);
  canonicalizeExclusive(assertion, { exclude: signature });
}

function libxml2ParseAndC14n(xml: string): void {
  const doc = XmlDocument.fromString(xml, { option: LIBXML_OPTIONS });
  try {
    const ns = { saml: SAML, ds: DSIG };
    const assertion = doc.get('/*/saml:Assertion', ns) as XmlElement;
    const signature = assertion.get('ds:Signature', ns);
    (assertion.get('ds:Signature/ds:SignedInfo', ns) as XmlElement).canonicalizeToString({
      mode: 1,
      withComments: false,
    });
    if (signature instanceof XmlTreeNode) signature.remove();
    assertion.canonicalizeToString({ mode: 1, withComments: false });
  } finally {
    doc.dispose();
  }
}

/**
 * saxes 6 (strict XML 1.0 + Namespaces, conformance-tested) feeding the very DOM builder parseXml uses, so
 * the line measures the reader: what parseXml would cost on saxes, guards aside. One parser, reused (saxes
 * resets itself at close()).
 */
let saxesTarget: XmlTokenHandler;
const saxesAttrs: TokenAttributes = { length: 0, qNames: [], values: [], namespaces: [] };
function makeSaxes(): SaxesParser<{ xmlns: true }> {
  const parser = new SaxesParser({ xmlns: true });
  parser.on('opentag', (tag: SaxesTagNS) => {
    let n = 0;
    for (const name in tag.attributes) {
      const attr = tag.attributes[name]!;
      saxesAttrs.qNames[n] = name;
      saxesAttrs.values[n] = attr.value;
      saxesAttrs.namespaces[n] = attr.uri || null;
      n++;
    }
    saxesAttrs.length = n;
    saxesTarget.startElement(tag.uri || null, tag.local, tag.name, saxesAttrs);
  });
  parser.on('closetag', () => saxesTarget.endElement());
  parser.on('text', (text) => saxesTarget.text(text));
  parser.on('cdata', (text) => saxesTarget.cdata(text));
  parser.on('comment', (text) => saxesTarget.comment(text));
  parser.on('processinginstruction', (pi) => saxesTarget.processingInstruction(pi.target, pi.body));
  return parser;
}
const saxes = makeSaxes();

function saxesDom(xml: string): void {
  saxesTarget = new DomBuilder();
  saxes.write(xml).close();
}

/** Events only, nothing built: the two readers alone. */
const NOTHING: XmlTokenHandler = {
  startElement() {},
  endElement() {},
  text() {},
  cdata() {},
  comment() {},
  processingInstruction() {},
};
const saxesEventsOnly = new SaxesParser({ xmlns: true });
saxesEventsOnly.on('opentag', () => {});
saxesEventsOnly.on('text', () => {});

const PARSE: Contender[] = [
  { name: 'xmldom 0.9 as published', run: xmldomPublished },
  { name: 'xmldom, end-tag RegExp memoised', run: xmldomMemoized },
  { name: 'saxes 6 + DomBuilder', run: saxesDom },
  { name: 'parseXml (own reader + guards)', run: (xml) => void parseXml(xml, { what: 'bench' }) },
  { name: 'libxml2-wasm 0.7', run: libxml2Parse },
  { name: 'saxes 6, events only', run: (xml) => void saxesEventsOnly.write(xml).close() },
  { name: 'own reader, events only', run: (xml) => tokenizeXml(xml, NOTHING) },
];
const BOTH: Contender[] = [
  { name: 'parseXml + xml-crypto c14n', run: xmldomParseAndC14n },
  { name: 'libxml2-wasm parse + c14n', run: libxml2ParseAndC14n },
];

function measure(contenders: Contender[], xml: string): Map<string, number> {
  const totals = new Map(contenders.map((c) => [c.name, { n: 0, ms: 0 }]));
  for (const c of contenders) for (let i = 0; i < 200; i++) c.run(xml);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!;
      const t = totals.get(c.name)!;
      const start = performance.now();
      while (performance.now() - start < SECONDS * 1000) {
        c.run(xml);
        t.n++;
      }
      t.ms += performance.now() - start;
    }
  }
  return new Map([...totals].map(([name, t]) => [name, (t.ms / t.n) * 1000]));
}

function print(title: string, micros: Map<string, number>, reference: string): void {
  console.log(`## ${title}`);
  const base = micros.get(reference)!;
  for (const [name, us] of micros) {
    console.log(
      `  ${name.padEnd(34)} ${us.toFixed(1).padStart(7)} µs   x${(us / base).toFixed(2)} vs ${reference}`,
    );
  }
  console.log('');
}

const xml = await buildResponseXml();
console.log(
  `node ${process.version}, ${SECONDS}s x ${ROUNDS} rounds, ${Buffer.byteLength(xml)} bytes of XML\n`,
);
const parse = measure(PARSE, xml);
print('parse', parse, 'xmldom 0.9 as published');
const both = measure(BOTH, xml);
print('parse + exclusive c14n of the SignedInfo and the assertion', both, 'parseXml + xml-crypto c14n');
const c14nXmldom = both.get('parseXml + xml-crypto c14n')! - parse.get('parseXml (own reader + guards)')!;
const c14nLibxml = both.get('libxml2-wasm parse + c14n')! - parse.get('libxml2-wasm 0.7')!;
console.log(
  `## c14n half (difference): xml-crypto on xmldom ${c14nXmldom.toFixed(1)} µs, libxml2-wasm subtree ${c14nLibxml.toFixed(1)} µs\n`,
);

// The soak: a WebAssembly heap never shrinks, so a document left undisposed shows as RSS growth. (libxml2-wasm
// does not expose its WebAssembly.Memory; RSS is measured once warm, after the rounds above.)
const rss = () => process.memoryUsage().rss;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const start = performance.now();
const samples: string[] = [];
for (let i = 1; i <= SOAK; i++) {
  libxml2ParseAndC14n(xml);
  if (i % Math.max(1, Math.floor(SOAK / 4)) === 0) samples.push(mib(rss()));
}
console.log(
  `## libxml2-wasm soak: ${SOAK} parse + c14n + dispose in ${((performance.now() - start) / 1000).toFixed(1)} s; RSS at each quarter: ${samples.join(', ')}`,
);
