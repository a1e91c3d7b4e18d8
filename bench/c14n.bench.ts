/**
 * `node bench/c14n.bench.ts`: exclusive c14n alone (issue #16), ours (src/core/crypto/exc-c14n.ts) against
 * xml-crypto's canonicaliser called as the verifier called it before (test/core/crypto/xml-crypto-c14n.ts),
 * on the parsed 5 KB assertion-signed response: the SignedInfo and the assertion without its enveloped
 * Signature, as the verifier canonicalises them. Interleaved rounds in one run; compare the ratio, not the
 * absolute times (the machine is shared). Both must produce the same bytes; the bench checks it first.
 *
 * Options: BENCH_SECONDS (per contender per round, default 1), BENCH_ROUNDS (default 4).
 */
import type { Element } from '@xmldom/xmldom';
import { canonicalizeExclusive } from '../src/core/crypto/exc-c14n.ts';
import { parseXml } from '../src/core/xml/parse.ts';
import { xmlCryptoExclusive } from '../test/core/crypto/xml-crypto-c14n.ts';
import { buildResponseXml } from '../test/fixtures/build-response.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

const doc = parseXml(await buildResponseXml({}), { what: 'bench' });
const assertion = doc.getElementsByTagNameNS(SAML, 'Assertion').item(0)!;
const signature = assertion.getElementsByTagNameNS(DSIG, 'Signature').item(0)!;
const signedInfo = signature.getElementsByTagNameNS(DSIG, 'SignedInfo').item(0)!;

type C14n = (el: Element, options?: { exclude?: Element }) => string;
const contenders: [string, C14n][] = [
  ['ours (exc-c14n.ts)', canonicalizeExclusive],
  ['xml-crypto 6', xmlCryptoExclusive],
];
for (const [name, c14n] of contenders) {
  if (c14n(assertion, { exclude: signature }) !== canonicalizeExclusive(assertion, { exclude: signature }))
    throw new Error(`${name} does not produce our bytes`);
}

const totals = new Map<string, { ops: number; ms: number }>();
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, c14n] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
    const start = performance.now();
    let ops = 0;
    while (performance.now() - start < SECONDS * 1000) {
      for (let i = 0; i < 50; i++) {
        sink += c14n(signedInfo).length + c14n(assertion, { exclude: signature }).length;
        ops++;
      }
    }
    const t = totals.get(name) ?? { ops: 0, ms: 0 };
    totals.set(name, { ops: t.ops + ops, ms: t.ms + performance.now() - start });
  }
}
const ours = totals.get(contenders[0]![0])!;
console.log(
  `node ${process.version}; SignedInfo + assertion (${sink > 0 ? 'checked' : ''} equal bytes), ${ROUNDS} rounds`,
);
for (const [name, t] of totals) {
  const us = (t.ms * 1000) / t.ops;
  console.log(
    `  ${name.padEnd(22)} ${us.toFixed(1).padStart(7)} µs per message   x${(us / ((ours.ms * 1000) / ours.ops)).toFixed(2)} ours`,
  );
}
