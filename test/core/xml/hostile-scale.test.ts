/**
 * parseXml's reader must stay linear on hostile input (issue #16): a message is at most a few hundred KB, but
 * metadata limits go up to 64 MiB, and a quadratic step on 10,000 attributes or a megabyte of text would be a
 * denial of service. Each shape is parsed at two sizes, eight times apart; a linear reader takes about 8 times
 * longer on the larger, a quadratic one 64 times. The best of several runs is taken (the machine is shared, and
 * the garbage collector makes large trees cost a little more than linear) and the bound is loose (32), so only a
 * change of complexity fails, not noise. A pairwise duplicate-attribute check planted in the reader made four
 * shapes fail
 * (ratios 63 to 78, against 6 to 29 for this reader on a loaded machine).
 */
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';

const OPTIONS = { maxBytes: 64 * 1024 * 1024, allowProcessingInstructions: true };

function bestOf(runs: number, xml: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    try {
      parseXml(xml, OPTIONS);
    } catch (error) {
      if (!(error instanceof SamlSpError)) throw error;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - start));
  }
  return best;
}

/** Time at 8n over time at n, after a warm-up at n. */
function growth(build: (n: number) => string, n: number): number {
  const small = build(n);
  const large = build(8 * n);
  bestOf(5, small);
  return bestOf(7, large) / bestOf(9, small);
}

const SHAPES: Record<string, { build: (n: number) => string; n: number }> = {
  'attributes on one element': {
    build: (n) => `<a ${Array.from({ length: n }, (_, i) => `a${i}="${i}"`).join(' ')}/>`,
    n: 1_250,
  },
  'namespace declarations and prefixed attributes on one element': {
    build: (n) =>
      `<a ${Array.from({ length: n }, (_, i) => `xmlns:p${i}="urn:${i}" p${i}:x="${i}"`).join(' ')}/>`,
    n: 1_250,
  },
  'the same attribute repeated (refused)': {
    build: (n) => `<a ${Array.from({ length: n }, (_, i) => `a${i}="1"`).join(' ')} a0="2"/>`,
    n: 1_250,
  },
  'siblings each declaring a namespace': {
    build: (n) =>
      `<r>${Array.from({ length: n }, (_, i) => `<p${i}:a xmlns:p${i}="urn:${i}"/>`).join('')}</r>`,
    n: 1_250,
  },
  'text with references and CR line ends': {
    build: (n) => `<a>${'x&amp;y&#65;\r\nz'.repeat(n)}</a>`,
    n: 4_000,
  },
  'one long text node': { build: (n) => `<a>${'x'.repeat(n)}</a>`, n: 64 * 1024 },
  'one long attribute value with tabs and references': {
    build: (n) => `<a b="${'x\t&lt;'.repeat(n)}"/>`,
    n: 16_000,
  },
  'an unclosed comment': { build: (n) => `<a><!--${'- '.repeat(n)}`, n: 64 * 1024 },
  'an unclosed element with much content': { build: (n) => `<a>${'<b>t</b>'.repeat(n)}`, n: 2_000 },
  'comments and CDATA sections': { build: (n) => `<a>${'<!--c--><![CDATA[d]]>'.repeat(n)}</a>`, n: 4_000 },
  'nesting up to the depth limit, repeated': {
    build: (n) => `<r>${`${'<a>'.repeat(99)}${'</a>'.repeat(99)}`.repeat(n)}</r>`,
    n: 20,
  },
};

describe('the reader is linear on hostile input', () => {
  for (const [name, { build, n }] of Object.entries(SHAPES)) {
    it(name, () => {
      // A burst of load from another process can stretch one measurement; a change of complexity stretches
      // every one. So a ratio over the bound is measured again, up to three times in all, and the best counts.
      let ratio = growth(build, n);
      for (let retry = 0; retry < 2 && ratio >= 32; retry++) ratio = Math.min(ratio, growth(build, n));
      expect(ratio).toBeLessThan(32);
    });
  }
});
