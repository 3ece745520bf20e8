/**
 * The HTML report, opened in headless Chromium: it must load from a file with no network, log no
 * error, draw every chart with data points, colour failed criteria and shade the run's windows.
 * Screenshots of a passed and a failed report are kept in reports/screenshots/ (a CI artifact).
 * Debian's `chromium` (installed by .ci/run) is used through playwright-core; the test is skipped,
 * saying so, where /usr/bin/chromium is absent.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/loadtest/report/html.ts';
import type { LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import { chromiumAvailable, drawnCharts, launchChromium, SCREENSHOTS_DIR } from './chromium-page.ts';
import { manualRun } from './fixtures.ts';

const available = chromiumAvailable('html-report.test.ts');

/** Gauges of a run with an object-store partition at 6–8 s and tier moves at 10–12 s. */
function withStoreGauges(report: LoadTestReport): LoadTestReport {
  const copy = structuredClone(report);
  let transitions = 0;
  for (const entry of copy.timeline) {
    if (entry.tS > 10 && entry.tS <= 12) transitions += 3;
    entry.gauges = {
      ...entry.gauges,
      s3_partitioned: entry.tS > 6 && entry.tS <= 8 ? 1 : 0,
      breaker_open: entry.tS > 7 && entry.tS <= 9 ? 1 : 0,
      tier_transitions: transitions,
      bytes_hot: 4e6 + entry.tS * 1e5,
      dead_letters: entry.tS > 8 ? 2 : 0,
    };
  }
  return copy;
}

const SPIKE_RUN = {
  durationS: 16,
  warmupS: 2,
  load: {
    profile: { kind: 'spike' as const, rate: 60, spikeRate: 180, startS: 8, lengthS: 3 },
    inFlightMax: 1_000,
  },
};

let passed: LoadTestReport;
let failed: LoadTestReport;

beforeAll(async () => {
  passed = withStoreGauges(
    (
      await manualRun({
        seed: 3,
        config: { ...SPIKE_RUN, criteria: { preset: 'none', latencyMsP95Max: 250, errorRateMax: 0.05 } },
      })
    ).report,
  );
  failed = withStoreGauges(
    (
      await manualRun({
        seed: 4,
        failEvery: 10,
        config: {
          ...SPIKE_RUN,
          criteria: {
            preset: 'none',
            latencyMsP95Max: 20,
            errorRateMax: 0.01,
            memoryGrowthMbPerMinMax: 100,
            operations: { search: { latencyMsP99Max: 35 } },
            windows: [{ during: 'spike', latencyMsP99Max: 30 }],
          },
        },
      })
    ).report,
  );
}, 60_000);

describe.skipIf(!available)('HTML report in headless Chromium', () => {
  let dir: string;
  let context: BrowserContext;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tiervec-html-'));
    context = await launchChromium(dir);
    await mkdir(SCREENSHOTS_DIR, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(
    report: LoadTestReport,
    name: string,
    screenshot = true,
  ): Promise<{ page: Page; problems: string[]; requests: string[] }> {
    // The page is kept beside its screenshot: both are CI artifacts.
    const file = path.join(SCREENSHOTS_DIR, `${name}-report.html`);
    await writeFile(file, renderHtml(report));
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    if (screenshot)
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}-report.png`), fullPage: true });
    return { page, problems, requests };
  }

  it('opens offline with no console error and draws every chart with data points', async () => {
    const { page, problems, requests } = await open(failed, 'failed');
    const charts = await drawnCharts(page);
    expect(problems).toEqual([]);
    // Everything the page needs is inside the file.
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(charts.map((c) => c.title)).toEqual([
      'Target and achieved rate',
      'Latency, all operations',
      'Latency: search',
      'Latency: insert',
      'Errors by code',
      'In flight and queued',
      'Memory',
      'CPU and event-loop delay',
      'Data per tier and WAL',
      'Segments per tier',
      'States (1 = yes)',
      'Queues and work in flight',
      'Dead letters, failures and warnings',
      'Tier moves and background jobs (cumulative)',
      expect.stringMatching(/^Latency distribution: search \(\d+ operations\)$/),
      expect.stringMatching(/^Latency distribution: insert \(\d+ operations\)$/),
    ]);
    for (const chart of charts) {
      expect(chart.points, chart.title).toBeGreaterThan(0);
      expect(chart.inkPixels, chart.title).toBeGreaterThan(500);
      expect(chart.seriesPixels, chart.title).toBeGreaterThan(20);
    }
    expect(await page.locator('h1').textContent()).toContain('fixture');
    await page.close();
  }, 60_000);

  it('shows failed criteria in red with units, the settings, the windows, sample errors and caveats', async () => {
    const { page, problems } = await open(failed, 'failed', false);
    expect(problems).toEqual([]);
    const failedRows = page.locator('#table-criteria tr.failed-row');
    expect(await failedRows.count()).toBeGreaterThanOrEqual(3);
    expect(
      await failedRows
        .first()
        .evaluate(
          (row) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
              row.children[0],
            ).color,
        ),
    ).toBe('rgb(164, 14, 38)');
    expect(await page.locator('#table-criteria').textContent()).toMatch(/\d ms/);
    expect(await page.locator('#table-load').textContent()).toContain('search 75% · insert 25%');
    expect(await page.locator('#table-load').textContent()).toContain('spike');
    expect(await page.locator('#table-errors').textContent()).toContain('Error: connection reset');
    expect(await page.locator('.caveat-note').allTextContents()).toContainEqual(
      expect.stringContaining('memory growth fitted over'),
    );
    const bands = (await page.locator('#bands').textContent()) ?? '';
    for (const label of ['warm-up', 'spike', 'object store partitioned', 'tier moves'])
      expect(bands).toContain(label);
    // Legends show the latest values before any pointer moves over a chart.
    const legend = await page.locator('.u-legend .u-value').allTextContents();
    expect(legend.filter((text) => text === '--' || text === '')).toEqual([]);
    await page.close();
  }, 60_000);

  it('renders a passed report with every chart drawn', async () => {
    const { page, problems } = await open(passed, 'passed');
    expect(problems).toEqual([]);
    expect(await page.locator('.verdict').textContent()).toBe('PASSED');
    expect(await page.locator('#table-criteria tr.failed-row').count()).toBe(0);
    for (const chart of await drawnCharts(page)) expect(chart.points, chart.title).toBeGreaterThan(0);
    await page.close();
  }, 60_000);
});
