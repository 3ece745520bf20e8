/**
 * The HTML report, opened in headless Chromium: it must load from a file with no network, log no
 * error, and draw every chart with data points. Debian's `chromium` (installed by .ci/run) is used
 * through playwright-core; the test is skipped, saying so, where /usr/bin/chromium is absent.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/loadtest/report/html.ts';
import { manualRun } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  console.warn(
    `html-report.test.ts: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`,
  );
}

interface PageChart {
  title: string;
  points: number;
  plot?: {
    ctx: {
      canvas: { width: number; height: number };
      getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
    };
  };
}

interface DrawnChart {
  title: string;
  points: number;
  /** Canvas pixels that are not fully transparent. */
  inkPixels: number;
  /** Pixels in the colour of the first series (#0969da): a line was drawn, not only axes. */
  seriesPixels: number;
}

describe.skipIf(!available)('HTML report in headless Chromium', () => {
  it('opens offline with no console error and draws every chart with data points', async () => {
    const { report } = await manualRun({ seed: 3, failEvery: 30 });
    const dir = await mkdtemp(path.join(tmpdir(), 'tiervec-html-'));
    const file = path.join(dir, 'report.html');
    await writeFile(file, renderHtml(report));
    const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(String(error)));
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      const charts: DrawnChart[] = await page.evaluate(() => {
        // Runs in the page; typed structurally because this project compiles without the DOM library.
        const drawn = (globalThis as unknown as { tiervecCharts: PageChart[] }).tiervecCharts;
        return drawn.map((chart) => {
          let inkPixels = 0;
          let seriesPixels = 0;
          if (chart.plot !== undefined) {
            const canvas = chart.plot.ctx.canvas;
            const pixels = chart.plot.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < pixels.length; i += 4) {
              if ((pixels[i + 3] as number) === 0) continue;
              inkPixels++;
              const [r, g, b] = [pixels[i] as number, pixels[i + 1] as number, pixels[i + 2] as number];
              if (Math.abs(r - 9) < 40 && Math.abs(g - 105) < 40 && Math.abs(b - 218) < 40) seriesPixels++;
            }
          }
          return { title: chart.title, points: chart.points, inkPixels, seriesPixels };
        });
      });
      expect(problems).toEqual([]);
      // Everything the page needs is inside the file.
      expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
      expect(charts.map((c) => c.title)).toEqual([
        'Target and achieved rate',
        'Latency, all operations',
        'Latency: search',
        'Latency: insert',
        'In flight and queued',
        'Memory and CPU',
        'Target gauges',
      ]);
      for (const chart of charts) {
        expect(chart.points, chart.title).toBeGreaterThan(0);
        expect(chart.inkPixels, chart.title).toBeGreaterThan(500);
        expect(chart.seriesPixels, chart.title).toBeGreaterThan(20);
      }
      expect(await page.locator('h1').textContent()).toContain('fixture');
    } finally {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
