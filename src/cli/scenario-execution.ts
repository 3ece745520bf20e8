/**
 * Runs one scenario run for a command: a header line, preload and fault events, console
 * progress (a live line on a terminal, a plain line every few seconds elsewhere), the engine's
 * summary, and the three report files in the scenario's report directory.
 */

import { performance } from 'node:perf_hooks';
import { createConsoleProgress, formatConsoleSummary } from '../loadtest/report/console.ts';
import { type ReportFiles, writeReportFiles } from '../loadtest/report/json.ts';
import type { LoadTestReport } from '../loadtest/report/schema.ts';
import type { ScenarioRun } from '../loadtest/scenario/resolve-scenario.ts';
import { runScenario } from '../loadtest/scenario/run-scenario.ts';
import type { CliIo } from './cli-io.ts';
import { formatDurationS } from './format.ts';
import { shownPath } from './report-dir.ts';
import { createStyle } from './style.ts';

export interface ScenarioExecution {
  report: LoadTestReport;
  files: ReportFiles;
  /** Wall-clock seconds, setup and preload included. */
  wallS: number;
}

export interface ExecuteOptions {
  io: CliIo;
  outDir: string;
  signal: AbortSignal;
  /** Where the store's directory is made (default: the system's temporary directory). */
  dataDir?: string;
  keepData?: boolean;
  /** Print the run's own summary lines (the suite prints a table instead). @default true */
  summary?: boolean;
}

export async function executeScenario(
  scenario: ScenarioRun,
  options: ExecuteOptions,
): Promise<ScenarioExecution> {
  const { io } = options;
  const style = createStyle(io.color);
  const { config, target } = scenario;
  io.stdout.write(
    `${style.bold(`▶ ${config.name}`)} ${style.dim(
      `(${config.mode}, ${formatDurationS(config.durationS)}, seed ${config.seed}, ` +
        `${target.data.vectors} × ${target.data.dimension}, ${target.objectStore})`,
    )} ${config.description}\n`,
  );
  const progress = createConsoleProgress({
    stream: io.stderr as NodeJS.WritableStream,
    live: io.isTty,
    progressIntervalS: 5,
  });
  const startMs = performance.now();
  let report: LoadTestReport;
  try {
    report = await runScenario(scenario, {
      signal: options.signal,
      onProgress: progress.onProgress,
      onEvent: (message) => io.stderr.write(`  ${message}\n`),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.keepData === undefined ? {} : { keepData: options.keepData }),
    });
  } finally {
    progress.finish();
  }
  const files = await writeReportFiles(report, options.outDir);
  const wallS = (performance.now() - startMs) / 1000;
  if (options.summary !== false) {
    const summary = formatConsoleSummary(report);
    const [first = '', ...rest] = summary.split('\n');
    io.stdout.write(
      `${report.passed ? style.pass(first) : style.fail(first)}\n${rest.map((l) => `${l}\n`).join('')}`,
    );
    const preload = preloadOf(report);
    if (preload !== undefined) {
      io.stdout.write(
        `  preload ${preload.vectors} vectors in ${preload.durationS} s (${preload.vectorsPerS} vectors/s, not judged)\n`,
      );
    }
    io.stdout.write(`  report: ${shownPath(io.cwd, files.html)}\n`);
  }
  return { report, files, wallS };
}

/** The preload figures the tiervec target put in the report, when present. */
export function preloadOf(
  report: LoadTestReport,
): { vectors: number; durationS: number; vectorsPerS: number } | undefined {
  const preload = (report.target.info as { preload?: unknown }).preload;
  if (typeof preload !== 'object' || preload === null) return undefined;
  const { vectors, durationS, vectorsPerS } = preload as Record<string, unknown>;
  if (typeof vectors !== 'number' || typeof durationS !== 'number' || typeof vectorsPerS !== 'number')
    return undefined;
  return { vectors, durationS, vectorsPerS };
}
