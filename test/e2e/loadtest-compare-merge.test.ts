import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferOutput, type CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { LatencyHistogram } from '../../src/loadtest/histogram.ts';
import type { LoadTestReport } from '../../src/loadtest/report/schema.ts';

function io(cwd: string): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(), stderr: new BufferOutput(), isTty: false, color: false, cwd };
}

async function readReport(file: string): Promise<LoadTestReport> {
  return JSON.parse(await readFile(file, 'utf8')) as LoadTestReport;
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

/** Two real smoke runs with different seeds, through the command. */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-compare-merge-'));
  for (const [name, seed] of [
    ['a', '1'],
    ['b', '2'],
  ] as const) {
    const cli = io(dir);
    const code = await runCli(
      ['loadtest', 'run', 'smoke', '--duration-s', '2', '--seed', seed, '--out', name],
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
    expect(cli.stdout.text).toContain('no regression beyond 10%');
  });

  it('flags an injected regression (exit 1) and names the regressed metrics', async () => {
    const report = await readReport(fileA);
    const slower = structuredClone(report);
    for (const key of ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const) {
      slower.summary.latencyMs[key] = report.summary.latencyMs[key] * 3 + 5;
      const search = slower.operations.search;
      if (search !== undefined)
        search.latencyMs[key] = (report.operations.search?.latencyMs[key] ?? 0) * 3 + 5;
    }
    const file = path.join(dir, 'slower.json');
    await writeFile(file, JSON.stringify(slower));
    const cli = io(dir);
    expect(await runCli(['loadtest', 'compare', fileA, file], cli)).toBe(1);
    expect(cli.stdout.text).toMatch(/\| search \| p99 \|.*regression/);
    expect(cli.stdout.text).toMatch(/regression\(s\) beyond 10%/);
  });

  it('tolerates a 20% slower p99 under --tolerance-pct 50 but not under 10', async () => {
    const report = await readReport(fileA);
    const base = structuredClone(report);
    base.summary.latencyMs.p99 = 100;
    const slower = structuredClone(base);
    slower.summary.latencyMs.p99 = 120;
    const baseFile = path.join(dir, 'p99-100.json');
    const slowerFile = path.join(dir, 'p99-120.json');
    await writeFile(baseFile, JSON.stringify(base));
    await writeFile(slowerFile, JSON.stringify(slower));
    expect(
      await runCli(['loadtest', 'compare', baseFile, slowerFile, '--tolerance-pct', '10'], io(dir)),
    ).toBe(1);
    expect(
      await runCli(['loadtest', 'compare', baseFile, slowerFile, '--tolerance-pct', '50'], io(dir)),
    ).toBe(0);
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

  it('requires --out (exit 2)', async () => {
    const cli = io(dir);
    expect(await runCli(['loadtest', 'merge', fileA, fileB], cli)).toBe(2);
    expect(cli.stderr.text).toContain("required option '--out <file>' not specified");
  });
});
