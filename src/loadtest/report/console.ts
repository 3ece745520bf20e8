/**
 * Console progress and the end-of-run summary. On a TTY one status line is rewritten in place after
 * every interval; elsewhere (CI logs, pipes) a plain line is printed every `progressIntervalS`. The
 * line's shape: `[00:15] 25% | 10234 ops/s (target 10000) | slowest: search p99 8.2 ms | errors 0.02%`;
 * a finished run's last line reads 100%, and the live line is cleared before any other output and
 * ended before the summary. No colours: the output reads the same with NO_COLOR, in a log file and
 * on a terminal.
 */

import { LOADTEST_DEFAULTS } from '../config.ts';
import type { LoadTestProgress } from '../run.ts';
import { formatCriterionLines } from './criteria-lines.ts';
import { formatClock, formatMs, formatPercent, formatRate } from './format.ts';
import type { LoadTestReport } from './schema.ts';

/** One progress line (no newline). */
export function formatProgressLine(progress: LoadTestProgress): string {
  const { interval } = progress;
  const parts = [
    `[${formatClock(progress.elapsedS)}] ${Math.floor(progress.fraction * 100)}%`,
    progress.targetOpsPerS === null
      ? `${formatRate(interval.achievedRate)} ops/s`
      : `${formatRate(interval.achievedRate)} ops/s (target ${formatRate(progress.targetOpsPerS)})`,
  ];
  // The slowest operation of the interval is the one worth watching.
  let slowest: [string, number] | undefined;
  for (const [name, op] of Object.entries(interval.operations)) {
    if (op.count > 0 && (slowest === undefined || op.latencyMs.p99 > slowest[1]))
      slowest = [name, op.latencyMs.p99];
  }
  if (slowest !== undefined) parts.push(`slowest: ${slowest[0]} p99 ${formatMs(slowest[1])}`);
  parts.push(`errors ${formatPercent(progress.completed > 0 ? progress.errors / progress.completed : 0)}`);
  if (progress.dropped > 0) parts.push(`dropped ${progress.dropped}`);
  if (interval.queued > 0) parts.push(`queued ${interval.queued}`);
  if (progress.phase !== 'measuring') parts.push(progress.phase);
  return parts.join(' | ');
}

export interface ConsoleProgressOptions {
  /** @default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Rewrite one line in place; @default the stream's isTTY */
  live?: boolean;
  /** Seconds between lines when not live. @default 10 */
  progressIntervalS?: number;
}

export interface ConsoleProgress {
  onProgress(progress: LoadTestProgress): void;
  /** Writes `text` (whole lines) without tearing the live line: cleared first, redrawn after. */
  print(text: string): void;
  /**
   * Ends the live line (call once the run is over); with `completed`, its last line first reads
   * 100% at the full duration.
   */
  finish(options?: { completed?: boolean }): void;
}

export function createConsoleProgress(options: ConsoleProgressOptions = {}): ConsoleProgress {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? stream.isTTY === true;
  const everyS = options.progressIntervalS ?? LOADTEST_DEFAULTS.progressIntervalS;
  let printedSlot = 0;
  let lineOpen = false;
  let last: LoadTestProgress | undefined;
  let lastPrinted: LoadTestProgress | undefined;
  return {
    onProgress(progress) {
      last = progress;
      const line = formatProgressLine(progress);
      if (live) {
        stream.write(`\r\x1b[2K${line}`);
        lineOpen = true;
        return;
      }
      const slot = Math.floor((progress.elapsedS + 1e-6) / everyS);
      if (slot > printedSlot) {
        printedSlot = slot;
        lastPrinted = progress;
        stream.write(`${line}\n`);
      }
    },
    print(text) {
      if (!lineOpen || last === undefined) {
        stream.write(text);
        return;
      }
      stream.write(`\r\x1b[2K${text}${formatProgressLine(last)}`);
    },
    finish(options = {}) {
      if (options.completed === true && last !== undefined) {
        const done = { ...last, elapsedS: Math.max(last.elapsedS, last.durationS), fraction: 1 };
        const line = formatProgressLine({ ...done, phase: 'measuring' });
        if (live) stream.write(`\r\x1b[2K${line}`);
        else if (lastPrinted !== last || last.fraction < 1) stream.write(`${line}\n`);
        lineOpen = live;
      }
      if (lineOpen) stream.write('\n');
      lineOpen = false;
    },
  };
}

/** The end of a run: verdict, throughput, latency, why it stopped early, and ✓/✗ per criterion. */
export function formatConsoleSummary(report: LoadTestReport): string {
  const s = report.summary;
  const verdict = report.passed
    ? 'PASSED'
    : report.stopReason === 'aborted'
      ? 'STOPPED (partial report)'
      : 'FAILED';
  const lines = [
    `${report.scenario}: ${verdict} — ${s.operations} operations in ${report.durationS} s, ` +
      `${formatRate(s.throughputOpsPerS)} ops/s` +
      (s.targetOpsPerS === null ? '' : ` (target ${formatRate(s.targetOpsPerS)})`) +
      `, errors ${formatPercent(s.errorRate)}` +
      (s.dropped > 0 ? `, dropped ${s.dropped}` : ''),
    `  latency p50 ${formatMs(s.latencyMs.p50)}  p95 ${formatMs(s.latencyMs.p95)}  p99 ${formatMs(s.latencyMs.p99)}  ` +
      `max ${formatMs(s.latencyMs.max)}  (service p99 ${formatMs(s.serviceTimeMs.p99)})`,
  ];
  if (report.stoppedBy !== undefined) lines.push(`  stopped: ${report.stoppedBy.message}`);
  lines.push(...formatCriterionLines(report.criteria));
  return lines.join('\n');
}
