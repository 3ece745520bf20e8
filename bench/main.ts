/**
 * `npm run bench`: runs the registered suites (or the ones the filters name), prints a table per
 * suite and the targets, writes `bench/results/<timestamp>.json`, and with `--compare` gates on a
 * saved baseline. Exit codes: 0 fine, 1 a regression beyond tolerance, 2 bad arguments or an
 * unreadable baseline, 3 a suite or task broke.
 */

import { writeFile } from 'node:fs/promises';
import { isTierVecError } from '../src/errors.ts';
import type { RegisteredSuite } from './runner/bench-suite.ts';
import { itemNames } from './runner/bench-suite.ts';
import { type BenchOptions, parseBenchArgs, USAGE } from './runner/cli-options.ts';
import { compareResults } from './runner/compare.ts';
import { EXIT_CODE } from './runner/defaults.ts';
import { captureEnvironment } from './runner/environment.ts';
import { SUITES } from './runner/registry.ts';
import {
  type BenchResults,
  RESULTS_SCHEMA_VERSION,
  readResultsFile,
  type SuiteOutcome,
  type TargetResult,
  type TaskEntry,
  writeBaselineFile,
  writeResultsFile,
} from './runner/results-file.ts';
import { isSelected } from './runner/selection.ts';
import { describeError, runSuite } from './runner/suite-runner.ts';
import {
  formatCompareReport,
  formatConsoleTable,
  formatMarkdownReport,
  formatTargets,
} from './runner/table.ts';

const log = (line: string) => console.log(line);

// A reader that stops early (`| head`) is not an error of the benchmarks.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  let saved: BenchResults | undefined;
  try {
    options = parseBenchArgs(argv);
    if (options.help) {
      log(USAGE);
      return EXIT_CODE.ok;
    }
    // Read the baseline before measuring anything: a wrong path should not cost a whole run.
    if (options.comparePath !== undefined) saved = await readResultsFile(options.comparePath);
  } catch (error) {
    if (!isTierVecError(error)) throw error;
    console.error(`bench: ${error.message}`);
    return EXIT_CODE.usage;
  }
  if (options.list) return listSuites(SUITES, options);
  const results = await runAll(SUITES, options);
  if (options.filters.length > 0 && results.suites.every((suite) => suite.state === 'skipped')) {
    console.error(`bench: no suite or task matches ${options.filters.join(', ')} (see --list)`);
    return EXIT_CODE.usage;
  }
  const resultsPath = await writeResultsFile(options.resultsDir, results);
  log(`\nresults: ${resultsPath} (${results.durationS.toFixed(1)} s)`);
  if (options.saveBaselinePath !== undefined) {
    await writeBaselineFile(options.saveBaselinePath, results);
    log(`baseline saved: ${options.saveBaselinePath}`);
  }
  if (options.markdownPath !== undefined) {
    await writeFile(options.markdownPath, formatMarkdownReport(results));
    log(`markdown tables: ${options.markdownPath}`);
  }
  const broken = results.suites.filter((suite) => suite.state === 'broken');
  let passed = true;
  if (saved !== undefined) {
    const filters = options.filters;
    const report = compareResults(saved, results, {
      tolerancePct: options.tolerancePct,
      selected: (entry) => isSelected(filters, entry.suite, [entry.name]),
    });
    log(`\n== compare with ${options.comparePath} (tolerance ${options.tolerancePct}% beyond noise)`);
    log(formatCompareReport(report));
    passed = report.passed;
  }
  if (broken.length > 0) {
    log(`\nbroken: ${broken.map((suite) => suite.name).join(', ')}`);
    return EXIT_CODE.broken;
  }
  return passed ? EXIT_CODE.ok : EXIT_CODE.regression;
}

async function runAll(suites: readonly RegisteredSuite[], options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date();
  const startedMs = performance.now();
  const environment = captureEnvironment(options.mode);
  log(
    `tiervec bench (${options.mode}) on ${environment.cpuModel} × ${environment.cores}, Node ${environment.nodeVersion}`,
  );
  const outcomes: SuiteOutcome[] = [];
  const tasks: TaskEntry[] = [];
  const targets: TargetResult[] = [];
  for (const suite of suites) {
    log(`\n== ${suite.name}: ${suite.summary}`);
    const run = await runSuite(suite, options.mode, options.filters, log);
    if (run === undefined) {
      log('  (not selected by the filters)');
      outcomes.push({ name: suite.name, state: 'skipped', reason: 'not selected by the filters' });
      continue;
    }
    outcomes.push(run.outcome);
    tasks.push(...run.entries);
    targets.push(...run.targets);
    if (run.entries.length > 0) log(`\n${formatConsoleTable(run.entries)}`);
    if (run.targets.length > 0) log(`\ntargets:\n${formatTargets(run.targets)}`);
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    startedAt: startedAt.toISOString(),
    durationS: (performance.now() - startedMs) / 1000,
    mode: options.mode,
    filters: options.filters,
    environment,
    suites: outcomes,
    tasks,
    targets,
  };
}

async function listSuites(suites: readonly RegisteredSuite[], options: BenchOptions): Promise<number> {
  for (const suite of suites) {
    log(
      `${suite.name}: ${suite.summary}${suite.fullDurationNote ? ` (full: ${suite.fullDurationNote})` : ''}`,
    );
    try {
      const plan = await suite.planFor(options.mode);
      for (const item of plan.items) {
        const names = itemNames(item);
        if (!isSelected(options.filters, suite.name, names)) continue;
        log(
          `  ${suite.name}/${item.name}${item.kind === 'figures' ? ` → ${item.figureNames.join(', ')}` : ''}`,
        );
      }
      await plan.close?.();
    } catch (error) {
      log(`  (cannot plan: ${describeError(error)})`);
    }
  }
  return EXIT_CODE.ok;
}

process.exitCode = await main(process.argv.slice(2));
// Every plan closes what it opened; should a handle still hold the loop open, do not hang the caller.
setTimeout(() => {
  console.error('bench: a handle was left open after the run; exiting anyway');
  process.exit();
}, 5_000).unref();
