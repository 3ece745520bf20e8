/**
 * `tiervec loadtest short | full`: every shipped scenario, one after another, each with its own
 * report directory, then the suite's table on the console and `summary.md` / `index.html` in
 * `reports/<suite>-<timestamp>/`. Every scenario is loaded and checked before the first one runs, so
 * a broken file stops the suite at once (exit 2). A scenario that breaks is recorded and the suite
 * goes on. Exit 0 when all passed, 1 when one failed, 3 when one broke or the suite was interrupted.
 */

import { performance } from 'node:perf_hooks';
import { ErrorCode, TierVecError } from '../errors.ts';
import { listScenarios, loadScenario } from '../loadtest/scenario/load-scenario.ts';
import type { ScenarioRun } from '../loadtest/scenario/resolve-scenario.ts';
import type { ScenarioMode } from '../loadtest/scenario/scenario-types.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { reportDir, reportTimestamp, shownPath } from './report-dir.ts';
import { checkRunnable, overridesOf, type ScenarioFlags } from './run-command.ts';
import { executeScenario, preloadOf } from './scenario-execution.ts';
import { createStyle } from './style.ts';
import {
  counts,
  formatSuiteTable,
  type SuiteOutcome,
  type SuiteResult,
  writeSuiteSummary,
} from './suite-summary.ts';

export interface SuiteFlags extends Omit<ScenarioFlags, 'short' | 'full'> {
  /** Reports root. @default reports */
  out?: string;
  /** Comma-separated scenario names to run (default: all). */
  only?: string;
}

async function selectScenarios(mode: ScenarioMode, flags: SuiteFlags): Promise<ScenarioRun[]> {
  const names = (await listScenarios()).map((listing) => listing.name);
  let selected = names;
  if (flags.only !== undefined) {
    selected = flags.only
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const unknown = selected.filter((name) => !names.includes(name));
    if (unknown.length > 0 || selected.length === 0) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected --only to name shipped scenarios (${names.join(', ')}), got ${JSON.stringify(flags.only)}`,
      );
    }
  }
  const scenarios: ScenarioRun[] = [];
  for (const name of selected) {
    const scenario = await loadScenario(name, { mode, overrides: overridesOf(flags) });
    checkRunnable(scenario);
    scenarios.push(scenario);
  }
  return scenarios;
}

export async function suiteCommand(
  io: CliIo,
  mode: ScenarioMode,
  flags: SuiteFlags,
  signal: AbortSignal,
): Promise<number> {
  const style = createStyle(io.color);
  const scenarios = await selectScenarios(mode, flags);
  const startedAt = new Date();
  const timestamp = reportTimestamp(startedAt);
  const startMs = performance.now();
  const outcomes: SuiteOutcome[] = [];
  io.stdout.write(`${style.bold(`tiervec loadtest ${mode}`)}: ${scenarios.length} scenarios\n`);
  for (const scenario of scenarios) {
    if (signal.aborted) break;
    const outDir = reportDir(io.cwd, flags.out, scenario.config.name, timestamp);
    const scenarioStartMs = performance.now();
    try {
      const { report, wallS } = await executeScenario(scenario, {
        io,
        outDir,
        signal,
        ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
        ...(flags.keepData === undefined ? {} : { keepData: flags.keepData }),
      });
      outcomes.push({
        state: 'completed',
        scenario: scenario.config.name,
        report,
        reportDir: outDir,
        wallS,
        preloadS: preloadOf(report)?.durationS,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`${style.fail(`✗ ${scenario.config.name} broke`)}: ${message.split('\n')[0]}\n`);
      outcomes.push({
        state: 'broken',
        scenario: scenario.config.name,
        error: message.split('\n')[0] ?? '',
        wallS: (performance.now() - scenarioStartMs) / 1000,
      });
    }
    io.stdout.write('\n');
  }
  const result: SuiteResult = {
    suite: mode,
    startedAt: startedAt.toISOString(),
    wallS: (performance.now() - startMs) / 1000,
    outcomes,
  };
  const files = await writeSuiteSummary(result, reportDir(io.cwd, flags.out, mode, timestamp));
  io.stdout.write(`${formatSuiteTable(result, style)}\n`);
  io.stdout.write(`summary: ${shownPath(io.cwd, files.markdown)}  ${shownPath(io.cwd, files.html)}\n`);
  const { failed, broken } = counts(result);
  const interrupted =
    signal.aborted || outcomes.some((o) => o.state === 'completed' && o.report.stopReason === 'aborted');
  if (broken > 0 || interrupted || outcomes.length < scenarios.length) return ExitCode.BROKEN;
  return failed > 0 ? ExitCode.FAILED : ExitCode.PASSED;
}
