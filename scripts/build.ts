/**
 * `npm run build` (and `npm pack`, through prepack): compiles src/ to dist/ with tsc (tsconfig.build.json):
 * ESM JavaScript with `.ts` import specifiers rewritten to `.js`, declarations, declaration maps and source maps.
 * Development never needs dist/: tests, `npm start` and the CLI in a checkout run the .ts sources.
 *
 * tsc leaves the `.ts` specifiers of declaration files as written. TypeScript 5.9 resolves them, but older
 * compilers and other tools reading the types may not, so they are rewritten to `.js` here: the same length, so
 * the declaration maps stay exact.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const started = performance.now();

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);

// Relative specifiers only: `from './x.ts'`, `import('./x.ts')`, `export * from '../y.ts'`.
const relativeTs = /((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g;
let files = 0;
for (const entry of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!entry.endsWith('.d.ts')) continue;
  const file = path.join(dist, entry);
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(relativeTs, '$1.js$2');
  if (rewritten !== text) writeFileSync(file, rewritten);
  files += 1;
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`build: dist/ written (${files} declaration files) in ${seconds}s`);
