/**
 * Headless Chromium for the report and dashboard tests: Debian's `chromium` through
 * playwright-core, launched without network extras, and a reader of the charts a page drew
 * (`window.tiervecCharts`) with how much ink each put on its canvas.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS_DIR = path.resolve('reports', 'screenshots');
/** Whether Chromium is installed; warns, naming `testFile`, when it is not. */
export function chromiumAvailable(testFile: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available) {
    console.warn(
      `${testFile}: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`,
    );
  }
  return available;
}

interface PageChart {
  id: string;
  title: string;
  points: number;
  plot?: {
    ctx: {
      canvas: { width: number; height: number };
      getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
    };
  };
}

export interface DrawnChart {
  id: string;
  title: string;
  points: number;
  /** Canvas pixels that are not fully transparent. */
  inkPixels: number;
  /** Pixels in the colour of the first series (#0969da): a line was drawn, not only axes. */
  seriesPixels: number;
}

/** Every chart on the page with the ink it drew (runs in the page). */
export function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(() => {
    // Typed structurally because this project compiles without the DOM library.
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
      return { id: chart.id, title: chart.title, points: chart.points, inkPixels, seriesPixels };
    });
  });
}

export async function launchChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
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
}
