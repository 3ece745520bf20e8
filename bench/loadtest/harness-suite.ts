/**
 * The load harness as a benchmark suite for `npm run bench` (register `loadHarnessSuite` in
 * bench/runner/registry.ts). Three figure groups, each with its baseline measured in the same run:
 *
 * - `record-cost`: ns per latency recorded in the WebAssembly HDR histogram, against a Float64Array
 *   store (the cost of keeping raw samples) and the JavaScript HDR build;
 * - `highest-rate`: the highest open-model rate held on the noop target with achieved/target ≥ 0.99,
 *   against the issue's goal of 100,000 ops/s (bound);
 * - `lateness`: scheduler lateness p50/p99 at 10,000 ops/s, against the same scheduler on Node's
 *   timers (and, for context, spinning and one setTimeout per arrival);
 * - `noop-workers`: the saturated noop rate over two load workers, against one worker, each worker
 *   offered the same rate, in alternating rounds of the same run (see harness-workers.ts); the
 *   target is ≥ 1.8× on two cores (the median of the rounds' ratios).
 */

import type { BenchMode, Figure, FigureGroup } from '../runner/bench-suite.ts';
import { bounded, defineSuite } from '../runner/bench-suite.ts';
import { findHighestOpenRate, measureLateness, measureRecordCost, RATE_STEPS } from './harness.ts';
import { measureWorkerScaling } from './harness-workers.ts';

export interface HarnessBenchSize {
  readonly recordSamples: number;
  readonly rates: readonly number[];
  readonly rateStepS: number;
  readonly latenessRunS: number;
  /** Rounds of one, two, two and one workers. */
  readonly workerRounds: number;
  readonly workerRunS: number;
}

const SIZES: Record<BenchMode, HarnessBenchSize> = {
  quick: {
    recordSamples: 1_000_000,
    rates: [10_000, 50_000, 100_000, 200_000],
    rateStepS: 2,
    latenessRunS: 3,
    workerRounds: 1,
    workerRunS: 3,
  },
  full: {
    recordSamples: 5_000_000,
    rates: RATE_STEPS,
    rateStepS: 3,
    latenessRunS: 6,
    workerRounds: 4,
    workerRunS: 3,
  },
};

const RATE_GOAL_OPS_PER_S = 100_000;

function recordCostGroup(size: HarnessBenchSize): FigureGroup {
  return {
    kind: 'figures',
    name: 'record-cost',
    figureNames: ['hdr-wasm-record-ns', 'hdr-js-record-ns', 'array-store-ns'],
    measure: async () => {
      const cost = measureRecordCost({ samples: size.recordSamples });
      const ns = (name: string, value: number, extra: Partial<Figure> = {}): Figure => ({
        name,
        value,
        unit: 'ns',
        higherIsBetter: false,
        ...extra,
      });
      return [
        ns('array-store-ns', cost.arrayStoreNsPerSample, { compare: false }),
        ns('hdr-js-record-ns', cost.hdrJsNsPerRecord, { baseline: 'array-store-ns' }),
        ns('hdr-wasm-record-ns', cost.hdrWasmNsPerRecord, { baseline: 'array-store-ns' }),
      ];
    },
  };
}

function highestRateGroup(size: HarnessBenchSize): FigureGroup {
  return {
    kind: 'figures',
    name: 'highest-rate',
    figureNames: ['noop-open-rate-held'],
    measure: async () => {
      const result = await findHighestOpenRate({ rates: size.rates, durationS: size.rateStepS });
      return [
        {
          name: 'noop-open-rate-held',
          value: result.highestRate ?? 0,
          unit: 'ops/s',
          higherIsBetter: true,
          bound: { value: RATE_GOAL_OPS_PER_S, description: 'the goal: 100,000 ops/s on one core' },
          targets: [
            {
              description: 'holds at least 100,000 ops/s with achieved/target ≥ 0.99',
              of: 'bound',
              ratioMin: 1,
            },
          ],
        },
      ];
    },
  };
}

function latenessGroup(size: HarnessBenchSize): FigureGroup {
  return {
    kind: 'figures',
    name: 'lateness',
    figureNames: [
      'lateness-p50-ms',
      'lateness-p99-ms',
      'timers-p99-ms',
      'naive-timers-p99-ms',
      'spinning-p99-ms',
    ],
    measure: async () => {
      const result = await measureLateness({ rate: 10_000, durationS: size.latenessRunS });
      const ms = (name: string, value: number, extra: Partial<Figure> = {}): Figure => ({
        name,
        value,
        unit: 'ms',
        higherIsBetter: false,
        ...extra,
      });
      return [
        ms('timers-p99-ms', result.timers.latenessMsP99, { compare: false }),
        ms('naive-timers-p99-ms', result.naiveTimers.latenessMsP99, { compare: false }),
        ms('spinning-p99-ms', result.spinning.latenessMsP99, { compare: false }),
        ms('lateness-p50-ms', result.wakeThread.latenessMsP50),
        ms('lateness-p99-ms', result.wakeThread.latenessMsP99, { baseline: 'timers-p99-ms' }),
      ];
    },
  };
}

const WORKER_SCALING_RATIO_MIN = 1.8;

function workersGroup(size: HarnessBenchSize): FigureGroup {
  return {
    kind: 'figures',
    name: 'noop-workers',
    figureNames: ['noop-workers-2-vs-1', 'noop-1-worker-rate', 'noop-2-workers-rate'],
    // The rounds alternate inside one measure; repeating it would only lengthen the run.
    repeats: 1,
    measure: async () => {
      const result = await measureWorkerScaling({ rounds: size.workerRounds, durationS: size.workerRunS });
      const description = `two load workers complete ≥ ${WORKER_SCALING_RATIO_MIN}× one worker's saturated noop rate (median of the rounds)`;
      const rate = (name: string, value: number, extra: Partial<Figure> = {}): Figure => ({
        name,
        value,
        unit: 'ops/s',
        higherIsBetter: true,
        compare: false,
        ...extra,
      });
      console.log(`    rounds ${result.roundRatios.map((r) => r.toFixed(2)).join(', ')}`);
      return [
        bounded(
          { name: 'noop-workers-2-vs-1', value: result.ratio, unit: '× one worker', higherIsBetter: true },
          WORKER_SCALING_RATIO_MIN,
          description,
        ),
        rate('noop-1-worker-rate', result.oneWorkerOpsPerS),
        rate('noop-2-workers-rate', result.twoWorkersOpsPerS, { baseline: 'noop-1-worker-rate' }),
      ];
    },
  };
}

export const loadHarnessSuite = defineSuite<HarnessBenchSize>({
  name: 'load-harness',
  summary:
    'HDR record cost vs a raw array, highest open-model rate on noop, scheduler lateness at 10k ops/s, two load workers vs one',
  sizes: SIZES,
  fullDurationNote: 'about four minutes',
  plan: (size) => ({
    items: [recordCostGroup(size), highestRateGroup(size), latenessGroup(size), workersGroup(size)],
  }),
});
