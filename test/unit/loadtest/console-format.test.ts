import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createConsoleProgress,
  formatConsoleSummary,
  formatProgressLine,
} from '../../../src/loadtest/report/console.ts';
import { formatCriterionLines, formatCriterionValue } from '../../../src/loadtest/report/criteria-lines.ts';
import type { CriterionResult, LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import type { LoadTestProgress } from '../../../src/loadtest/run.ts';
import { type ManualRun, manualRun } from './fixtures.ts';

let run: ManualRun;
beforeAll(async () => {
  run = await manualRun({ seed: 1 });
});

function progress(elapsedS: number, durationS = 10): LoadTestProgress {
  return {
    elapsedS,
    durationS,
    fraction: Math.min(1, elapsedS / durationS),
    phase: 'measuring',
    targetOpsPerS: 100,
    completed: 100 * elapsedS,
    errors: 0,
    dropped: 0,
    interval: {
      ...(run.report.timeline[0] as LoadTestReport['timeline'][number]),
      achievedRate: 100,
      queued: 0,
      operations: {
        search: { count: 70, errors: 0, latencyMs: { p50: 1, p95: 2, p99: 2.5 } },
        update: { count: 30, errors: 0, latencyMs: { p50: 1, p95: 2, p99: 2.8 } },
      },
    },
  };
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += String(chunk);
  });
  return { stream, text: () => text };
}

const criterion = (over: Partial<CriterionResult>): CriterionResult => ({
  name: 'latency_ms_p95_max',
  description: 'p95 latency ≤ 25 ms',
  operation: null,
  window: null,
  limit: 25,
  actual: 12.34,
  passed: true,
  ...over,
});

describe('the progress line', () => {
  it('says that the operation it names is the slowest, with its percentile and unit', () => {
    expect(formatProgressLine(progress(4))).toContain('| slowest: update p99 2.8 ms |');
  });

  it('reaches 100% when a finished run ends its live line, and ends it with a newline', () => {
    const out = capture();
    const live = createConsoleProgress({ stream: out.stream, live: true });
    live.onProgress(progress(9));
    live.finish({ completed: true });
    expect(out.text().endsWith(`\r\x1b[2K${formatProgressLine(progress(10))}\n`)).toBe(true);
    expect(formatProgressLine(progress(10))).toMatch(/^\[00:10\] 100% \|/);
  });

  it('prints a last 100% line off a terminal too, but never claims 100% for a stopped run', () => {
    const finished = capture();
    const plain = createConsoleProgress({ stream: finished.stream, live: false, progressIntervalS: 5 });
    for (let s = 1; s <= 9; s++) plain.onProgress(progress(s));
    plain.finish({ completed: true });
    expect(finished.text().trimEnd().split('\n').at(-1)).toMatch(/^\[00:10\] 100% \|/);
    const stopped = capture();
    const live = createConsoleProgress({ stream: stopped.stream, live: true });
    live.onProgress(progress(3));
    live.finish();
    expect(stopped.text()).not.toContain('100%');
  });

  it('clears the live line before other output and draws it again after', () => {
    const out = capture();
    const live = createConsoleProgress({ stream: out.stream, live: true });
    live.onProgress(progress(2));
    live.print('  partition healed\n');
    const line = formatProgressLine(progress(2));
    expect(out.text()).toBe(`\r\x1b[2K${line}\r\x1b[2K  partition healed\n${line}`);
  });
});

describe('the end summary', () => {
  it('shows ✓ or ✗ for every criterion with the actual value and its unit', () => {
    const lines = formatCriterionLines([
      criterion({}),
      criterion({
        name: 'error_rate_max',
        description: 'error rate ≤ 0.01',
        limit: 0.01,
        actual: 0.0231,
        passed: false,
      }),
      criterion({
        name: 'latency_ms_p99_max',
        description: 'p99 latency ≤ 50 ms',
        operation: 'search',
        actual: 8,
      }),
      criterion({
        name: 'acknowledged_writes_lost_max',
        description: 'acknowledged writes lost ≤ 0',
        limit: 0,
        actual: 2,
        passed: false,
      }),
      criterion({ name: 'memory_growth_mb_per_min_max', actual: null, skipped: 'RSS sampled over 5 s' }),
    ]);
    expect(lines[0]).toMatch(/^ {2}✓ p95 latency ≤ 25 ms \.+ 12\.3 ms$/);
    expect(lines[1]).toMatch(/^ {2}✗ error rate ≤ 0\.01 \.+ 2\.31%$/);
    expect(lines[2]).toMatch(/^ {2}✓ p99 latency ≤ 50 ms \[search\] \.+ 8\.0 ms$/);
    expect(lines[3]).toMatch(/^ {2}✗ acknowledged writes lost ≤ 0 \.+ 2$/);
    expect(lines[4]).toMatch(/^ {2}– .* not measured \(RSS sampled over 5 s\)$/);
    // The values line up in one column.
    expect(new Set(lines.map((line) => line.indexOf('. ')))).toEqual(new Set([lines[0]?.indexOf('. ')]));
  });

  it('gives each kind of criterion its unit', () => {
    expect(formatCriterionValue('throughput_ops_per_s_min', 850.4)).toBe('850 ops/s');
    expect(formatCriterionValue('memory_growth_mb_per_min_max', 1.25)).toBe('1.25 MB/min');
    expect(formatCriterionValue('cpu_percent_avg_max', 71.5)).toBe('71.5%');
    expect(formatCriterionValue('achieved_ratio_min', 0.948)).toBe('0.948×');
    expect(formatCriterionValue('event_loop_delay_ms_p99_max', 3.2)).toBe('3.2 ms');
  });

  it('says why a run stopped early', () => {
    const stopped: LoadTestReport = {
      ...structuredClone(run.report),
      stopReason: 'aborted',
      passed: false,
      stoppedBy: { kind: 'all-errors', atS: 10, message: 'every operation failed during the first 10 s' },
    };
    expect(formatConsoleSummary(stopped)).toContain(
      '  stopped: every operation failed during the first 10 s',
    );
  });
});
