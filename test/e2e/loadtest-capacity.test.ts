import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityReport } from '../../src/cli/capacity-report.ts';
import { BufferOutput, type CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';

function io(cwd: string): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(), stderr: new BufferOutput(), isTty: false, color: false, cwd };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-capacity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tiervec loadtest capacity', () => {
  it('steps the rate, prints the highest passing one and writes the probes with a latency-vs-rate chart', async () => {
    const cli = io(dir);
    const argv = ['loadtest', 'capacity', 'smoke', '--p99-ms-max', '60000', '--strategy', 'step'];
    // 8 measured seconds at 40 ops/s are 320 samples: enough to bound p99 from above at 95 %.
    argv.push('--rate-min', '40', '--step-rate', '40', '--rate-max', '80');
    argv.push('--probe-duration-s', '9', '--probe-duration-s-max', '9', '--out', 'cap');
    argv.push('--achieved-ratio-min', '0.5');
    expect(await runCli(argv, cli), cli.stdout.text + cli.stderr.text).toBe(0);
    expect(cli.stdout.text).toContain(
      'highest rate meeting the SLO: 80.0 ops/s (every probe up to 80 ops/s passed)',
    );
    expect(cli.stdout.text).toMatch(
      /its p99 [\d.]+ ms is at most [\d.]+ ms with 95 % confidence, from \d+ samples/,
    );
    // Each probe's header names the rate it offers, not the scenario's own.
    expect(cli.stdout.text).toMatch(/▶ smoke \(short, 9s, 40.0 ops\/s,/);
    expect(cli.stdout.text).toMatch(/40\.0 ops\/s for 9 s → achieved/);
    const report = JSON.parse(
      await readFile(path.join(dir, 'cap', 'capacity.json'), 'utf8'),
    ) as CapacityReport;
    expect(report.probes.map((p) => [p.rate, p.passed, p.confident])).toEqual([
      [40, true, true],
      [80, true, true],
    ]);
    expect(report.highestPassingRate).toBe(80);
    expect(report.unreliable).toEqual([]);
    for (const probe of report.probes) {
      await access(path.join(dir, 'cap', probe.report, 'report.json'));
      expect(probe.throughputOpsPerS).toBeGreaterThan(0);
      expect(probe.samples).toBeGreaterThanOrEqual(300);
    }
    const html = await readFile(path.join(dir, 'cap', 'capacity.html'), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).toContain('offered rate (ops/s)');
    expect(html).toContain('window.tiervecCharts');
    expect(await readFile(path.join(dir, 'cap', 'capacity.md'), 'utf8')).toContain(
      'Highest rate meeting the SLO: 80.0 ops/s',
    );
  });

  it('exits 1 saying it cannot tell when the probes are too short to bound p99', async () => {
    const cli = io(dir);
    const argv = ['loadtest', 'capacity', 'smoke', '--p99-ms-max', '60000', '--strategy', 'step'];
    argv.push('--rate-min', '5', '--step-rate', '5', '--rate-max', '10');
    argv.push('--probe-duration-s', '2', '--probe-duration-s-max', '2', '--out', 'short');
    argv.push('--achieved-ratio-min', '0.5');
    expect(await runCli(argv, cli), cli.stderr.text).toBe(1);
    expect(cli.stdout.text).toContain(
      'cannot tell: 10 ops/s passed with too few samples to bound its SLO percentile',
    );
  });

  it('exits 1 when no rate meets the SLO, after a probe and its repeat', async () => {
    const cli = io(dir);
    const argv = [
      'loadtest',
      'capacity',
      'smoke',
      '--p99-ms-max',
      '0.0001',
      '--rate-min',
      '5',
      '--probe-duration-s',
      '1',
      '--probe-duration-s-max',
      '1',
      '--out',
      'none',
    ];
    expect(await runCli(argv, cli), cli.stderr.text).toBe(1);
    expect(cli.stdout.text).toContain('no rate from 5 ops/s up met the SLO');
    const report = JSON.parse(
      await readFile(path.join(dir, 'none', 'capacity.json'), 'utf8'),
    ) as CapacityReport;
    expect(report.probes).toHaveLength(2);
    expect(report.probes[0]?.reasons.join()).toMatch(/p99 .* > 0\.0001 ms/);
  });
});
