import { describe, expect, it } from 'vitest';
import { type ProbeOutcome, roundRate, searchCapacity } from '../../../src/cli/capacity-search.ts';
import { ErrorCode } from '../../../src/errors.ts';

/** A system that meets the SLO up to `capacity` ops/s; records the rates it was offered. */
function system(capacity: number) {
  const offered: number[] = [];
  const probe = async (rate: number): Promise<ProbeOutcome> => {
    offered.push(rate);
    return { rate, passed: rate <= capacity, reasons: rate <= capacity ? [] : ['p99 over the limit'] };
  };
  return { offered, probe };
}

describe('searchCapacity', () => {
  it('bisect: doubles until a probe fails, then halves the bracket refineSteps times', async () => {
    const { offered, probe } = system(350);
    const result = await searchCapacity({ rateMin: 50, rateMax: 10_000, probe, refineSteps: 3 });
    // Each failing rate is probed twice: a failure is repeated before it is believed.
    expect(offered).toEqual([50, 100, 200, 400, 400, 300, 350, 375, 375]);
    expect(result.highestPassing).toBe(350);
    expect(result.lowestFailing).toBe(375);
    expect(result.verdicts.map((v) => [v.rate, v.passed, v.runs])).toEqual([
      [50, true, 1],
      [100, true, 1],
      [200, true, 1],
      [400, false, 2],
      [300, true, 1],
      [350, true, 1],
      [375, false, 2],
    ]);
    expect(result.unreliable).toEqual([]);
  });

  it('step: raises the rate by a fixed increment and stops at the first failure', async () => {
    const { offered, probe } = system(320);
    const result = await searchCapacity({
      rateMin: 100,
      rateMax: 1_000,
      strategy: 'step',
      stepRate: 100,
      probe,
    });
    expect(offered).toEqual([100, 200, 300, 400, 400]);
    expect(result).toMatchObject({ highestPassing: 300, lowestFailing: 400 });
  });

  it('reports no passing rate when even the first probe fails', async () => {
    const { offered, probe } = system(10);
    const result = await searchCapacity({ rateMin: 50, rateMax: 1_000, probe });
    expect(offered).toEqual([50, 50]);
    expect(result.highestPassing).toBeUndefined();
    expect(result.lowestFailing).toBe(50);
  });

  it('stops at rateMax when every probe passes', async () => {
    const { offered, probe } = system(Infinity);
    const result = await searchCapacity({ rateMin: 100, rateMax: 500, probe });
    expect(offered).toEqual([100, 200, 400, 500]);
    expect(result).toMatchObject({ highestPassing: 500, lowestFailing: undefined });
  });

  it('never runs more than probesMax probes', async () => {
    const { offered, probe } = system(Infinity);
    await searchCapacity({ rateMin: 1, rateMax: 1_000, strategy: 'step', stepRate: 1, probesMax: 5, probe });
    expect(offered).toHaveLength(5);
  });

  it('rejects a bad range or strategy with INVALID_ARGUMENT', async () => {
    const { probe } = system(1);
    await expect(searchCapacity({ rateMin: 0, rateMax: 10, probe })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
    await expect(searchCapacity({ rateMin: 20, rateMax: 10, probe })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
    await expect(
      searchCapacity({ rateMin: 1, rateMax: 10, probe, strategy: 'binary' as 'step' }),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('stops between probes when the signal aborts', async () => {
    const controller = new AbortController();
    const offered: number[] = [];
    const probe = async (rate: number) => {
      offered.push(rate);
      controller.abort(new Error('stop'));
      return { rate, passed: true, reasons: [] };
    };
    await expect(
      searchCapacity({ rateMin: 1, rateMax: 100, probe, signal: controller.signal }),
    ).rejects.toThrow('stop');
    expect(offered).toEqual([1]);
  });
});

describe('searchCapacity under noise', () => {
  it('believes a failure only when its repeat fails too; a tie is broken by a third probe', async () => {
    // 400 ops/s fails once by chance, then passes twice: it passes, but not unanimously.
    const outcomes = new Map<number, boolean[]>([[400, [false, true, true]]]);
    const offered: number[] = [];
    const probe = async (rate: number): Promise<ProbeOutcome> => {
      offered.push(rate);
      const scripted = outcomes.get(rate)?.shift();
      const passed = scripted ?? rate <= 400;
      return { rate, passed, reasons: passed ? [] : ['p99 over the limit'] };
    };
    const result = await searchCapacity({ rateMin: 100, rateMax: 800, probe, refineSteps: 0 });
    expect(offered).toEqual([100, 200, 400, 400, 400, 800, 800]);
    expect(result.verdicts.find((v) => v.rate === 400)).toMatchObject({ passed: true, runs: 3, passes: 2 });
    expect(result.highestPassing).toBe(400);
    expect(result.unreliable).toEqual(['400 ops/s passed only 2 of 3 probes']);
  });

  it('calls the answer unreliable when its pass had too few samples to be sure', async () => {
    const probe = async (rate: number): Promise<ProbeOutcome> => ({
      rate,
      passed: rate <= 200,
      reasons: rate <= 200 ? [] : ['p99 over the limit'],
      confident: rate !== 200,
    });
    const result = await searchCapacity({ rateMin: 100, rateMax: 1_000, probe, refineSteps: 0 });
    expect(result.highestPassing).toBe(200);
    expect(result.unreliable).toEqual(['200 ops/s passed with too few samples to bound its SLO percentile']);
  });

  it('rejects failureRepeats outside 0..10 with INVALID_ARGUMENT', async () => {
    const { probe } = system(1);
    await expect(
      searchCapacity({ rateMin: 1, rateMax: 10, probe, failureRepeats: 11 }),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
  });
});

describe('roundRate', () => {
  it('keeps precision that suits the size of the rate', () => {
    expect(roundRate(1234.56)).toBe(1235);
    expect(roundRate(12.345)).toBe(12.3);
    expect(roundRate(1.2345)).toBe(1.23);
  });
});
