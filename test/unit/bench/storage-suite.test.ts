import { describe, expect, it } from 'vitest';
import { SUITES } from '../../../bench/runner/registry.ts';
import { summarizeSamples } from '../../../bench/runner/sample-stats.ts';
import {
  BACKGROUND_BUILD_FIGURE_NAMES,
  backgroundBuildFigures,
  REOPEN_BUDGET_MS,
  REOPEN_FIGURE_NAMES,
  reopenFigures,
} from '../../../bench/runner/storage-suite.ts';
import { BACKGROUND_BUILD_DEFAULTS, type BuildMode } from '../../../bench/storage/background-build.ts';
import { REOPEN_DEFAULTS } from '../../../bench/storage/reopen.ts';

describe('the registry', () => {
  it('plans the reopen group in the storage suite and the startup suite, in both modes', async () => {
    for (const mode of ['quick', 'full'] as const) {
      const names = new Map<string, string[]>();
      for (const suite of SUITES) {
        const plan = await suite.planFor(mode);
        names.set(
          suite.name,
          plan.items.map((item) => item.name),
        );
      }
      expect(names.get('storage')).toEqual(['search-ingest', 'reopen', 'background-build']);
      expect(names.get('startup')).toEqual(['startup']);
    }
  });
});

describe('reopenFigures', () => {
  it('reports medians, the WAL replay as baseline, and 0.5 s plus the WAL tail as the bound', () => {
    const figures = reopenFigures({
      options: { ...REOPEN_DEFAULTS },
      insertS: 12,
      reopenMs: {
        sealed: [300, 200, 250],
        walReplay: [9_000, 8_000, 10_000],
        walTail: [30, 50, 40],
        sealedPlusTail: [260, 280, 270],
      },
    });
    expect(figures.map((figure) => figure.name)).toEqual([...REOPEN_FIGURE_NAMES]);
    const byName = new Map(figures.map((figure) => [figure.name, figure]));
    expect(byName.get('reopen-sealed-ms')).toMatchObject({
      value: 250,
      baseline: 'reopen-wal-replay-ms',
      bound: { value: REOPEN_BUDGET_MS },
    });
    expect(byName.get('reopen-sealed-plus-tail-ms')).toMatchObject({
      value: 270,
      bound: { value: REOPEN_BUDGET_MS + 40 },
    });
    expect(byName.get('reopen-build-insert-ms')).toMatchObject({ value: 12_000, compare: false });
  });
});

describe('backgroundBuildFigures', () => {
  it('reports per mode the median event-loop delay and the pooled foreground p95, unsliced as baseline', () => {
    const m = (mode: BuildMode, p99: number, max: number, foregroundMs: number[]) => ({
      mode,
      compactMs: 100,
      eventLoopDelayMsP99: p99,
      eventLoopDelayMsMax: max,
      foregroundMs,
    });
    const figures = backgroundBuildFigures({
      options: { ...BACKGROUND_BUILD_DEFAULTS },
      measurements: [
        m('unsliced', 400, 900, [1, 2, 800]),
        m('thread', 5, 9, [1, 2, 3]),
        m('sliced', 20, 30, [5, 6, 40]),
        m('thread', 7, 12, [2, 4, 6]),
        m('unsliced', 500, 1_000, [1, 900, 950]),
        m('sliced', 30, 50, [5, 6, 30]),
      ],
    });
    expect(figures.map((figure) => figure.name)).toEqual([...BACKGROUND_BUILD_FIGURE_NAMES]);
    const byName = new Map(figures.map((figure) => [figure.name, figure]));
    expect(byName.get('compaction-event-loop-delay-p99-ms')).toMatchObject({
      value: 6,
      baseline: 'compaction-event-loop-delay-p99-unsliced-ms',
    });
    expect(byName.get('compaction-event-loop-delay-p99-sliced-ms')?.value).toBe(25);
    expect(byName.get('compaction-event-loop-delay-p99-unsliced-ms')?.value).toBe(450);
    // Nearest rank over the six pooled samples: the sixth of 1, 2, 2, 3, 4, 6.
    expect(byName.get('compaction-foreground-p95-ms')?.value).toBe(6);
    expect(byName.get('compaction-foreground-p95-sliced-ms')?.value).toBe(40);
    expect(byName.get('compaction-foreground-p95-unsliced-ms')?.value).toBe(950);
  });
});

describe('summarizeSamples', () => {
  it('gives min, median (middle pair averaged), mean and max', () => {
    expect(summarizeSamples([4, 1, 3, 2])).toMatchObject({
      count: 4,
      min: 1,
      median: 2.5,
      mean: 2.5,
      max: 4,
    });
    expect(summarizeSamples([5])).toMatchObject({ median: 5, rmePct: 0 });
    expect(() => summarizeSamples([])).toThrow(/no sample/);
  });
});
