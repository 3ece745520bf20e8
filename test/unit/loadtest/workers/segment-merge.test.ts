import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/clock.ts';
import { ErrorCode } from '../../../../src/errors.ts';
import type { LoadTestConfig } from '../../../../src/loadtest/config.ts';
import type { LoadTarget } from '../../../../src/loadtest/load-target.ts';
import { mergeReports } from '../../../../src/loadtest/report/merge.ts';
import type { LoadTestReport } from '../../../../src/loadtest/report/schema.ts';
import { runLoadTest } from '../../../../src/loadtest/run.ts';
import type { ExecutionSegment } from '../../../../src/loadtest/workers/execution-segment.ts';
import { driveClock } from '../manual-run.ts';

const config: LoadTestConfig = {
  name: 'segments',
  seed: 77,
  durationS: 6,
  warmupS: 1,
  load: { arrival: 'poisson', profile: { kind: 'ramp', fromRate: 20, toRate: 90 }, inFlightMax: 1_000 },
  mix: { read: 3, write: 1 },
  criteria: { preset: 'none', latencyMsP99Max: 1_000 },
};

/** Operations whose latency depends on the arrival number alone, so the merged run can equal the whole. */
function target(clock: ManualClock, indices: number[]): LoadTarget {
  const op = async ({ index }: { index: number }) => {
    indices.push(index);
    await clock.sleep(1 + (index % 17));
  };
  return { name: 'sleeper', operations: { read: op, write: op } };
}

async function run(segment?: ExecutionSegment, indices: number[] = []): Promise<LoadTestReport> {
  const clock = new ManualClock(0);
  return driveClock(
    clock,
    runLoadTest(config, { target: target(clock, indices), clock, ...(segment ? { segment } : {}) }),
  );
}

async function segments(n: number, indices: number[] = []): Promise<LoadTestReport[]> {
  const reports: LoadTestReport[] = [];
  for (let index = 0; index < n; index++) reports.push(await run({ index, count: n }, indices));
  return reports;
}

describe('merging the segments of one run', () => {
  it('gives the whole run: same arrivals, same arrival numbers, same latency distribution', async () => {
    const wholeIndices: number[] = [];
    const whole = await run(undefined, wholeIndices);
    const segmentIndices: number[] = [];
    const parts = await segments(3, segmentIndices);
    expect(parts.map((r) => r.segment)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    const merged = mergeReports(parts);
    expect(merged.merged?.segments).toBe(3);
    expect(merged.segment).toBeUndefined();
    expect(merged.summary.operations).toBe(whole.summary.operations);
    expect(merged.summary.targetOpsPerS).toBeCloseTo(whole.summary.targetOpsPerS as number, 2);
    expect(merged.summary.latencyMs).toEqual(whole.summary.latencyMs);
    expect(segmentIndices.sort((a, b) => a - b)).toEqual(wholeIndices.sort((a, b) => a - b));
    // Lossless timelines: each interval's percentiles come from the added histograms.
    const counted = merged.timeline.reduce((sum, e) => sum + e.count, 0);
    expect(counted).toBe(whole.timeline.reduce((sum, e) => sum + e.count, 0));
    expect(merged.timeline.every((e) => typeof e.histogram === 'string')).toBe(true);
    expect(merged.warnings.filter((w) => w.includes('target rate'))).toEqual([]);
    expect(merged.criteria.find((c) => c.name === 'latency_ms_p99_max')?.actual).toBe(
      whole.summary.latencyMs.p99,
    );
  });

  it('refuses a missing segment, naming it, unless forced', async () => {
    const parts = await segments(4);
    const error = (() => {
      try {
        mergeReports([parts[0], parts[1], parts[3]] as LoadTestReport[]);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining('segment 2/4 missing'),
    });
    const forced = mergeReports([parts[0], parts[1], parts[3]] as LoadTestReport[], { force: true });
    expect(forced.warnings.some((w) => w.includes('segment 2/4 missing'))).toBe(true);
  });

  it('refuses a segment given twice (its arrivals would count twice)', async () => {
    const parts = await segments(2);
    expect(() => mergeReports([parts[0], parts[1], parts[1]] as LoadTestReport[])).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('segment 1/2 twice'),
      }),
    );
  });

  it('refuses segments of different splits or seeds, and a whole run among segments', async () => {
    const halves = await segments(2);
    const thirds = await segments(3);
    const whole = await run();
    const otherSeed = { ...(halves[1] as LoadTestReport), seed: 78 };
    for (const [label, reports, text] of [
      ['splits', [halves[0], thirds[1], thirds[2]], 'split 2 and 3 ways'],
      ['seeds', [halves[0], otherSeed], 'seeds 77 and 78'],
      ['whole', [halves[0], halves[1], whole], 'reports[2] is a whole run'],
    ] as const) {
      expect(() => mergeReports(reports as unknown as LoadTestReport[]), label).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT, message: expect.stringContaining(text) }),
      );
    }
  });

  it('still merges whole runs of one scenario as before (no segment marks, no segment checks)', async () => {
    const a = await run();
    const merged = mergeReports([a, a]);
    expect(merged.merged?.segments).toBeUndefined();
    expect(merged.summary.operations).toBe(2 * a.summary.operations);
  });
});
