/**
 * The differential proof of the one-parse validator (issue #16, item 1): what the readers see of a signed
 * element is the same tree as a parse of its canonical bytes.
 *
 * validateResponse no longer parses the canonical SignedInfo and the signed bytes again; it reduces the
 * subtrees it canonicalised, in place, to what those bytes hold (src/core/crypto/signed-view.ts). Here both
 * are built from the same input and compared node by node (element names and namespaces, attributes other
 * than namespace declarations, every text node and where it splits, and no node of any other kind):
 * - on a corpus of genuine messages and of the attacks whose whole point is a difference between the signed
 *   bytes and what is read (comments in a NameID, text split by comments and CDATA, signature wrapping,
 *   character and entity references, namespace re-declarations, an InclusiveNamespaces PrefixList);
 * - on fuzzed documents (the fuzzer's own mutation plans, test/fuzz/mutate.ts), for every element carrying
 *   a ds:Signature and every SignedInfo, whether or not the signature still verifies;
 * - through verifyEnvelopedSignature itself, with and without `reduceInPlace`, on signed messages edited in
 *   ways exclusive c14n does not see (so the signature still verifies and the view is what gets read).
 */
import { test } from '@fast-check/vitest';
import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeExclusive } from '../../../src/core/crypto/exc-c14n.ts';
import { trustedCertificate } from '../../../src/core/crypto/key-cache.ts';
import { reduceToCanonicalView } from '../../../src/core/crypto/signed-view.ts';
import { SamlSpError } from '../../../src/core/errors.ts';
import { verifyEnvelopedSignature } from '../../../src/core/response/signature.ts';
import { NS } from '../../../src/core/xml/namespaces.ts';
import { MAX_XML_DEPTH_LIMIT, parseXml } from '../../../src/core/xml/parse.ts';
import { buildResponseXml, testKey } from '../../fixtures/build-response.ts';
import { applyPlan, mutationPlan } from '../../fuzz/mutate.ts';
import { responseSeeds } from '../../fuzz/seeds.ts';
import { FIXTURES, INVISIBLE, STRUCTURAL } from './signed-view-corpus.ts';
import { shape } from './signed-view-shape.ts';

function directSignature(el: Element): Element | undefined {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (
      n.nodeType === 1 &&
      (n as Element).localName === 'Signature' &&
      (n as Element).namespaceURI === NS.dsig
    )
      return n as Element;
  }
  return undefined;
}

function elements(root: Node): Element[] {
  const out: Element[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (let n = node.lastChild; n; n = n.previousSibling) {
      if (n.nodeType === 1) {
        out.push(n as Element);
        stack.push(n);
      }
    }
  }
  return out;
}

function parse(xml: string): ReturnType<typeof parseXml> | undefined {
  try {
    return parseXml(xml, { what: 'test document', maxBytes: 4 * 1024 * 1024 });
  } catch (err) {
    if (err instanceof SamlSpError) return undefined;
    throw err;
  }
}

/** What the signed element and the SignedInfo are in `xml`, by their path of element indexes. */
function targetsOf(xml: string): { path: number[]; signature: boolean }[] {
  const doc = parse(xml);
  if (!doc) return [];
  const all = elements(doc);
  const out: { path: number[]; signature: boolean }[] = [];
  all.forEach((el, i) => {
    if (directSignature(el)) out.push({ path: [i], signature: true });
    if (el.localName === 'SignedInfo' && el.namespaceURI === NS.dsig)
      out.push({ path: [i], signature: false });
  });
  return out;
}

/**
 * Compares the in-place view of one element of `xml` with a parse of its canonical bytes. Returns false when
 * the canonicaliser refuses the element (no view is ever made of it then).
 */
function compareOne(xml: string, index: number, withSignature: boolean, prefixList: string[] = []): boolean {
  const doc = parse(xml)!;
  const el = elements(doc)[index]!;
  const signature = withSignature ? directSignature(el) : undefined;
  let bytes: string;
  try {
    bytes = canonicalizeExclusive(el, { prefixList, ...(signature ? { exclude: signature } : {}) });
  } catch (err) {
    expect(err).toBeInstanceOf(SamlSpError);
    return false;
  }
  const reparsed = parseXml(bytes, {
    what: 'canonical bytes',
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxDepth: MAX_XML_DEPTH_LIMIT,
  }).documentElement!;
  const view = reduceToCanonicalView(el, signature ? { exclude: signature } : { detach: false });
  expect(shape(view)).toEqual(shape(reparsed));
  // No way up into unsigned content: the signed element is a root (or the document's own root).
  if (withSignature) expect(view.parentNode === null || view.parentNode.nodeType === 9).toBe(true);
  return true;
}

function compareAll(xml: string): number {
  let compared = 0;
  for (const t of targetsOf(xml)) if (compareOne(xml, t.path[0]!, t.signature)) compared++;
  return compared;
}

// ---------------------------------------------------------------------------------------------------------
// The corpus

describe('the in-place view equals a parse of the canonical bytes', () => {
  for (const [fixture, build] of Object.entries(FIXTURES)) {
    for (const [edit, apply] of Object.entries({
      ...INVISIBLE,
      ...STRUCTURAL,
      'as sent': (x: string) => x,
    })) {
      it(`${fixture}: ${edit}`, async () => {
        const xml = apply(await buildResponseXml(build));
        expect(compareAll(xml)).toBeGreaterThan(0);
      });
    }
  }

  it('with an InclusiveNamespaces PrefixList naming a namespace declared above the signed element', () => {
    const xml =
      '<r xmlns:xs="urn:xs" xmlns:p="urn:p"><p:a ID="a"><p:b xs:t="1">x<!--c-->y<![CDATA[z]]></p:b><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></p:a></r>';
    const doc = parse(xml)!;
    const index = elements(doc).findIndex((e) => e.localName === 'a');
    expect(compareOne(xml, index, true, ['xs'])).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Fuzzed documents

const seeds = await responseSeeds();

describe('fuzzed documents', () => {
  test.prop([fc.nat({ max: seeds.length - 1 }), mutationPlan], { numRuns: 150 })(
    'every signed element and SignedInfo of a mutant: view = parse of the canonical bytes',
    (seedIndex, plan) => {
      const xml = applyPlan(seeds[seedIndex]!.xml, plan);
      compareAll(xml);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------
// Through the signature step, on messages that still verify

describe('verifyEnvelopedSignature: reduceInPlace reads what the re-parse reads', () => {
  const certificates = [trustedCertificate(testKey('idp').certPem)];
  const invisibleEdit = fc.subarray(Object.keys(INVISIBLE), { minLength: 0 });

  /** The outcome of verifying every signed element of a fresh parse of `xml`, in one mode. */
  function outcomes(xml: string, reduceInPlace: boolean): unknown[] {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    // Outermost first, as validateResponse does (the Response before its Assertion).
    return elements(doc)
      .filter((el) => directSignature(el))
      .map((el) => {
        try {
          const verified = verifyEnvelopedSignature(directSignature(el)!, {
            element: el,
            what: el.localName === 'Response' ? 'Response' : 'Assertion',
            certificates,
            allowSha1: false,
            reduceInPlace,
          });
          return { accepted: shape(verified.signed), by: verified.certificateFingerprint };
        } catch (err) {
          if (!(err instanceof SamlSpError)) throw err;
          return { refused: err.code };
        }
      });
  }

  test.prop([fc.constantFrom(...Object.keys(FIXTURES)), invisibleEdit], { numRuns: 40 })(
    'same verdict and, when accepted, the same signed tree',
    async (fixture, edits) => {
      let xml = await buildResponseXml(FIXTURES[fixture as keyof typeof FIXTURES]);
      for (const edit of edits) xml = INVISIBLE[edit]!(xml);
      const inPlace = outcomes(xml, true);
      expect(inPlace).toEqual(outcomes(xml, false));
      // These edits are invisible to c14n: every signature must still verify, so the view was really read.
      for (const o of inPlace) expect(o).toHaveProperty('accepted');
    },
  );
});
