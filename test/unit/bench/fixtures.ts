// Hand-built results for the benchmark-runner tests: numbers chosen so each verdict is obvious.
import type { BenchResults, TaskEntry } from '../../../bench/runner/results-file.ts';

export function entry(overrides: Partial<TaskEntry> & Pick<TaskEntry, 'suite' | 'name'>): TaskEntry {
  return {
    id: `${overrides.suite}/${overrides.name}`,
    source: 'tinybench',
    value: 1000,
    unit: 'ops/s',
    higherIsBetter: true,
    rmePct: 1,
    opsPerS: 1000,
    latencyMs: { mean: 1, p50: 1, p99: 2 },
    samples: 100,
    baseline: null,
    bound: null,
    compare: true,
    ...overrides,
  };
}

export function results(tasks: readonly TaskEntry[], overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    schemaVersion: 1,
    startedAt: '2025-01-02T03:04:05.678Z',
    durationS: 12.5,
    mode: 'quick',
    filters: [],
    environment: {
      nodeVersion: 'v20.20.2',
      v8Version: '11.3',
      platform: 'linux',
      arch: 'x64',
      osRelease: '6.1',
      cpuModel: 'Test CPU',
      cores: 2,
      totalMemoryBytes: 8 * 2 ** 30,
      loadAverage1m: 0.5,
      tinybenchVersion: '6.2.3',
      mode: 'quick',
    },
    suites: [{ name: 'uploads', state: 'completed', durationS: 10 }],
    tasks,
    targets: [],
    ...overrides,
  };
}
