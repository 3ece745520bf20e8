import { describe, expect, it } from 'vitest';
import { targetChecks } from '../../../src/loadtest/targets/tiervec-checks.ts';
import { PhaseStats, TargetMeasurements } from '../../../src/loadtest/targets/tiervec-measure.ts';

/** Records `perSecond` calls in each of `seconds` seconds starting at `fromS`, all of `serviceMs`. */
function fill(
  stats: PhaseStats,
  fromS: number,
  seconds: number,
  perSecond: number,
  serviceMs: (second: number) => number,
) {
  for (let s = fromS; s < fromS + seconds; s++) {
    for (let i = 0; i < perSecond; i++)
      stats.recordAt(s * 1000 + (i * 1000) / perSecond, serviceMs(s), false);
  }
}

function factor(measurements: TargetMeasurements) {
  const [check] = targetChecks({
    limits: { background_p95_factor_max: 3 },
    tenants: [],
    measurements,
    verification: undefined,
    background: { configured: true, counts: { compactions: 2, tierCycles: 1, errors: 0 } } as never,
  });
  return check;
}

describe('PhaseStats.typicalP95Ms', () => {
  it('is the median of per-second p95s, ignoring seconds with too few calls', () => {
    const stats = new PhaseStats();
    fill(stats, 0, 5, 40, (s) => [10, 20, 30, 40, 50][s] as number);
    fill(stats, 5, 1, 5, () => 1000);
    expect(stats.typicalP95Ms()).toEqual({ p95Ms: 30, seconds: 5 });
    stats.destroy();
  });

  it('is undefined with fewer than 3 busy seconds', () => {
    const stats = new PhaseStats();
    fill(stats, 0, 2, 40, () => 10);
    expect(stats.typicalP95Ms()).toBeUndefined();
    stats.destroy();
  });
});

describe('background_p95_factor_max', () => {
  it('passes when one second of the background phase was a machine hiccup', () => {
    const measurements = new TargetMeasurements();
    fill(measurements.phases.before, 0, 4, 80, () => 8);
    fill(measurements.phases.background, 4, 6, 80, (s) => (s === 7 ? 200 : 10));
    const check = factor(measurements);
    expect(check?.passed).toBe(true);
    expect(check?.actual).toBe(1.25);
    expect(check?.description).toContain('median per-second p95');
    measurements.destroy();
  });

  it('fails when background work slows most seconds', () => {
    const measurements = new TargetMeasurements();
    fill(measurements.phases.before, 0, 4, 80, () => 8);
    fill(measurements.phases.background, 4, 6, 80, (s) => (s === 9 ? 10 : 40));
    const check = factor(measurements);
    expect(check?.passed).toBe(false);
    expect(check?.actual).toBe(5);
    measurements.destroy();
  });

  it('falls back to whole-phase p95s when the phases have too few busy seconds', () => {
    const measurements = new TargetMeasurements();
    fill(measurements.phases.before, 0, 2, 80, () => 8);
    fill(measurements.phases.background, 2, 2, 80, () => 32);
    const check = factor(measurements);
    expect(check?.description).toContain('too few busy seconds');
    expect(check?.actual).toBeCloseTo(4, 1);
    measurements.destroy();
  });
});
