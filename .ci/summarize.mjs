// Reads vitest's JSON report and prints the one line CI reads: `tests: N passed, N failed, N skipped`.
// A missing or unreadable report counts as a failure, never as zero tests passed.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.ci/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (error) {
  console.log(`vitest JSON report ${path} is missing or unreadable: ${error.message}`);
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Suites that fail to load have no tests in them; count each as a failure so it cannot hide.
const failedSuites = (report.testResults ?? []).filter(
  (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
).length;
const failed = (report.numFailedTests ?? 0) + failedSuites;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
