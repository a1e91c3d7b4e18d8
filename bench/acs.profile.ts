/**
 * `npm run bench:profile`: where validateResponse spends its time (issue #16). Validates N responses of one
 * scenario under the V8 sampling profiler (only the timed loop is profiled: building the fixtures is not),
 * writes the .cpuprofile (open it in Chrome DevTools) and prints the functions with the most self time and the
 * share of each package or source file.
 *
 * Options: SCENARIO (assertion | both | encrypted, default assertion), N (default 4000), TOP (default 25),
 * OUT (default acs.cpuprofile in the working directory).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { validateResponse } from '../src/core/response/validate-response.ts';
import {
  type BuildResponseOptions,
  buildResponse,
  buildValidateOptions,
  REQUEST_ID,
} from '../test/fixtures/build-response.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const scenario = process.env.SCENARIO ?? 'assertion';
const n = Number(process.env.N ?? 4000);
const top = Number(process.env.TOP ?? 25);
const out = process.env.OUT ?? 'acs.cpuprofile';
const builds: Record<string, BuildResponseOptions> = {
  assertion: {},
  both: { sign: 'both' },
  encrypted: { encrypt: { algorithm: 'aes256-gcm' } },
};
const build = builds[scenario];
if (!build) throw new Error(`SCENARIO must be one of ${Object.keys(builds).join(', ')}`);

const now = new Date();
const pool = await Promise.all(Array.from({ length: 64 }, () => buildResponse({ now, ...build })));
const options = {
  ...buildValidateOptions({
    now,
    ...(scenario === 'both' ? { policy: { wantSigned: 'response-and-assertion' as const } } : {}),
  }),
  expectedRequestIds: [REQUEST_ID],
};
for (let i = 0; i < 500; i++) await validateResponse(pool[i % pool.length]!, options);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const start = performance.now();
for (let i = 0; i < n; i++) await validateResponse(pool[i % pool.length]!, options);
const elapsed = performance.now() - start;
const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
session.disconnect();
writeFileSync(out, JSON.stringify(profile));

const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTime = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const { functionName, url, lineNumber } = byNode.get(id)!.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^.*?\/(src|test|bench)\//, '$1/') || '(native)';
  const key = `${functionName || '(anonymous)'}  ${file}:${lineNumber + 1}`;
  const dt = profile.timeDeltas[i] ?? 0;
  selfTime.set(key, (selfTime.get(key) ?? 0) + dt);
  const owner =
    file.startsWith('src/') || file.startsWith('node:')
      ? file
      : (file.match(/^(@[^/]+\/)?[^/]+/)?.[0] ?? file);
  byFile.set(owner, (byFile.get(owner) ?? 0) + dt);
  total += dt;
});
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(
  `${scenario}: ${n} validations, ${((elapsed / n) * 1000).toFixed(0)} µs each (profiler on); profile in ${out}\n`,
);
console.log('self time, top functions:');
for (const [k, t] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(t)}  ${k}`);
console.log('\nself time by package or source file:');
for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`);
