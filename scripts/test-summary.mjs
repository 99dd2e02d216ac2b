// Reads vitest's JSON report and prints the closing line CI looks for: "N passed, N failed".
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'vitest-report.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log('0 passed, 1 failed');
  console.error(`no readable test report at ${file}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A file that failed to load has no failed assertion of its own: count it as one failure.
const suitesFailed = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'),
).length;
console.log(`${passed} passed, ${failed + suitesFailed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed + suitesFailed > 0 || passed === 0 ? 1 : 0);
