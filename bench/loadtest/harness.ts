/**
 * Benchmarks of the load harness itself, against the `noop` calibration target, so that what a load
 * test reports is known to be the system's and not the harness's:
 *
 * - record cost: nanoseconds per latency recorded in the HDR histogram (WebAssembly build), beside
 *   the JavaScript build and, as the baseline, a store into a preallocated Float64Array (what keeping
 *   every sample would cost, before sorting and memory);
 * - highest open-model rate on one process with achieved/target ≥ 0.99, stepping the rate up;
 * - scheduler lateness (actual − intended start) at 10,000 ops/s with the default wake-up thread,
 *   beside, as the baseline, the same scheduler on Node's timers, a spinning scheduler (`spinMs`),
 *   and one setTimeout per arrival (whose early firings count as 0 late, flattering it).
 *
 * The functions are exported for the benchmark runner; run this file directly to print the figures:
 *   node --import tsx bench/loadtest/harness.ts [--quick]
 */

import { pathToFileURL } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { HISTOGRAM_VALUE_US_MAX, LatencyHistogram } from '../../src/loadtest/histogram.ts';
import type { LoadTestReport } from '../../src/loadtest/report/schema.ts';
import { runLoadTest } from '../../src/loadtest/run.ts';
import { createNoopTarget } from '../../src/loadtest/targets/noop.ts';

export interface RecordCost {
  samples: number;
  /** LatencyHistogram.recordMs (WebAssembly HDR, with unit conversion and clamping). */
  hdrWasmNsPerRecord: number;
  /** hdr-histogram-js's JavaScript build, recordValue only. */
  hdrJsNsPerRecord: number;
  /** Baseline: one store into a preallocated Float64Array. */
  arrayStoreNsPerSample: number;
}

/** Best of `rounds` timings of `fn`, in ns per iteration. */
function bestNsPer(samples: number, rounds: number, fn: (n: number) => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    fn(samples);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / samples);
  }
  return Math.round(best * 10) / 10;
}

export function measureRecordCost(options: { samples?: number; rounds?: number } = {}): RecordCost {
  const samples = options.samples ?? 5_000_000;
  const rounds = options.rounds ?? 3;
  // Latencies between 0.05 ms and ~50 ms, the range a store's operations fall in.
  const valuesMs = Float64Array.from({ length: 4096 }, (_, i) => 0.05 + ((i * 7919) % 50_000) / 1000);
  const wasm = new LatencyHistogram();
  const js = hdr.build({
    useWebAssembly: false,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_VALUE_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
  const array = new Float64Array(samples);
  try {
    return {
      samples,
      hdrWasmNsPerRecord: bestNsPer(samples, rounds, (n) => {
        for (let i = 0; i < n; i++) wasm.recordMs(valuesMs[i & 4095] as number);
      }),
      hdrJsNsPerRecord: bestNsPer(samples, rounds, (n) => {
        for (let i = 0; i < n; i++) js.recordValue(Math.round((valuesMs[i & 4095] as number) * 1000));
      }),
      arrayStoreNsPerSample: bestNsPer(samples, rounds, (n) => {
        for (let i = 0; i < n; i++) array[i] = valuesMs[i & 4095] as number;
      }),
    };
  } finally {
    wasm.destroy();
    js.destroy();
  }
}

export interface NoopRun {
  rate: number;
  achievedRatio: number;
  throughputOpsPerS: number;
  dropped: number;
  latenessMsP50: number;
  latenessMsP99: number;
  latenessMsMax: number;
  cpuPercentAvg: number;
}

/** One open-model run against the noop target at a constant rate. */
export async function runNoop(options: {
  rate: number;
  durationS: number;
  warmupS: number;
  spinMs?: number;
  wakeup?: 'thread' | 'timers';
}): Promise<NoopRun> {
  const report: LoadTestReport = await runLoadTest(
    {
      name: `noop-${options.rate}`,
      seed: 1,
      durationS: options.durationS,
      warmupS: options.warmupS,
      gracePeriodS: 10,
      load: {
        profile: { kind: 'constant', rate: options.rate },
        inFlightMax: 10_000,
        queueLengthMax: 10_000_000,
      },
      mix: { noop: 1 },
      criteria: { preset: 'none' },
      scheduler: {
        ...(options.spinMs === undefined ? {} : { spinMs: options.spinMs }),
        ...(options.wakeup === undefined ? {} : { wakeup: options.wakeup }),
      },
    },
    { target: createNoopTarget() },
  );
  return {
    rate: options.rate,
    achievedRatio: report.summary.achievedRatio ?? 0,
    throughputOpsPerS: report.summary.throughputOpsPerS,
    dropped: report.summary.dropped,
    latenessMsP50: report.scheduler.latenessMs.p50,
    latenessMsP99: report.scheduler.latenessMs.p99,
    latenessMsMax: report.scheduler.latenessMs.max,
    cpuPercentAvg: report.resources.cpuPercentAvg,
  };
}

export interface HighestRate {
  /** The highest rate stepped through with achieved/target ≥ the minimum; null if none held. */
  highestRate: number | null;
  steps: Array<NoopRun & { held: boolean }>;
}

export const RATE_STEPS = Object.freeze([
  10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 500_000, 750_000, 1_000_000, 1_500_000,
]);

/** Steps the open-model rate up until achieved/target drops below `achievedRatioMin` (or the steps end). */
export async function findHighestOpenRate(
  options: {
    rates?: readonly number[];
    durationS?: number;
    warmupS?: number;
    achievedRatioMin?: number;
  } = {},
): Promise<HighestRate> {
  const ratioMin = options.achievedRatioMin ?? 0.99;
  const steps: HighestRate['steps'] = [];
  let highestRate: number | null = null;
  for (const rate of options.rates ?? RATE_STEPS) {
    const run = await runNoop({ rate, durationS: options.durationS ?? 3, warmupS: options.warmupS ?? 1 });
    const held = run.achievedRatio >= ratioMin && run.dropped === 0;
    steps.push({ ...run, held });
    if (!held) break;
    highestRate = rate;
  }
  return { highestRate, steps };
}

/**
 * Baseline scheduler: one setTimeout per arrival at a constant rate, lateness measured the same way
 * (the time the callback runs minus the arrival's intended time), warm-up excluded.
 */
export async function measureNaiveTimerLateness(options: {
  rate: number;
  durationS: number;
  warmupS: number;
}): Promise<NoopRun> {
  const histogram = new LatencyHistogram();
  const cpuStart = process.cpuUsage();
  const startMs = performance.now();
  const count = Math.floor(options.rate * options.durationS);
  let done = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < count; i++) {
      const intendedMs = ((i + 0.5) / options.rate) * 1000;
      setTimeout(
        () => {
          if (intendedMs >= options.warmupS * 1000)
            histogram.recordMs(performance.now() - startMs - intendedMs);
          if (++done === count) resolve();
        },
        intendedMs - (performance.now() - startMs),
      );
    }
  });
  const cpu = process.cpuUsage(cpuStart);
  const wallUs = (performance.now() - startMs) * 1000;
  const summary = histogram.summaryMs();
  histogram.destroy();
  return {
    rate: options.rate,
    achievedRatio: 1,
    throughputOpsPerS: options.rate,
    dropped: 0,
    latenessMsP50: summary.p50,
    latenessMsP99: summary.p99,
    latenessMsMax: summary.max,
    cpuPercentAvg: Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10,
  };
}

export interface LatenessComparison {
  rate: number;
  /** The default: the scheduler sleeps on the wake-up thread. */
  wakeThread: NoopRun;
  /** The same scheduler sleeping on Node's timers (`scheduler.wakeup: 'timers'`): the baseline. */
  timers: NoopRun;
  /** The same scheduler polling the event loop for the last millisecond (`spinMs: 1`). */
  spinning: NoopRun;
  /** One setTimeout per arrival, no scheduler (callbacks fired early count as 0 late). */
  naiveTimers: NoopRun;
}

/** Scheduler lateness at `rate` (default 10,000 ops/s): default scheduler, spinning, and the naive baseline. */
export async function measureLateness(
  options: { rate?: number; durationS?: number; warmupS?: number } = {},
): Promise<LatenessComparison> {
  const rate = options.rate ?? 10_000;
  const durationS = options.durationS ?? 5;
  const warmupS = options.warmupS ?? 1;
  return {
    rate,
    wakeThread: await runNoop({ rate, durationS, warmupS }),
    timers: await runNoop({ rate, durationS, warmupS, wakeup: 'timers' }),
    spinning: await runNoop({ rate, durationS, warmupS, spinMs: 1 }),
    naiveTimers: await measureNaiveTimerLateness({ rate, durationS, warmupS }),
  };
}

function line(label: string, run: NoopRun): string {
  return (
    `  ${label.padEnd(26)} lateness p50 ${run.latenessMsP50.toFixed(3)} ms  p99 ${run.latenessMsP99.toFixed(3)} ms  ` +
    `max ${run.latenessMsMax.toFixed(1)} ms  CPU ${run.cpuPercentAvg}%`
  );
}

async function main(quick: boolean): Promise<void> {
  console.log(`tiervec load harness benchmark (${quick ? 'quick' : 'full'}; node ${process.version})`);
  const cost = measureRecordCost({ samples: quick ? 1_000_000 : 5_000_000 });
  console.log('\nrecord cost per latency sample');
  console.log(`  HDR WebAssembly (LatencyHistogram)  ${cost.hdrWasmNsPerRecord} ns`);
  console.log(`  HDR JavaScript build                ${cost.hdrJsNsPerRecord} ns`);
  console.log(
    `  baseline: Float64Array store        ${cost.arrayStoreNsPerSample} ns  (WASM HDR = ${(cost.hdrWasmNsPerRecord / cost.arrayStoreNsPerSample).toFixed(1)}× a store, in fixed memory)`,
  );

  console.log('\nhighest open-model rate on the noop target with achieved/target ≥ 0.99');
  const highest = await findHighestOpenRate(
    quick ? { rates: [10_000, 50_000, 100_000, 200_000], durationS: 2 } : {},
  );
  for (const step of highest.steps) {
    console.log(
      `  ${String(step.rate).padStart(7)} ops/s: achieved ${step.throughputOpsPerS.toFixed(0)} ops/s ` +
        `(ratio ${step.achievedRatio}), dropped ${step.dropped}, lateness p99 ${step.latenessMsP99} ms, CPU ${step.cpuPercentAvg}% ${step.held ? '✓' : '✗'}`,
    );
  }
  console.log(`  highest rate held: ${highest.highestRate ?? 'none'} ops/s`);

  const lateness = await measureLateness(quick ? { durationS: 3 } : {});
  console.log(`\nscheduler lateness at ${lateness.rate} ops/s (actual − intended start, warm-up excluded)`);
  console.log(line('wake-up thread (default)', lateness.wakeThread));
  console.log(line('baseline: Node timers', lateness.timers));
  console.log(line('spinning (spinMs 1)', lateness.spinning));
  console.log(line('one setTimeout per arrival', lateness.naiveTimers));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.includes('--quick'));
}
