import { describe, expect, it } from 'vitest';
import { describeRun, summarise } from '../../../bench/storage/search-processes.ts';

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
