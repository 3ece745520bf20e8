/**
 * Coordinated omission, checked against the closed-form answer on real time.
 *
 * A target stalls the whole event loop (a synchronous blocking wait, like a long GC pause or a blocking
 * system call) for S every P while the open model offers a constant rate R. Arrivals whose intended
 * start falls inside a stall cannot even be issued until it ends; the scheduler then issues all of
 * them at once (catch-up), and each one's response time is measured from its own intended start, so the arrivals of a stall wait
 * uniformly between 0 and S. A fraction S/P of all operations lies in stalls, so for a percentile q
 * above 1 − S/P the corrected latency is S·(q − (1 − S/P))/(S/P); below it, it is the operation's own
 * (tiny) cost. Service time, measured from the actual start, stays at the operation's own cost: only
 * the one operation that triggers each stall (5 of 2500, 0.2 %) sees it.
 *
 * Times are scaled from the P = 2 s, S = 0.2 s to P = 1 s, S = 200 ms so the run takes 6 s, the
 * first of which is warm-up, while a stall stays large against a busy machine's descheduling. With evenly spaced arrivals the waits inside a stall are
 * evenly spaced too, so the quantiles are exact up to noise.
 *
 * Tolerance: ±20 % of S (40 ms) on p95 (expected 150 ms) and p99 (expected 190 ms), and ±10 % of S on
 * their difference (expected 40 ms). On a loaded two-core machine the process is descheduled now and
 * then; that delays some operations by a few to ~20 ms, which stays well below the 150 ms p95 and p99
 * are made of, and it can delay the catch-up after a stall, which shifts every wait of that stall by the
 * same few ms (measured with S = 100 ms: +3 ms on a busy machine, +12 ms with two extra CPU hogs on its two cores,
 * +22 ms at load average 12; rarely far more, hence the retries below) and
 * leaves the difference unchanged. A harness measuring from the actual start would report about 0 ms
 * for both; one that skipped the stalled arrivals would count fewer operations. Service time must stay
 * under a quarter of S and a third of the corrected p99.
 */

import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { createStallingTarget } from '../../helpers/stalling-target.ts';

const RATE = 500;
const PERIOD_MS = 1_000;
const STALL_MS = 200;
const DURATION_S = 6;
/** Start-up (JIT compilation, first garbage collections) is left out, as in any real run. */
const WARMUP_S = 1;

/** The closed-form corrected latency at percentile q (0–1) for stalls of S every P. */
function correctedMs(q: number, stallMs: number, periodMs: number): number {
  const share = stallMs / periodMs;
  return q <= 1 - share ? 0 : (stallMs * (q - (1 - share))) / share;
}

describe('coordinated omission', () => {
  it('reports the closed-form corrected latency for stalls, while service time stays at the operation cost', {
    timeout: 30_000,
    retry: 2,
  }, async () => {
    const target = createStallingTarget({ periodMs: PERIOD_MS, stallMs: STALL_MS });
    const report = await runLoadTest(
      {
        name: 'coordinated-omission',
        seed: 1,
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        load: { profile: { kind: 'constant', rate: RATE }, inFlightMax: 250 },
        mix: { tick: 1 },
        criteria: { preset: 'none' },
      },
      { target },
    );
    const { latencyMs, serviceTimeMs, operations } = report.summary;
    const expectedP99 = correctedMs(0.99, STALL_MS, PERIOD_MS);
    const expectedP95 = correctedMs(0.95, STALL_MS, PERIOD_MS);
    const tolerance = 0.2 * STALL_MS;
    const context = `p95 ${latencyMs.p95} (expected ${expectedP95}), p99 ${latencyMs.p99} (expected ${expectedP99}), service p99 ${serviceTimeMs.p99}, stalls ${target.stalls}`;

    expect(expectedP99).toBeCloseTo(190, 9);
    // Stalls start 900 ms after the first call and recur every second: 1 in the warm-up, 5 after it.
    expect(target.stalls, context).toBe(6);
    // Every arrival of the run was issued, those inside stalls late, none skipped.
    expect(operations, context).toBe(RATE * (DURATION_S - WARMUP_S));
    expect(Math.abs(latencyMs.p99 - expectedP99), context).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(latencyMs.p95 - expectedP95), context).toBeLessThanOrEqual(tolerance);
    const spread = latencyMs.p99 - latencyMs.p95;
    expect(Math.abs(spread - (expectedP99 - expectedP95)), context).toBeLessThanOrEqual(0.1 * STALL_MS);
    expect(latencyMs.max, context).toBeGreaterThan(STALL_MS * 0.9);
    expect(serviceTimeMs.p99, context).toBeLessThan(STALL_MS / 4);
    expect(serviceTimeMs.p99, context).toBeLessThan(latencyMs.p99 / 3);
    expect(serviceTimeMs.max, context).toBeGreaterThan(STALL_MS * 0.5);
    // Retried: once in a while the whole machine stalls the catch-up of one stall by 100+ ms (seen at
    // load average 4.5 with a 1M-row build on both cores: p99 345 ms, p95 199 ms), beyond any fair
    // tolerance. A harness that measured from the actual start, or skipped stalled arrivals, fails
    // every attempt, so the retries cannot hide it.
  });
});
