import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../../../src/loadtest/report/schema.ts';
import type { LoadTestProgress } from '../../../../src/loadtest/run-session.ts';
import { mergeProgress, ProgressMerger } from '../../../../src/loadtest/workers/worker-progress.ts';

function entry(tS: number, count: number, p99: number): TimelineEntry {
  return {
    tS,
    intervalS: 1,
    targetRate: 50,
    achievedRate: count,
    count,
    inFlight: 1,
    queued: 0,
    dropped: 0,
    errors: 0,
    latencyMs: { p50: 1, p95: 2, p99 },
    operations: {},
    rssBytes: 100 * count,
    heapUsedBytes: 1,
    cpuPercent: 10,
    eventLoopDelayMsP99: 1,
    gauges: {},
  };
}

function progress(
  elapsedS: number,
  count: number,
  phase: LoadTestProgress['phase'] = 'measuring',
): LoadTestProgress {
  return {
    elapsedS,
    durationS: 10,
    fraction: elapsedS / 10,
    phase,
    interval: entry(elapsedS, count, count / 10),
    targetOpsPerS: 50,
    completed: count * elapsedS,
    errors: 0,
    dropped: 0,
  };
}

describe('ProgressMerger', () => {
  it('hands on an interval once every worker sent it, counts and targets added', () => {
    const seen: LoadTestProgress[] = [];
    const merger = new ProgressMerger(
      2,
      (p) => seen.push(p),
      () => {},
    );
    merger.add(0, progress(1, 40));
    expect(seen).toHaveLength(0);
    merger.add(0, progress(2, 42));
    merger.add(1, progress(1, 60));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ elapsedS: 1, targetOpsPerS: 100, completed: 100 });
    expect(seen[0]?.interval).toMatchObject({ count: 100, targetRate: 100, rssBytes: 6_000 });
    // Without interval histograms, a percentile is the worst worker's.
    expect(seen[0]?.interval.latencyMs.p99).toBe(6);
  });

  // Pins a bug: without a callback the merged interval was never taken off the queue, and the
  // coordinator looped forever on the first progress (this test then never returns).
  it('works without a progress callback (nothing piles up, nothing loops)', () => {
    const stops: number[] = [];
    const merger = new ProgressMerger(1, undefined, (atS) => stops.push(atS));
    for (let s = 1; s <= 5; s++) expect(() => merger.add(0, progress(s, 10))).not.toThrow();
    merger.finish(0);
    expect(stops).toEqual([]);
  });

  it('drops intervals a finished worker will never send, rather than show one worker as the run', () => {
    const seen: LoadTestProgress[] = [];
    const merger = new ProgressMerger(
      2,
      (p) => seen.push(p),
      () => {},
    );
    merger.add(0, progress(1, 10));
    merger.add(1, progress(1, 10));
    merger.add(1, progress(2, 10));
    merger.finish(0);
    merger.add(1, progress(3, 10));
    expect(seen.map((p) => p.elapsedS)).toEqual([1]);
  });

  it('reports a worker that drained before the planned end once (it stopped itself), not one at the end', () => {
    const stops: number[] = [];
    const merger = new ProgressMerger(2, undefined, (atS) => stops.push(atS));
    merger.add(0, progress(10, 5, 'draining'));
    expect(stops).toEqual([]);
    merger.add(1, progress(4, 5, 'draining'));
    merger.add(0, progress(5, 5, 'draining'));
    expect(stops).toEqual([4]);
  });

  it('merges phases to the furthest one', () => {
    expect(mergeProgress([progress(1, 1, 'warmup'), progress(1, 1, 'measuring')]).phase).toBe('measuring');
  });
});
