import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferOutput, type CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { assertReport, type LoadTestReport } from '../../src/loadtest/report/schema.ts';
import { loadScenario } from '../../src/loadtest/scenario/load-scenario.ts';
import { runScenario } from '../../src/loadtest/scenario/run-scenario.ts';
import type { TiervecTarget } from '../../src/loadtest/targets/tiervec-target.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/tiervec.js');

function io(cwd: string): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(), stderr: new BufferOutput(), isTty: false, color: false, cwd };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-loadtest-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tiervec loadtest run smoke (the command, end to end)', () => {
  it('exits 0 and writes report.json, report.md and report.html with the documented schema', async () => {
    const out = path.join(dir, 'smoke-cli');
    const result = spawnSync(
      process.execPath,
      [BIN, 'loadtest', 'run', 'smoke', '--duration-s', '5', '--out', out],
      {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.stderr + result.stdout).not.toContain('\u001b[');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('smoke: PASSED');
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as LoadTestReport;
    assertReport(report);
    expect(report).toMatchObject({
      schemaVersion: 1,
      scenario: 'smoke',
      mode: 'short',
      seed: 1,
      passed: true,
    });
    for (const key of [
      'startedAt',
      'durationS',
      'model',
      'profile',
      'summary',
      'operations',
      'timeline',
      'resources',
      'criteria',
    ]) {
      expect(report, key).toHaveProperty(key);
    }
    for (const key of [
      'operations',
      'errors',
      'errorRate',
      'dropped',
      'throughputOpsPerS',
      'targetOpsPerS',
      'achievedRatio',
    ]) {
      expect(report.summary, key).toHaveProperty(key);
    }
    for (const key of ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean']) {
      expect(typeof report.summary.latencyMs[key as 'p50']).toBe('number');
      expect(typeof report.summary.serviceTimeMs[key as 'p50']).toBe('number');
    }
    expect(Object.keys(report.operations)).toEqual(expect.arrayContaining(['search', 'insert', 'metadata']));
    expect(report.operations.search?.histogram).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(report.timeline.length).toBeGreaterThan(0);
    expect(report.timeline[0]?.gauges).toHaveProperty('segments_hot');
    expect(report.target.name).toBe('tiervec');
    expect(report.target.info).toMatchObject({ preload: { vectors: 1000, dimension: 128 } });
    expect(report.criteria.find((c) => c.name === 'acknowledged_writes_lost_max')).toMatchObject({
      actual: 0,
      passed: true,
    });
    expect(await readFile(path.join(out, 'report.md'), 'utf8')).toContain('smoke');
    expect(await readFile(path.join(out, 'report.html'), 'utf8')).toContain('<html');
  });

  it('exits 1 when a criterion cannot be met', async () => {
    const smoke = await readFile(path.join(ROOT, 'scenarios/smoke.toml'), 'utf8');
    const impossible = smoke.replace(
      'acknowledged_writes_lost_max = 0',
      'acknowledged_writes_lost_max = 0\nlatency_ms_p50_max = 0.000001',
    );
    expect(impossible).not.toBe(smoke);
    const file = path.join(dir, 'impossible.toml');
    await writeFile(file, impossible);
    const cli = io(dir);
    const code = await runCli(
      ['loadtest', 'run', file, '--duration-s', '2', '--out', path.join(dir, 'impossible')],
      cli,
    );
    expect(code, cli.stderr.text).toBe(1);
    expect(cli.stdout.text).toContain('smoke: FAILED');
    // Short runs judge latency limits with SHORT_MODE_LATENCY_FACTOR (4×) headroom.
    expect(cli.stdout.text).toMatch(/✗ p50 latency ≤ 0\.000004 ms/);
  });
});

describe('the smoke scenario reaches the store', () => {
  it('moves the store by exactly the operations the report counts', async () => {
    const scenario = await loadScenario('smoke', { overrides: { durationS: 3 } });
    // Count from the first operation: with no warm-up the report's counts are every call made.
    scenario.config.warmupS = 0;
    let target: TiervecTarget | undefined;
    const report = await runScenario(scenario, {
      onTarget: (t) => {
        target = t;
      },
    });
    const ops = report.operations;
    const ok = (name: string) => (ops[name]?.count ?? 0) - (ops[name]?.errors ?? 0);
    expect(report.summary.cutOff).toBe(0);
    expect(ok('search')).toBeGreaterThan(0);
    expect(ok('insert')).toBeGreaterThan(0);
    const stats = target?.statsAfterLoad?.get('default');
    expect(stats).toBeDefined();
    expect(stats?.searches.total).toBe(ok('search'));
    expect(stats?.vectors).toBe(1000 + ok('insert') - ok('delete'));
    expect(stats?.wal.lastLsn).toBeGreaterThanOrEqual(ok('insert') + ok('update') + ok('delete'));
    expect(target?.verification).toMatchObject({ lost: 0 });
    expect(target?.verification?.checked).toBeGreaterThanOrEqual(ok('insert'));
  });
});

describe('tiervec loadtest short (the suite)', () => {
  it('runs the chosen scenarios, prints a pass/fail table and writes summary.md and index.html linking each report', async () => {
    const cli = io(dir);
    const code = await runCli(
      ['loadtest', 'short', '--only', 'smoke', '--duration-s', '5', '--out', 'suite-reports'],
      cli,
    );
    expect(code, cli.stderr.text).toBe(0);
    expect(cli.stdout.text).toMatch(/^scenario\s+verdict\s+ops/m);
    expect(cli.stdout.text).toMatch(/^smoke\s+PASS\s+\d+/m);
    expect(cli.stdout.text).toContain('short: 1 passed, 0 failed, 0 broke');
    const summaryPath = /summary: (\S+summary\.md)/.exec(cli.stdout.text)?.[1];
    expect(summaryPath).toMatch(/^suite-reports\/short-\d{8}T\d{6}Z\/summary\.md$/);
    const summaryDir = path.dirname(path.join(dir, summaryPath as string));
    const timestamp = path.basename(summaryDir).slice('short-'.length);
    const markdown = await readFile(path.join(summaryDir, 'summary.md'), 'utf8');
    expect(markdown).toContain(`[report](../smoke-${timestamp}/report.md)`);
    const html = await readFile(path.join(summaryDir, 'index.html'), 'utf8');
    expect(html).toContain(`<a href="../smoke-${timestamp}/report.html">smoke</a>`);
    const report = JSON.parse(
      await readFile(path.join(dir, 'suite-reports', `smoke-${timestamp}`, 'report.json'), 'utf8'),
    );
    expect(report.scenario).toBe('smoke');
  });
});
