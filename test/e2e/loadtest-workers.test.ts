/**
 * Load workers end to end: a run split over N child processes (N = 1, 2, 4), each offering its
 * execution segment, merges into one report whose arrival count is the single-process one and whose
 * coordinated-omission-corrected percentiles match the closed form as a single process's do.
 *
 * The closed form and its tolerances are those of test/unit/loadtest/coordinated-omission.test.ts:
 * each worker's event loop stalls for S = 100 ms every P = 1 s (on its own schedule) while the run
 * offers 500 ops/s in all; a fraction S/P of every worker's arrivals lands in a stall and waits
 * uniformly between 0 and S, so the merged distribution has the same quantiles: p95 150 ms and p99
 * 190 ms, ±20 % of S. Worker start-up (a Node process each) is outside the measured run: the workers
 * set up first and start their clocks together.
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { createArrivals } from '../../src/loadtest/arrivals.ts';
import { type LoadTestConfig, type ResolvedGroup, resolveLoadTestConfig } from '../../src/loadtest/config.ts';
import type { Profile } from '../../src/loadtest/profile-spec.ts';
import { runWorkers } from '../../src/loadtest/workers/worker-pool.ts';
import { Rng } from '../../src/random.ts';

const RATE = 500;
const PERIOD_MS = 1_000;
const STALL_MS = 200;
const DURATION_S = 6;
const WARMUP_S = 1;
const STALLING_MODULE = pathToFileURL(path.resolve('test/helpers/stalling-target.ts')).href;

function correctedMs(q: number): number {
  const share = STALL_MS / PERIOD_MS;
  return q <= 1 - share ? 0 : (STALL_MS * (q - (1 - share))) / share;
}

describe('load workers', () => {
  for (const workers of [1, 2, 4]) {
    it(`with ${workers} worker(s), merge to the single-process arrival count and the closed-form p95/p99 of a stall`, async () => {
      const report = await runWorkers(
        {
          kind: 'config',
          config: {
            name: 'coordinated-omission-workers',
            seed: 1,
            durationS: DURATION_S,
            warmupS: WARMUP_S,
            load: { profile: { kind: 'constant', rate: RATE }, inFlightMax: 250 },
            mix: { tick: 1 },
            criteria: { preset: 'none' },
          },
          target: {
            kind: 'module',
            module: STALLING_MODULE,
            exportName: 'createStallingTarget',
            options: { periodMs: PERIOD_MS, stallMs: STALL_MS },
          },
        },
        { workers },
      );
      const { latencyMs, operations } = report.summary;
      const tolerance = 0.2 * STALL_MS;
      const stalls = report.criteria.find((c) => c.name === 'stalls_min')?.actual;
      const context = `workers ${workers}: p95 ${latencyMs.p95} (expected ${correctedMs(0.95)}), p99 ${latencyMs.p99} (expected ${correctedMs(0.99)}), fewest stalls in a worker ${stalls}`;
      expect(report.merged?.segments ?? 1, context).toBe(workers);
      // Every arrival of the single-process schedule after the warm-up, once: the same exact count.
      expect(operations, context).toBe(RATE * (DURATION_S - WARMUP_S));
      expect(report.summary.targetOpsPerS, context).toBeCloseTo(RATE, 6);
      expect(stalls, context).toBeGreaterThanOrEqual(5);
      expect(Math.abs(latencyMs.p99 - correctedMs(0.99)), context).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(latencyMs.p95 - correctedMs(0.95)), context).toBeLessThanOrEqual(tolerance);
      const spread = latencyMs.p99 - latencyMs.p95;
      expect(Math.abs(spread - (correctedMs(0.99) - correctedMs(0.95))), context).toBeLessThanOrEqual(
        0.1 * STALL_MS,
      );
      expect(report.summary.serviceTimeMs.p99, context).toBeLessThan(STALL_MS / 4);
      // Segment timelines keep each interval's histogram, so merged interval percentiles are exact.
      if (workers > 1)
        expect(
          report.timeline.every((e) => e.histogram !== undefined),
          context,
        ).toBe(true);
    }, 120_000);
  }

  it("breaks the run with the failing worker's own error code once every worker has exited", async () => {
    const run = runWorkers(
      {
        kind: 'config',
        config: {
          name: 'broken-worker',
          seed: 1,
          durationS: 2,
          load: { profile: { kind: 'constant', rate: 10 } },
          mix: { tick: 1 },
          criteria: { preset: 'none' },
        },
        target: { kind: 'module', module: STALLING_MODULE, exportName: 'noSuchFactory' },
      },
      { workers: 2 },
    );
    await expect(run).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringMatching(/Load worker [01]\/2 failed: Expected module .* `noSuchFactory`/),
    });
  }, 120_000);

  it('split 3 ways, offer exactly the arrivals of the single-process schedule of a Poisson ramp', async () => {
    const config = {
      name: 'poisson-ramp-workers',
      seed: 5,
      durationS: 3,
      warmupS: 0.5,
      load: { arrival: 'poisson', profile: { kind: 'ramp', fromRate: 100, toRate: 700 }, inFlightMax: 1_000 },
      mix: { noop: 1 },
      criteria: { preset: 'none' },
    } satisfies LoadTestConfig;
    // The single-process schedule, drawn as a run draws it: its arrivals in [warm-up, end).
    const group = resolveLoadTestConfig(config).groups[0] as ResolvedGroup;
    const profile = group.profile as Profile;
    const source = createArrivals(profile, 'poisson', new Rng(config.seed).fork(`arrivals:${group.name}`));
    let expected = 0;
    for (let t = source.next(); t !== Number.POSITIVE_INFINITY; t = source.next()) {
      if (t >= config.warmupS * 1000) expected++;
    }
    const report = await runWorkers({ kind: 'config', config, target: { kind: 'noop' } }, { workers: 3 });
    expect(report.summary.operations).toBe(expected);
    // The Poisson count is itself within a few standard deviations of the profile's integral.
    const integral = profile.integral(config.warmupS, config.durationS);
    expect(Math.abs(expected - integral)).toBeLessThan(4 * Math.sqrt(integral));
  }, 120_000);
});
