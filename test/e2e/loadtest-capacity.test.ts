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
    argv.push(
      '--rate-min',
      '5',
      '--step-rate',
      '5',
      '--rate-max',
      '10',
      '--probe-duration-s',
      '2',
      '--out',
      'cap',
    );
    // A 2-second probe at 5 ops/s completes a handful of operations: the ratio is coarse at this size.
    argv.push('--achieved-ratio-min', '0.5');
    expect(await runCli(argv, cli), cli.stderr.text).toBe(0);
    expect(cli.stdout.text).toContain(
      'highest rate meeting the SLO: 10.0 ops/s (every probe up to 10 ops/s passed)',
    );
    const report = JSON.parse(
      await readFile(path.join(dir, 'cap', 'capacity.json'), 'utf8'),
    ) as CapacityReport;
    expect(report.probes.map((p) => [p.rate, p.passed])).toEqual([
      [5, true],
      [10, true],
    ]);
    expect(report.highestPassingRate).toBe(10);
    for (const probe of report.probes) {
      await access(path.join(dir, 'cap', probe.report, 'report.json'));
      expect(probe.throughputOpsPerS).toBeGreaterThan(0);
    }
    const html = await readFile(path.join(dir, 'cap', 'capacity.html'), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).toContain('offered rate (ops/s)');
    expect(html).toContain('window.tiervecCharts');
    expect(await readFile(path.join(dir, 'cap', 'capacity.md'), 'utf8')).toContain(
      'Highest rate meeting the SLO: 10.0 ops/s',
    );
  });

  it('exits 1 when no rate meets the SLO, after a single probe', async () => {
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
      '--out',
      'none',
    ];
    expect(await runCli(argv, cli), cli.stderr.text).toBe(1);
    expect(cli.stdout.text).toContain('no rate from 5 ops/s up met the SLO');
    const report = JSON.parse(
      await readFile(path.join(dir, 'none', 'capacity.json'), 'utf8'),
    ) as CapacityReport;
    expect(report.probes).toHaveLength(1);
    expect(report.probes[0]?.reasons.join()).toMatch(/p99 .* > 0\.0001 ms/);
  });
});
