import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferOutput, type CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { LatencyHistogram } from '../../src/loadtest/histogram.ts';
import type { LoadTestReport } from '../../src/loadtest/report/schema.ts';
import { Rng } from '../../src/random.ts';

function io(cwd: string): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(), stderr: new BufferOutput(), isTty: false, color: false, cwd };
}

async function readReport(file: string): Promise<LoadTestReport> {
  return JSON.parse(await readFile(file, 'utf8')) as LoadTestReport;
}

/** The histogram with every value multiplied by `factor` (rebuilt from its order statistics). */
function slowed(encoded: string, factor: number): string {
  const histogram = LatencyHistogram.decode(encoded);
  const result = new LatencyHistogram();
  for (let rank = 1; rank <= histogram.count; rank++) result.recordMs(histogram.valueAtRankMs(rank) * factor);
  const text = result.encode();
  histogram.destroy();
  result.destroy();
  return text;
}

/** A copy of `report` whose every operation is `factor` times slower. */
function slowerReport(report: LoadTestReport, factor: number): LoadTestReport {
  const slower = structuredClone(report);
  for (const op of Object.values(slower.operations)) {
    op.histogram = slowed(op.histogram, factor);
    op.serviceTimeHistogram = slowed(op.serviceTimeHistogram, factor);
  }
  return slower;
}

/**
 * A copy of a real run's report whose operations' latencies are seeded draws (1 to 5 ms, 500 per
 * operation): what a run on a quiet machine would give, so that the verdicts below do not depend on
 * how busy this machine was during the real run.
 */
function steadyReport(report: LoadTestReport): LoadTestReport {
  const steady = structuredClone(report);
  const rng = new Rng(11);
  for (const op of Object.values(steady.operations)) {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 500; i++) histogram.recordMs(1 + 4 * rng.next());
    op.histogram = histogram.encode();
    op.serviceTimeHistogram = op.histogram;
    op.count = 500;
    op.errors = 0;
    histogram.destroy();
  }
  steady.summary.operations = 500 * Object.keys(steady.operations).length;
  steady.summary.errors = 0;
  return steady;
}

function histogramCount(encoded: string): number {
  const histogram = LatencyHistogram.decode(encoded);
  const count = histogram.count;
  histogram.destroy();
  return count;
}

let dir: string;
let fileA: string;
let fileB: string;

/**
 * Two real smoke runs with different seeds, through the command, at 60 ops/s so that each holds
 * enough samples for compare to judge its lower percentiles.
 */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-compare-merge-'));
  for (const [name, seed] of [
    ['a', '1'],
    ['b', '2'],
  ] as const) {
    const cli = io(dir);
    const code = await runCli(
      ['loadtest', 'run', 'smoke', '--duration-s', '3', '--rate', '60', '--seed', seed, '--out', name],
      cli,
    );
    // Passed or failed on timing, the run completed and wrote its report: that is what is compared.
    expect([0, 1], cli.stderr.text).toContain(code);
  }
  fileA = path.join(dir, 'a', 'report.json');
  fileB = path.join(dir, 'b', 'report.json');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tiervec loadtest compare', () => {
  it('passes an identical run (exit 0)', async () => {
    const cli = io(dir);
    expect(await runCli(['loadtest', 'compare', fileA, fileA], cli)).toBe(0);
    expect(cli.stdout.text).toContain('no regression beyond 10% and the noise');
  });

  it('takes the run directories `run` prints, and compares two seeds with confidence intervals', async () => {
    const same = io(dir);
    expect(await runCli(['loadtest', 'compare', 'a', 'a'], same)).toBe(0);
    // Two real runs on a shared machine may differ for real: the verdict is not asserted, its form is.
    const seeds = io(dir);
    expect([0, 1, 4]).toContain(await runCli(['loadtest', 'compare', 'a', 'b'], seeds));
    expect(seeds.stdout.text).toMatch(/base [0-9.]+% CI/);
    expect(seeds.stdout.text).toMatch(/percentiles: order statistics of the HDR histograms/m);
  });

  it('flags a 3× slowdown of every operation (exit 1) and names the regressed metrics', async () => {
    const steady = steadyReport(await readReport(fileA));
    const baseFile = path.join(dir, 'steady.json');
    const file = path.join(dir, 'slower.json');
    await writeFile(baseFile, JSON.stringify(steady));
    await writeFile(file, JSON.stringify(slowerReport(steady, 3)));
    const cli = io(dir);
    expect(await runCli(['loadtest', 'compare', baseFile, file], cli), cli.stdout.text).toBe(1);
    expect(cli.stdout.text).toMatch(/\| search \| service p50 \|.*regression/);
    expect(cli.stdout.text).toMatch(/regression\(s\) beyond 10% and the noise/);
    expect(await runCli(['loadtest', 'compare', baseFile, file, '--tolerance-pct', '500'], io(dir))).toBe(0);
  });

  it('calls a slowdown of everything in a measurably busier run inconclusive (exit 4)', async () => {
    const steady = steadyReport(await readReport(fileA));
    const busier = slowerReport(steady, 3);
    busier.resources.eventLoopDelayMsP99 = steady.resources.eventLoopDelayMsP99 + 200;
    const baseFile = path.join(dir, 'steady-base.json');
    const file = path.join(dir, 'busier.json');
    await writeFile(baseFile, JSON.stringify(steady));
    await writeFile(file, JSON.stringify(busier));
    const cli = io(dir);
    expect(await runCli(['loadtest', 'compare', baseFile, file], cli), cli.stdout.text).toBe(4);
    expect(cli.stdout.text).toMatch(/\| search \| service p50 \|.*inconclusive/);
    expect(cli.stdout.text).toMatch(/^inconclusive: \d+ figure\(s\) got worse/m);
  });

  it('refuses runs of different scenarios (exit 2) unless --force', async () => {
    const other = await readReport(fileB);
    other.scenario = 'another';
    const file = path.join(dir, 'another.json');
    await writeFile(file, JSON.stringify(other));
    const cli = io(dir);
    expect(await runCli(['loadtest', 'compare', fileA, file], cli)).toBe(2);
    expect(cli.stderr.text).toContain('scenario "smoke" vs "another"');
    const forced = io(dir);
    expect([0, 1, 4]).toContain(await runCli(['loadtest', 'compare', fileA, file, '--force'], forced));
    expect(forced.stdout.text).toContain('warning: the runs differ: scenario "smoke" vs "another"');
  });

  it('rejects a file that is not a report with exit 2', async () => {
    const file = path.join(dir, 'not-a-report.json');
    await writeFile(file, '{"hello": 1}');
    const cli = io(dir);
    expect(await runCli(['loadtest', 'compare', fileA, file], cli)).toBe(2);
    expect(cli.stderr.text).toMatch(/^tiervec: .*not-a-report\.json/);
  });
});

describe('tiervec loadtest merge', () => {
  it('adds the counts and histograms of two runs', async () => {
    const out = path.join(dir, 'merged', 'merged.json');
    const cli = io(dir);
    const code = await runCli(['loadtest', 'merge', fileA, fileB, '--out', out], cli);
    expect([0, 1]).toContain(code);
    const [a, b, merged] = await Promise.all([readReport(fileA), readReport(fileB), readReport(out)]);
    expect(merged.summary.operations).toBe(a.summary.operations + b.summary.operations);
    expect(merged.summary.errors).toBe(a.summary.errors + b.summary.errors);
    expect(merged.merged).toMatchObject({ runs: 2, seeds: [1, 2] });
    const names = new Set([...Object.keys(a.operations), ...Object.keys(b.operations)]);
    for (const name of names) {
      const opA = a.operations[name];
      const opB = b.operations[name];
      const opM = merged.operations[name];
      expect(opM?.count, name).toBe((opA?.count ?? 0) + (opB?.count ?? 0));
      const histogramA = opA === undefined ? 0 : histogramCount(opA.histogram);
      const histogramB = opB === undefined ? 0 : histogramCount(opB.histogram);
      expect(histogramCount(opM?.histogram ?? ''), name).toBe(histogramA + histogramB);
    }
    expect(await readFile(path.join(dir, 'merged', 'merged.md'), 'utf8')).toContain('smoke');
    expect(await readFile(path.join(dir, 'merged', 'merged.html'), 'utf8')).toContain('<html');
  });

  it('refuses unrelated runs (exit 2) unless --force, and keeps one row per target check', async () => {
    const other = await readReport(fileB);
    other.scenario = 'spike';
    other.description = 'another scenario';
    const file = path.join(dir, 'unrelated.json');
    await writeFile(file, JSON.stringify(other));
    const out = path.join(dir, 'unrelated-merged.json');
    const cli = io(dir);
    expect(await runCli(['loadtest', 'merge', fileA, file, '--out', out], cli)).toBe(2);
    expect(cli.stderr.text).toContain('scenario "smoke" vs "spike"');
    const forced = io(dir);
    expect([0, 1]).toContain(await runCli(['loadtest', 'merge', 'a', file, '--out', out, '--force'], forced));
    const merged = await readReport(out);
    expect(merged.description).toContain('another scenario');
    const names = merged.criteria.map((c) => JSON.stringify([c.name, c.operation, c.window]));
    expect(new Set(names).size).toBe(names.length);
  });

  it('requires --out (exit 2)', async () => {
    const cli = io(dir);
    expect(await runCli(['loadtest', 'merge', fileA, fileB], cli)).toBe(2);
    expect(cli.stderr.text).toContain("required option '--out <file>' not specified");
  });
});
