/**
 * `tiervec loadtest run --segment i/n` and `--workers N` through the command, with the tiervec
 * target: two segments run separately (as two machines would) merge into one verdict, a missing or
 * duplicate segment is refused with exit 2, and `--workers 2` writes one merged report. Each
 * process opens its own store, so the runs are short and the datasets small.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferOutput, type CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import type { LoadTestReport } from '../../src/loadtest/report/schema.ts';

function io(cwd: string): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(), stderr: new BufferOutput(), isTty: false, color: false, cwd };
}

const readReport = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as LoadTestReport;
const RUN = [
  'loadtest',
  'run',
  'smoke',
  '--duration-s',
  '3',
  '--rate',
  '20',
  '--vectors',
  '200',
  '--seed',
  '9',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-segments-'));
  for (const segment of ['0/2', '1/2']) {
    const cli = io(dir);
    const code = await runCli([...RUN, '--segment', segment, '--out', `s${segment[0]}`], cli);
    // Passed or failed on timing, the segment ran and wrote its report: that is what is merged.
    expect([0, 1], cli.stderr.text).toContain(code);
    expect(cli.stdout.text).toContain(`segment ${segment}`);
  }
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tiervec loadtest run --segment, then merge', () => {
  it('marks each report with its segment and merges both into one run at the whole rate', async () => {
    const [a, b] = await Promise.all([
      readReport(path.join(dir, 's0', 'report.json')),
      readReport(path.join(dir, 's1', 'report.json')),
    ]);
    expect(a.segment).toEqual({ index: 0, count: 2 });
    expect(b.segment).toEqual({ index: 1, count: 2 });
    expect(a.summary.targetOpsPerS).toBeCloseTo(10, 1);
    const cli = io(dir);
    const code = await runCli(['loadtest', 'merge', 's0', 's1', '--out', 'merged.json'], cli);
    expect([0, 1], cli.stderr.text).toContain(code);
    const merged = await readReport(path.join(dir, 'merged.json'));
    expect(merged.merged).toMatchObject({ runs: 2, segments: 2, seeds: [9, 9] });
    expect(merged.summary.operations).toBe(a.summary.operations + b.summary.operations);
    expect(merged.summary.targetOpsPerS).toBeCloseTo(20, 1);
    expect(code).toBe(merged.passed ? 0 : 1);
    expect(cli.stderr.text).not.toContain('target rate');
  });

  it('refuses a missing segment (exit 2) and names it', async () => {
    const cli = io(dir);
    expect(await runCli(['loadtest', 'merge', 's0', '--out', 'half.json'], cli)).toBe(2);
    expect(cli.stderr.text).toContain('segment 1/2 missing');
  });

  it('refuses a duplicate segment (exit 2): its arrivals would count twice', async () => {
    const cli = io(dir);
    expect(await runCli(['loadtest', 'merge', 's0', 's1', 's1', '--out', 'dup.json'], cli)).toBe(2);
    expect(cli.stderr.text).toContain('segment 1/2 twice');
  });
});

describe('tiervec loadtest run --workers', () => {
  it('runs two worker processes, each with its own store, and writes one merged report', async () => {
    const cli = io(dir);
    const code = await runCli([...RUN, '--workers', '2', '--out', 'w2'], cli);
    expect([0, 1], cli.stderr.text).toContain(code);
    expect(cli.stdout.text).toContain('2 workers');
    const report = await readReport(path.join(dir, 'w2', 'report.json'));
    expect(report.merged).toMatchObject({ runs: 2, segments: 2 });
    expect(report.summary.targetOpsPerS).toBeCloseTo(20, 1);
    // Each worker verified its own store: the lost-writes check is one row, the worst worker's.
    expect(report.criteria.filter((c) => c.source === 'target' && c.name.includes('lost'))).toHaveLength(1);
  }, 120_000);

  for (const [flags, message] of [
    [['--workers', '0'], 'Expected `--workers` to be an integer from 1 to 64'],
    [['--workers', 'two'], 'Expected `--workers` to be an integer from 1 to 64'],
    [['--segment', '2/2'], 'Expected `--segment` to be a segment i/n'],
    [['--workers', '2', '--segment', '0/2'], 'at most one of --workers and --segment'],
  ] as const) {
    it(`refuses ${flags.join(' ')} with exit 2 before anything runs`, async () => {
      const cli = io(dir);
      expect(await runCli([...RUN, ...flags], cli)).toBe(2);
      expect(cli.stderr.text).toContain(message);
    });
  }
});
