/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or bench:http with BENCH_CPU_PROF=DIR): the top functions by
 * self time, self time split by where the code lives (Express and its middleware, XML, crypto, SQLite, the
 * product's rooms, Node internals), and the inclusive time of the functions named on the command line.
 *
 *   node bench/profile-summary.ts PROFILE.cpuprofile [--from=SECONDS] [functionName[@file-part] ...]
 *
 * --from skips the first seconds of the profile (start-up, module compilation, warm-up).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives, by its URL: first match wins. */
const CATEGORIES: [string, RegExp][] = [
  [
    'express/router/body-parser/cookie',
    /node_modules\/(express|router|body-parser|path-to-regexp|qs|cookie|send|finalhandler|on-finished|type-is|mime|raw-body|iconv-lite|content-type|accepts|negotiator|depd|debug|statuses|http-errors|safe-buffer|parseurl|encodeurl|escape-html|vary|proxy-addr|forwarded|ipaddr)/,
  ],
  ['passport/express-session', /node_modules\/(passport|express-session|@node-saml\/passport-saml)/],
  ['node-saml', /node_modules\/@node-saml\/node-saml/],
  ['xml: xmldom', /node_modules\/@xmldom/],
  ['xml: xml-crypto/xpath', /node_modules\/(xml-crypto|xpath|xml-encryption|xml2js|xmlbuilder|sax)/],
  ['zod', /node_modules\/zod/],
  ['opentelemetry', /node_modules\/@opentelemetry/],
  ['other node_modules', /node_modules\//],
  ['src/core/xml', /\/src\/core\/xml\//],
  ['src/core/crypto', /\/src\/core\/crypto\//],
  ['src/core/response', /\/src\/core\/response\//],
  ['src/core (other)', /\/src\/core\//],
  ['src/store/sqlite', /\/src\/store\/sqlite\//],
  ['src/store (other)', /\/src\/store\//],
  ['src/http', /\/src\/http\//],
  ['src/sp', /\/src\/sp\//],
  ['src/trace', /\/src\/trace\//],
  ['src/events', /\/src\/events\//],
  ['src/metrics', /\/src\/metrics\//],
  ['src/keys', /\/src\/keys\//],
  ['src (other)', /\/src\//],
  ['node:sqlite', /^node:sqlite/],
  ['node: http/net/streams', /^node:(_http|http|net|internal\/(http|streams|stream_base|net)|stream|events)/],
  ['node: other', /^node:/],
];

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/profile-summary.ts PROFILE.cpuprofile [functionName ...]');
  process.exit(2);
}
const fromArg = process.argv.find((a) => a.startsWith('--from='));
const fromUs = fromArg ? Number(fromArg.slice('--from='.length)) * 1e6 : 0;
const wanted = process.argv.slice(3).filter((a) => !a.startsWith('--'));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
// Samples before --from count as nothing.
{
  let t = 0;
  profile.timeDeltas = profile.timeDeltas.map((dt) => {
    t += dt;
    return t < fromUs ? 0 : dt;
  });
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  total += dt;
});
const idleNames = new Set(['(idle)', '(program)', '(garbage collector)']);
let idle = 0;
const perFunction = new Map<string, number>();
const perCategory = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  const short = url.replace(/^.*\/(node_modules|src|bench)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
  perFunction.set(key, (perFunction.get(key) ?? 0) + us);
  const category = idleNames.has(functionName)
    ? functionName
    : url === ''
      ? '(native/builtin)'
      : (CATEGORIES.find(([, re]) => re.test(url))?.[0] ?? url);
  perCategory.set(category, (perCategory.get(category) ?? 0) + us);
}
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(
  `profile: ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (idle excluded below)\n`,
);
console.log('self time by function (top 30):');
for (const [k, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`  ${pct(us)}  ${k}`);
}
console.log('\nself time by where the code lives:');
for (const [k, us] of [...perCategory].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${k}`);

if (wanted.length > 0) {
  // Inclusive: a sample counts for a function when the function is anywhere on its stack (once per sample).
  const inclusive = new Map<string, number>(wanted.map((w) => [w, 0]));
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const { functionName, url } = byId.get(n)!.callFrame;
      for (const w of wanted) {
        const [name, part] = w.split('@');
        if (name === functionName && (!part || url.includes(part)) && !seen.has(w)) {
          seen.add(w);
          inclusive.set(w, (inclusive.get(w) ?? 0) + dt);
        }
      }
    }
  });
  console.log('\ninclusive time of named functions (synchronous part only: awaits split the stack):');
  for (const [k, us] of inclusive) console.log(`  ${pct(us)}  ${k}`);
}
