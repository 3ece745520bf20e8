/**
 * The live views of a run, end to end: `executeScenario` with `--dashboard-port 0` and
 * `--metrics-port 0` on a small scenario against the real store. During the run the metrics
 * endpoint is scraped and read with a strict OpenMetrics reader, and the dashboard, opened in
 * headless Chromium, must draw charts whose data grows; at the end the page moves to the report.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { executeScenario } from '../../src/cli/scenario-execution.ts';
import { ErrorCode } from '../../src/errors.ts';
import { startLocalServer } from '../../src/loadtest/live/local-server.ts';
import { loadScenario } from '../../src/loadtest/scenario/load-scenario.ts';
import type { ScenarioRun } from '../../src/loadtest/scenario/resolve-scenario.ts';
import { parseOpenMetrics, sampleValue } from '../helpers/openmetrics.ts';
import { expectTierVecError } from '../helpers/storage-fixtures.ts';
import {
  chromiumAvailable,
  drawnCharts,
  launchChromium,
  SCREENSHOTS_DIR,
} from '../unit/loadtest/chromium-page.ts';

const LIVE = `name = "live"
description = "a small run for the live views"
seed = 9
[duration]
short_s = 14
full_s = 14
warmup_s = 1
[load]
in_flight_max = 4
[load.profile]
kind = "constant"
rate = 40
[mix]
search = 3
insert = 1
[data]
vectors = 200
dimension = 8
[criteria]
preset = "development"
`;

const withChromium = chromiumAvailable('loadtest-live.test.ts');
let dir: string;
let scenario: ScenarioRun;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-live-'));
  await writeFile(path.join(dir, 'live.toml'), LIVE);
  scenario = await loadScenario('live', { scenariosDir: dir });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function captureIo(): CliIo & { stderrText: () => string } {
  let stderr = '';
  return {
    stdout: { write: () => true },
    stderr: {
      write: (text: string) => {
        stderr += text;
        return true;
      },
    },
    isTty: false,
    color: false,
    cwd: dir,
    stderrText: () => stderr,
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  // Generous bound: the machine is shared; this only waits for the run to reach a state.
  for (let waitedMs = 0; waitedMs < timeoutMs; waitedMs += 100) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('live views of a run', () => {
  it('serves OpenMetrics during the run and a dashboard whose charts update, then the report', async () => {
    const io = captureIo();
    const run = executeScenario(scenario, {
      io,
      outDir: path.join(dir, 'report'),
      signal: new AbortController().signal,
      dataDir: dir,
      live: { dashboardPort: 0, metricsPort: 0 },
    });
    const metricsUrl = await waitFor('the metrics URL', () => /metrics: (\S+)/.exec(io.stderrText())?.[1]);
    const dashboardUrl = await waitFor(
      'the dashboard URL',
      () => /dashboard: (\S+)/.exec(io.stderrText())?.[1],
    );

    const context = withChromium ? await launchChromium(dir) : undefined;
    try {
      const page = await context?.newPage();
      const problems: string[] = [];
      page?.on('pageerror', (error) => problems.push(String(error)));
      page?.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      await page?.goto(dashboardUrl);

      // Scrape once the run has measured a few intervals.
      let families = parseOpenMetrics('# EOF\n');
      for (let attempt = 0; attempt < 100; attempt++) {
        const response = await fetch(metricsUrl);
        expect(response.headers.get('content-type')).toContain('application/openmetrics-text');
        families = parseOpenMetrics(await response.text());
        if ((sampleValue(families, 'tiervec_loadtest_operations_total', { operation: 'search' }) ?? 0) > 40)
          break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(
        sampleValue(families, 'tiervec_loadtest_operations_total', { operation: 'search' }),
      ).toBeGreaterThan(40);
      // A real histogram: the parser checks that its buckets are cumulative and end with +Inf equal
      // to the count; here, that searches are in it and their sum is positive.
      const searches = sampleValue(families, 'tiervec_loadtest_latency_seconds_count', {
        operation: 'search',
      });
      expect(searches).toBeGreaterThan(0);
      expect(
        sampleValue(families, 'tiervec_loadtest_latency_seconds_bucket', { operation: 'search', le: '+Inf' }),
      ).toBe(searches);
      expect(
        sampleValue(families, 'tiervec_loadtest_latency_seconds_sum', { operation: 'search' }),
      ).toBeGreaterThan(0);
      expect(
        sampleValue(families, 'tiervec_loadtest_latency_seconds_count', { operation: 'insert' }),
      ).toBeGreaterThan(0);
      expect(sampleValue(families, 'tiervec_loadtest_target_rate_ops_per_second')).toBeGreaterThan(0);
      expect(sampleValue(families, 'tiervec_loadtest_dropped_total')).toBe(0);
      const vectors = families.find((f) => f.name === 'tiervec_store_vectors')?.samples[0]?.value;
      expect(vectors).toBeGreaterThanOrEqual(200);
      const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
      expect(types).toMatchObject({
        tiervec_loadtest_operations: 'counter',
        tiervec_loadtest_latency_seconds: 'histogram',
        tiervec_store_segments: 'gauge',
        tiervec_store_circuit_breaker_state: 'gauge',
        tiervec_store_dead_letters: 'gauge',
      });

      if (page !== undefined) {
        const updates = () =>
          page.evaluate(() => (globalThis as unknown as { tiervecUpdates?: number }).tiervecUpdates ?? 0);
        await page.waitForFunction(
          () =>
            (
              (globalThis as unknown as { tiervecCharts?: Array<{ points: number }> }).tiervecCharts ?? []
            ).some((chart) => chart.points > 0),
          undefined,
          { timeout: 20_000 },
        );
        const before = await updates();
        const first = await drawnCharts(page);
        expect(first.length).toBeGreaterThan(5);
        await page.waitForFunction(
          (count) =>
            ((globalThis as unknown as { tiervecUpdates?: number }).tiervecUpdates ?? 0) >= count + 2,
          before,
          { timeout: 20_000 },
        );
        const later = await drawnCharts(page);
        await mkdir(SCREENSHOTS_DIR, { recursive: true });
        await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'dashboard-live.png'), fullPage: true });
        const points = (charts: typeof first, id: string) => charts.find((c) => c.id === id)?.points ?? 0;
        expect(points(later, 'rate')).toBeGreaterThan(points(first, 'rate'));
        expect(later.find((c) => c.id === 'rate')?.seriesPixels).toBeGreaterThan(20);
        await page.waitForURL(/\/report$/, { timeout: 30_000 });
        expect(await page.locator('h1 .verdict').textContent()).toMatch(/PASSED|FAILED/);
        expect(problems).toEqual([]);
      }
    } finally {
      await context?.close();
    }
    const { report } = await run;
    expect(report.stopReason).toBe('completed');
    // The servers are closed with the run.
    await expect(fetch(metricsUrl)).rejects.toThrow();
  }, 120_000);

  it('refuses a port outside 0..65535 with INVALID_ARGUMENT and a port in use with IO_ERROR', async () => {
    await expectTierVecError(
      () => startLocalServer('--metrics-port', 70_000, {}),
      ErrorCode.INVALID_ARGUMENT,
      '--metrics-port',
    );
    const taken = await startLocalServer('--metrics-port', 0, {});
    try {
      await expectTierVecError(
        () => startLocalServer('--dashboard-port', taken.port, {}),
        ErrorCode.IO_ERROR,
        '--dashboard-port',
      );
    } finally {
      await taken.close();
    }
  });
});
