/**
 * The tinybench wrapper: one `Bench` per task (tasks differ in budgets: a 5-second sequential upload
 * cannot share the 250 ms budget of a 1 µs one), and the conversion of tinybench's result into the
 * figures the results file keeps.
 *
 * Rate. tinybench's `throughput.mean` is the mean of per-sample rates (1 ÷ each latency), which
 * overweights the fastest samples: an async task with a 3 µs median and a 100 µs p99 reports a
 * rate several times what a caller sustains. The runner reports runs ÷ total time
 * (1000 ÷ mean latency in ms) instead, with the latency mean's relative margin of error, which is
 * also the margin of its reciprocal to first order.
 */

import { Bench, type TaskResult } from 'tinybench';
import type { TimedTask } from './bench-suite.ts';
import type { TimingDefaults } from './defaults.ts';

export interface Measurement {
  readonly opsPerS: number;
  readonly latencyMs: { readonly mean: number; readonly p50: number; readonly p99: number };
  readonly samples: number;
  readonly rmePct: number;
}

/** Runs one task through tinybench and returns its measurement; rejects with the task's own error. */
export async function measureTimedTask(task: TimedTask, timing: TimingDefaults): Promise<Measurement> {
  const bench = new Bench({
    name: task.name,
    time: task.timeMs ?? timing.timeMs,
    iterations: task.iterationsMin ?? timing.iterationsMin,
    warmupTime: task.warmupTimeMs ?? timing.warmupTimeMs,
    warmupIterations: task.warmupIterationsMin ?? timing.warmupIterationsMin,
    throws: false,
  });
  const beforeEach = task.beforeEach;
  // tinybench tells async functions by their type, which misses a plain function returning a
  // promise; say it explicitly.
  const async = task.sync !== true;
  bench.add(
    task.name,
    task.fn,
    beforeEach === undefined ? { async } : { async, beforeEach: async () => void (await beforeEach()) },
  );
  await task.setup?.();
  try {
    await bench.run();
  } finally {
    await task.teardown?.();
  }
  const measured = bench.tasks[0];
  if (measured === undefined) throw new Error(`tinybench lost task ${task.name}`);
  return measurementFromResult(task.name, measured.result);
}

/** tinybench result → measurement; throws the task's error, or says why there is no measurement. */
export function measurementFromResult(name: string, result: TaskResult): Measurement {
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`task ${name} ended in state ${result.state}`);
  const { latency } = result;
  if (!(latency.mean > 0) || !Number.isFinite(latency.rme)) {
    throw new Error(`task ${name} measured a mean latency of ${latency.mean} ms: too fast to time, batch it`);
  }
  return {
    opsPerS: 1000 / latency.mean,
    latencyMs: { mean: latency.mean, p50: latency.p50, p99: latency.p99 },
    samples: latency.samplesCount,
    rmePct: latency.rme,
  };
}
