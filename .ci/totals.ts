// Prints vitest's JSON reports as the one closing line CI reads: "N passed, N failed" (skipped ones on the line before), summed over
// every report named on the command line (npm test, npm run test:e2e, npm run chaos:short, npm run test:pack).
// A missing report counts as a failure.
import { existsSync, readFileSync } from 'node:fs';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : ['.ci/results.json'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  if (!existsSync(file)) {
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  passed += report.numPassedTests;
  // A test file that fails to load has no failed tests but a failed suite: count it, never hide it.
  failed += report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  skipped += report.numPendingTests + report.numTodoTests;
}
// Skipped tests are reported on their own line: the last line stays exactly "N passed, N failed".
if (skipped) console.log(`${skipped} skipped (each says why in its test file)`);
console.log(`${passed} passed, ${failed} failed`);
