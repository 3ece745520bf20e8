/**
 * Runs one scenario run for a command: a header line, preload and fault events, console
 * progress (a live line on a terminal, a plain line every few seconds elsewhere), the engine's
 * summary, and the three report files in the scenario's report directory.
 */

import { performance } from 'node:perf_hooks';
import { profileBaseRate } from '../loadtest/profile-spec.ts';
import { createConsoleProgress, formatConsoleSummary } from '../loadtest/report/console.ts';
import { type ReportFiles, writeReportFiles } from '../loadtest/report/json.ts';
import type { LoadTestReport } from '../loadtest/report/schema.ts';
import type { LoadTestProgress } from '../loadtest/run-session.ts';
import type { ScenarioRun } from '../loadtest/scenario/resolve-scenario.ts';
import { runScenario } from '../loadtest/scenario/run-scenario.ts';
import type { ExecutionSegment } from '../loadtest/workers/execution-segment.ts';
import { runScenarioWorkers, type ScenarioSource } from '../loadtest/workers/scenario-workers.ts';
import type { CliIo } from './cli-io.ts';
import { formatDurationS, formatRate } from './format.ts';
import { type LiveFlags, startLiveViews } from './live-views.ts';
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
  /** `--dashboard` and `--metrics-port`. */
  live?: LiveFlags;
  /** Print the scenario's description in the header (a capacity probe's rate is not the file's). @default true */
  description?: boolean;
  /** `--workers N` (N processes, merged) or `--segment i/n` (this share only). @default in this process */
  spread?: ExecutionSpread;
}

export type ExecutionSpread =
  | { kind: 'in-process' }
  | { kind: 'workers'; workers: number; source: ScenarioSource }
  | { kind: 'segment'; segment: ExecutionSegment };

export async function executeScenario(
  scenario: ScenarioRun,
  options: ExecuteOptions,
): Promise<ScenarioExecution> {
  const { io } = options;
  const style = createStyle(io.color);
  const { config, target } = scenario;
  io.stdout.write(
    `${style.bold(`▶ ${config.name}`)} ${style.dim(
      `(${config.mode}, ${formatDurationS(config.durationS)}${offeredRate(scenario)}, seed ${config.seed}${spreadLabel(options.spread)}, ` +
        `${target.data.vectors} × ${target.data.dimension}, ${target.objectStore})`,
    )}${options.description === false ? '' : ` ${config.description}`}\n`,
  );
  const progress = createConsoleProgress({
    stream: io.stderr as NodeJS.WritableStream,
    live: io.isTty,
    progressIntervalS: 5,
  });
  const live = await startLiveViews(io, scenario, options.live ?? {});
  try {
    return await runAndReport(scenario, options, progress, live);
  } finally {
    await live?.close();
  }
}

async function runAndReport(
  scenario: ScenarioRun,
  options: ExecuteOptions,
  progress: ReturnType<typeof createConsoleProgress>,
  live: Awaited<ReturnType<typeof startLiveViews>>,
): Promise<ScenarioExecution> {
  const { io } = options;
  const style = createStyle(io.color);
  const startMs = performance.now();
  let report: LoadTestReport | undefined;
  const spread = options.spread ?? { kind: 'in-process' };
  const common = {
    signal: options.signal,
    onProgress:
      live === undefined
        ? progress.onProgress
        : (p: LoadTestProgress) => {
            progress.onProgress(p);
            live.onProgress(p);
          },
    onEvent: (message: string) => progress.print(`  ${message}\n`),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.keepData === undefined ? {} : { keepData: options.keepData }),
  };
  try {
    report =
      spread.kind === 'workers'
        ? // Each worker has its own store: the live views get merged progress, no store metrics.
          await runScenarioWorkers(scenario, spread.source, { ...common, workers: spread.workers })
        : await runScenario(scenario, {
            ...common,
            ...(live === undefined ? {} : { onTarget: live.onTarget }),
            ...(spread.kind === 'segment' ? { segment: spread.segment } : {}),
          });
  } finally {
    progress.finish({ completed: report?.stopReason === 'completed' });
  }
  const files = await writeReportFiles(report, options.outDir);
  await live?.finish(report);
  const wallS = (performance.now() - startMs) / 1000;
  if (options.summary !== false) {
    const summary = formatConsoleSummary(report);
    const [first = '', ...rest] = summary.split('\n');
    io.stdout.write(
      `${report.passed ? style.pass(first) : style.fail(first)}\n${rest.map((l) => `${l}\n`).join('')}`,
    );
    const preload = preloadOf(report);
    if (preload !== undefined) {
      const compaction =
        preload.compaction === undefined
          ? ''
          : `, then compacted into ${preload.compaction.partitions} partitions in ${preload.compaction.durationS} s`;
      io.stdout.write(
        `  preload ${preload.vectors} vectors in ${preload.durationS} s (${preload.vectorsPerS} vectors/s)${compaction}, not judged\n`,
      );
    }
    io.stdout.write(`  report: ${shownPath(io.cwd, files.html)}\n`);
  }
  return { report, files, wallS };
}

/**
 * `, 80 ops/s`: the rate the open-model groups are offered (their steady or highest rate), so that
 * a probe or a `--rate` run says what it runs whatever the scenario's description says.
 */
function offeredRate(scenario: ScenarioRun): string {
  let total = 0;
  for (const group of scenario.config.groups ?? [scenario.config.load ?? {}]) {
    if (group.profile !== undefined) total += profileBaseRate(group.profile);
  }
  return total > 0 ? `, ${formatRate(total)} ops/s` : '';
}

/** `, 4 workers` or `, segment 1/4` for the header line; nothing for a run in this process. */
function spreadLabel(spread: ExecutionSpread | undefined): string {
  if (spread?.kind === 'workers') return `, ${spread.workers} worker${spread.workers === 1 ? '' : 's'}`;
  if (spread?.kind === 'segment') return `, segment ${spread.segment.index}/${spread.segment.count}`;
  return '';
}

/** The preload figures the tiervec target put in the report, when present. */
export function preloadOf(report: LoadTestReport):
  | {
      vectors: number;
      durationS: number;
      vectorsPerS: number;
      compaction?: { partitions: number; durationS: number };
    }
  | undefined {
  const preload = (report.target.info as { preload?: unknown }).preload;
  if (typeof preload !== 'object' || preload === null) return undefined;
  const { vectors, durationS, vectorsPerS, compaction } = preload as Record<string, unknown>;
  if (typeof vectors !== 'number' || typeof durationS !== 'number' || typeof vectorsPerS !== 'number')
    return undefined;
  const { partitions, durationS: compactS } = (compaction ?? {}) as Record<string, unknown>;
  if (typeof partitions !== 'number' || typeof compactS !== 'number')
    return { vectors, durationS, vectorsPerS };
  return { vectors, durationS, vectorsPerS, compaction: { partitions, durationS: compactS } };
}
