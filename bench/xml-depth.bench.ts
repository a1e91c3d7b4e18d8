/**
 * `node bench/xml-depth.bench.ts`: what a deeply nested hostile message costs before it is refused.
 *
 * Two shapes from issue #9: 20,000 nested elements outside the signed part (in samlp:Extensions), and
 * 35,000 nested inside the Response's ds:SignedInfo. Prints the median time per validateResponse call and
 * the outcome (error code, or the exception that escaped).
 */
import { validateResponse } from '../src/core/response/validate-response.ts';
import { buildResponseXml, buildValidateOptions, encodeResponse } from '../test/fixtures/build-response.ts';

function nest(depth: number): string {
  return `${'<x:a xmlns:x="urn:x">'.repeat(1)}${'<x:a>'.repeat(depth - 1)}${'</x:a>'.repeat(depth)}`;
}

async function measure(name: string, samlResponse: string, runs: number): Promise<void> {
  const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
  const times: number[] = [];
  let outcome = '';
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    try {
      await validateResponse(samlResponse, { ...options, maxBytes: 10 * 1024 * 1024 });
      outcome = 'accepted';
    } catch (err) {
      outcome = (err as { code?: string }).code ?? `${(err as Error).name}: ${(err as Error).message}`;
    }
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name}: median ${times[Math.floor(times.length / 2)]!.toFixed(2)} ms over ${runs} runs -> ${outcome}`,
  );
}

function inExtensions(xml: string, depth: number): string {
  return xml.replace('<samlp:Status>', `<samlp:Extensions>${nest(depth)}</samlp:Extensions><samlp:Status>`);
}

function inFirstSignedInfo(xml: string, depth: number): string {
  const at = xml.indexOf('<ds:SignedInfo>') + '<ds:SignedInfo>'.length;
  return xml.slice(0, at) + nest(depth) + xml.slice(at);
}

const assertionSigned = await buildResponseXml({ sign: 'assertion' });
const bothSigned = await buildResponseXml({ sign: 'both' });
await measure('genuine response (assertion signed)', encodeResponse(assertionSigned), 50);
await measure(
  '20,000 nested outside the signed part',
  encodeResponse(inExtensions(assertionSigned, 20_000)),
  10,
);
await measure(
  '20,000 nested inside the signed Response',
  encodeResponse(inExtensions(bothSigned, 20_000)),
  10,
);
await measure(
  '35,000 nested inside the assertion SignedInfo',
  encodeResponse(inFirstSignedInfo(assertionSigned, 35_000)),
  5,
);
await measure(
  '35,000 nested inside the Response SignedInfo',
  encodeResponse(inFirstSignedInfo(bothSigned, 35_000)),
  5,
);
