import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { abbaRatio, median } from '../../../bench/storage/alternating-rounds.ts';
import { describeRun, SearchProcessGroup, summarise } from '../../../bench/storage/search-processes.ts';

const CHILD = fileURLToPath(new URL('../../helpers/search-loop-child.ts', import.meta.url));

describe('summarise (search processes)', () => {
  it('adds each process rate, averages CPU per second over processes, and divides all searches by all CPU', () => {
    const run = summarise([
      { searches: 4_000, cpuS: 2, elapsedS: 2 },
      { searches: 3_000, cpuS: 0.5, elapsedS: 1 },
    ]);
    expect(run.processes).toBe(2);
    expect(run.searchesPerS).toBeCloseTo(2_000 + 3_000);
    expect(run.cpuPerSPerProcess).toBeCloseTo((1 + 0.5) / 2);
    expect(run.searchesPerCpuS).toBeCloseTo(7_000 / 2.5);
  });

  it('tells CPU starvation from per-CPU efficiency: same rate, different CPU', () => {
    const starved = summarise([{ searches: 3_000, cpuS: 0.75, elapsedS: 1 }]);
    const slower = summarise([{ searches: 3_000, cpuS: 1, elapsedS: 1 }]);
    expect(starved.searchesPerS).toBe(slower.searchesPerS);
    expect(starved.cpuPerSPerProcess).toBeLessThan(slower.cpuPerSPerProcess);
    expect(starved.searchesPerCpuS).toBeGreaterThan(slower.searchesPerCpuS);
  });

  it('describes a run with its rate, CPU per process and searches per CPU-second', () => {
    expect(describeRun(summarise([{ searches: 3_917, cpuS: 1.01, elapsedS: 1 }]))).toBe(
      '3917 searches/s, 1.01 CPU-s/s per process, 3878 searches per CPU-s',
    );
  });
});

describe('SearchProcessGroup', () => {
  it('runs the first N of its processes together, as often as asked, and refuses more than it has', async () => {
    const argsSeen: number[] = [];
    const group = await SearchProcessGroup.start({
      script: CHILD,
      args: (index) => {
        argsSeen.push(index);
        return JSON.stringify({ tag: index });
      },
      processes: 2,
    });
    try {
      expect(argsSeen).toEqual([0, 1]);
      const one = await group.run(1, 50);
      const two = await group.run(2, 50);
      const again = await group.run(1, 50);
      expect(one.processes).toBe(1);
      expect(two.processes).toBe(2);
      expect(again.processes).toBe(1);
      for (const sample of [...one.samples, ...two.samples, ...again.samples]) {
        expect(sample.searches).toBeGreaterThan(0);
        expect(sample.elapsedS).toBeGreaterThanOrEqual(0.05);
      }
      await expect(group.run(3, 50)).rejects.toThrow(RangeError);
      await expect(group.run(0, 50)).rejects.toThrow(RangeError);
    } finally {
      await group.stop();
    }
  }, 30_000);

  it('rejects a run whose process exits before answering, instead of waiting for it', async () => {
    const group = await SearchProcessGroup.start({
      script: CHILD,
      args: () => JSON.stringify({ exitOnRun: true }),
      processes: 1,
    });
    try {
      await expect(group.run(1, 50)).rejects.toThrow(/exited .* during a timed run/);
    } finally {
      await group.stop();
    }
  }, 30_000);
});

describe('alternating rounds', () => {
  it('takes the median of an odd count, the mean of the middle two of an even one, NaN of none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('divides the sum of the B windows by the sum of the A windows of a round', () => {
    expect(abbaRatio({ a: [1_000, 3_000], b: [3_600, 4_400] })).toBeCloseTo(2);
    // A steady drift within the round cancels: A at 1,000 then 1,300, B at 2 × (1,100 and 1,200).
    expect(abbaRatio({ a: [1_000, 1_300], b: [2_200, 2_400] })).toBeCloseTo(2);
  });
});
