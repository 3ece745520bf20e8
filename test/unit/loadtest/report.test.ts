import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { LatencyHistogram } from '../../../src/loadtest/histogram.ts';
import { compareReports } from '../../../src/loadtest/report/compare.ts';
import { formatComparison } from '../../../src/loadtest/report/compare-format.ts';
import {
  createConsoleProgress,
  formatConsoleSummary,
  formatProgressLine,
} from '../../../src/loadtest/report/console.ts';
import {
  parseReport,
  readReportFile,
  serializeReport,
  writeReportFiles,
} from '../../../src/loadtest/report/json.ts';
import { renderMarkdown } from '../../../src/loadtest/report/markdown.ts';
import { mergeReports } from '../../../src/loadtest/report/merge.ts';
import {
  assertReport,
  type LoadTestReport,
  REPORT_SCHEMA_VERSION,
} from '../../../src/loadtest/report/schema.ts';
import type { LoadTestProgress } from '../../../src/loadtest/run.ts';
import { type ManualRun, manualRun } from './fixtures.ts';

let first: ManualRun;
let second: ManualRun;
let dir: string;

beforeAll(async () => {
  first = await manualRun({
    seed: 1,
    failEvery: 25,
    config: { criteria: { preset: 'none', latencyMsP95Max: 1_000 } },
  });
  second = await manualRun({
    seed: 2,
    failEvery: 40,
    config: { criteria: { preset: 'none', latencyMsP95Max: 1_000 } },
  });
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-report-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function histogramOf(valuesMs: number[]): ReturnType<LatencyHistogram['summaryMs']> {
  const histogram = new LatencyHistogram();
  for (const ms of valuesMs) histogram.recordMs(ms);
  const summary = histogram.summaryMs();
  histogram.destroy();
  return summary;
}

describe('report.json', () => {
  it('has every field of the schema and latencies that are the exact operation times', () => {
    const { report, latenciesMs } = first;
    assertReport(report);
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    for (const key of [
      'scenario',
      'mode',
      'seed',
      'startedAt',
      'durationS',
      'model',
      'profile',
      'summary',
      'operations',
      'timeline',
      'resources',
      'criteria',
      'passed',
    ]) {
      expect(report).toHaveProperty(key);
    }
    for (const key of [
      'operations',
      'errors',
      'errorRate',
      'dropped',
      'throughputOpsPerS',
      'targetOpsPerS',
      'achievedRatio',
      'latencyMs',
      'serviceTimeMs',
    ]) {
      expect(report.summary).toHaveProperty(key);
    }
    expect(Object.keys(report.summary.latencyMs).sort()).toEqual([
      'max',
      'mean',
      'p50',
      'p90',
      'p95',
      'p99',
      'p999',
    ]);
    for (const key of [
      'tS',
      'targetRate',
      'achievedRate',
      'inFlight',
      'dropped',
      'errors',
      'latencyMs',
      'rssBytes',
      'heapUsedBytes',
      'cpuPercent',
      'eventLoopDelayMsP99',
      'gauges',
    ]) {
      expect(report.timeline[0]).toHaveProperty(key);
    }
    for (const key of [
      'rssBytesStart',
      'rssBytesEnd',
      'rssBytesMax',
      'memoryGrowthMbPerMin',
      'cpuPercentAvg',
      'cpuPercentMax',
      'eventLoopDelayMsP99',
    ]) {
      expect(report.resources).toHaveProperty(key);
    }
    // On a manual clock every response time is exactly the operation's sleep.
    expect(report.operations.search?.latencyMs).toEqual(histogramOf(latenciesMs.search ?? []));
    expect(report.operations.search?.count).toBe(latenciesMs.search?.length);
    expect(report.operations.search?.errorsByCode).toEqual({
      ECONNRESET: Math.floor((latenciesMs.search?.length ?? 0) / 25),
    });
    expect(report.timeline).toHaveLength(4);
    expect(report.timeline[1]?.gauges).toEqual({ segments: expect.any(Number), pendingUploads: 2 });
  });

  it('writes report.json, report.md and report.html, and reads report.json back', async () => {
    const files = await writeReportFiles(first.report, dir);
    expect(path.basename(files.json)).toBe('report.json');
    expect(await readReportFile(files.json)).toEqual(JSON.parse(serializeReport(first.report)));
    expect(await readFile(files.markdown, 'utf8')).toBe(renderMarkdown(first.report));
    expect((await readFile(files.html, 'utf8')).startsWith('<!doctype html>')).toBe(true);
  });

  it('refuses files that are not schema-1 reports, naming the file', async () => {
    const file = path.join(dir, 'old.json');
    await writeFile(file, JSON.stringify({ ...first.report, schemaVersion: 0 }));
    await expect(readReportFile(file)).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining(file),
    });
    expect(() => parseReport('{', 'broken.json')).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('broken.json'),
      }),
    );
  });
});

describe('mergeReports', () => {
  it('equals one run over the union: counts add, histograms add and percentiles are recomputed', () => {
    const merged = mergeReports([first.report, second.report]);
    assertReport(merged);
    for (const op of ['search', 'insert']) {
      const union = [...(first.latenciesMs[op] ?? []), ...(second.latenciesMs[op] ?? [])];
      expect(merged.operations[op]?.count).toBe(union.length);
      expect(merged.operations[op]?.latencyMs).toEqual(histogramOf(union));
    }
    const all = [...Object.values(first.latenciesMs).flat(), ...Object.values(second.latenciesMs).flat()];
    expect(merged.summary.latencyMs).toEqual(histogramOf(all));
    expect(merged.summary.operations).toBe(
      first.report.summary.operations + second.report.summary.operations,
    );
    expect(merged.summary.errors).toBe(first.report.summary.errors + second.report.summary.errors);
    expect(merged.operations.search?.errorsByCode.ECONNRESET).toBe(
      (first.report.operations.search?.errors ?? 0) + (second.report.operations.search?.errors ?? 0),
    );
    expect(merged.summary.throughputOpsPerS).toBeCloseTo(
      first.report.summary.throughputOpsPerS + second.report.summary.throughputOpsPerS,
      3,
    );
    expect(merged.summary.targetOpsPerS).toBe(200);
    expect(merged.timeline[1]?.count).toBe(
      (first.report.timeline[1]?.count ?? 0) + (second.report.timeline[1]?.count ?? 0),
    );
    expect(merged.merged).toEqual({ runs: 2, scenarios: ['fixture'], seeds: [1, 2] });
    // The criteria are judged again on the merged figures.
    expect(merged.criteria.find((c) => c.name === 'latency_ms_p95_max')?.actual).toBe(
      merged.summary.latencyMs.p95,
    );
  });

  it('merges merged reports, counting every run once', () => {
    const merged = mergeReports([mergeReports([first.report, second.report]), first.report]);
    expect(merged.merged?.runs).toBe(3);
    expect(merged.summary.operations).toBe(
      2 * first.report.summary.operations + second.report.summary.operations,
    );
  });

  it('refuses an empty list or a non-report with INVALID_ARGUMENT', () => {
    expect(() => mergeReports([])).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => mergeReports([{ schemaVersion: 1 } as unknown as LoadTestReport])).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('reports[0]'),
      }),
    );
  });
});

/** The machine-load figures of a report that `compare` reads (see machine-noise.ts). */
function machineSignals(report: ManualRun['report']) {
  const { eventLoopDelayMsP99, otherCpuCoresAvg } = report.resources;
  return { eventLoopDelayMsP99, otherCpuCoresAvg };
}

describe('compareReports', () => {
  it('finds no regression between a run and itself', () => {
    const comparison = compareReports(first.report, first.report);
    expect(comparison.regressed).toBe(false);
    expect(comparison.rows.every((row) => row.deltaPct === 0 || row.deltaPct === null)).toBe(true);
  });

  it('flags an injected latency regression on one operation and a throughput drop, beyond the tolerance', async () => {
    const slower = await manualRun({ seed: 1, failEvery: 25, searchExtraMs: 30 });
    // Latencies here come from the manual clock, but the machine signals (event-loop delay, other
    // processes' CPU) are the real machine's; when it got busier between the two runs, compare would
    // rightly call the regression inconclusive. This test is about the code's regression, so both runs
    // carry the first run's machine figures (the busier-machine rule has its own tests).
    slower.report.resources = { ...slower.report.resources, ...machineSignals(first.report) };
    slower.report.scheduler = { ...slower.report.scheduler, latenessMs: first.report.scheduler.latenessMs };
    const comparison = compareReports(first.report, slower.report, { tolerancePct: 10 });
    expect(comparison.regressed).toBe(true);
    expect(comparison.regressions.some((row) => row.operation === 'search' && row.metric === 'p50')).toBe(
      true,
    );
    expect(comparison.regressions.some((row) => row.operation === 'insert')).toBe(false);
    const lessThroughput = structuredClone(first.report);
    lessThroughput.summary.throughputOpsPerS = first.report.summary.throughputOpsPerS * 0.8;
    expect(compareReports(first.report, lessThroughput).regressions.map((row) => row.metric)).toEqual([
      'throughputOpsPerS',
    ]);
    expect(compareReports(first.report, lessThroughput, { tolerancePct: 25 }).regressed).toBe(false);
    expect(formatComparison(comparison)).toContain('regression');
  });

  it('ignores latency changes below the absolute floor however large in percent', () => {
    const faster = structuredClone(first.report);
    const slower = structuredClone(first.report);
    if (faster.operations.insert !== undefined && slower.operations.insert !== undefined) {
      faster.operations.insert.latencyMs.p50 = 0.01;
      slower.operations.insert.latencyMs.p50 = 0.05;
    }
    expect(compareReports(faster, slower).regressed).toBe(false);
    expect(() => compareReports(first.report, first.report, { tolerancePct: -1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});

describe('Markdown and console reports', () => {
  it('shows the verdict, every criterion with its limit and actual, and one row per operation', () => {
    const failing = structuredClone(first.report);
    failing.criteria = [
      {
        name: 'latency_ms_p95_max',
        description: 'p95 latency ≤ 25 ms',
        operation: null,
        window: null,
        limit: 25,
        actual: 31.5,
        passed: false,
      },
    ];
    failing.passed = false;
    const markdown = renderMarkdown(failing);
    expect(markdown).toContain('# Load test: fixture — FAILED');
    expect(markdown).toContain('| ❌ | p95 latency ≤ 25 ms (`latency_ms_p95_max`) | run | 25 | 31.5 |');
    expect(markdown).toMatch(/\| search \| \d+ \| \d+ \|/);
    expect(markdown).toMatch(/\| insert \| \d+ \| 0 \|/);
    expect(markdown).toContain('| search | ECONNRESET |');
    expect(formatConsoleSummary(failing)).toMatch(/✗ p95 latency ≤ 25 ms \.+ 31\.5 ms/);
  });

  const progress = (elapsedS: number): LoadTestProgress => ({
    elapsedS,
    durationS: 60,
    fraction: elapsedS / 60,
    phase: 'measuring',
    targetOpsPerS: 10_000,
    completed: 50_000,
    errors: 10,
    dropped: 0,
    interval: {
      ...(first.report.timeline[0] as LoadTestReport['timeline'][number]),
      achievedRate: 10_234,
      queued: 0,
      operations: {
        search: { count: 7_000, errors: 2, latencyMs: { p50: 1, p95: 5, p99: 8.2 } },
        insert: { count: 3_000, errors: 0, latencyMs: { p50: 0.2, p95: 0.5, p99: 0.9 } },
      },
    },
  });

  it('formats the progress line in the documented shape, naming the slowest operation', () => {
    expect(formatProgressLine(progress(15))).toBe(
      '[00:15] 25% | 10234 ops/s (target 10000) | slowest: search p99 8.2 ms | errors 0.02%',
    );
  });

  it('prints a plain line every progressIntervalS off a TTY, and rewrites one line on a TTY', () => {
    const plain = new PassThrough();
    let plainText = '';
    plain.on('data', (chunk) => {
      plainText += String(chunk);
    });
    const printer = createConsoleProgress({ stream: plain, live: false, progressIntervalS: 5 });
    for (let s = 1; s <= 12; s++) printer.onProgress(progress(s));
    printer.finish();
    expect(
      plainText
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.slice(0, 7)),
    ).toEqual(['[00:05]', '[00:10]']);

    const tty = new PassThrough();
    let ttyText = '';
    tty.on('data', (chunk) => {
      ttyText += String(chunk);
    });
    const live = createConsoleProgress({ stream: tty, live: true });
    live.onProgress(progress(1));
    live.onProgress(progress(2));
    live.finish();
    expect(ttyText).toBe(
      `\r\x1b[2K${formatProgressLine(progress(1))}\r\x1b[2K${formatProgressLine(progress(2))}\n`,
    );
  });
});
