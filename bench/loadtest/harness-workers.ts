/**
 * How the load harness scales over load workers: the rate the noop calibration target completes
 * when each worker is offered more than one process can issue, with `--workers 2` against, as the
 * baseline measured in the same run, one worker. Every worker is offered the same rate on both sides
 * (two workers: twice the one worker's), because a saturated worker's rate depends on how far behind
 * its schedule it runs (offered 4 million ops/s, one worker completes ~2.9 million; offered 8
 * million, ~3.3 million: more arrivals are due per scheduler turn). Rounds go 1, 2, 2, 1 so that a
 * machine getting busier or quieter within a round weighs on both sides alike; the ratio is the
 * median of the rounds' ratios (alternating-rounds.ts). Both sides run in child processes (one
 * worker is one child), so process start-up and the coordinator's merge are on both sides and
 * outside the measured window.
 *
 * Run it directly to print the figures: node --import tsx bench/loadtest/harness-workers.ts [--quick]
 */

import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { runWorkers } from '../../src/loadtest/workers/worker-pool.ts';
import { abbaRatio, median } from '../storage/alternating-rounds.ts';

export interface WorkerScaling {
  /** Completed ops/s of each run, in the order run. */
  runs: Array<{ workers: number; opsPerS: number }>;
  /** Median of the one-worker runs. */
  oneWorkerOpsPerS: number;
  /** Median of the two-worker runs. */
  twoWorkersOpsPerS: number;
  /** Each round's ratio: its two-worker runs ÷ its one-worker runs. */
  roundRatios: number[];
  /** The median of `roundRatios`. */
  ratio: number;
}

/**
 * Offered to each worker: above what one process issues (about 3 million ops/s on an idle core
 * here), so every worker saturates; two workers are offered twice this (the profile's limit is 10
 * million). The open model issues every arrival, so a saturated run overruns its window until the
 * backlog is issued; its throughput still counts only completions inside the planned window, which
 * is the rate the harness sustained.
 */
const OFFERED_OPS_PER_S_PER_WORKER = 5_000_000;

/** One saturated noop run over `workers` processes; the merged completions per second of the measured window. */
export async function saturatedNoopRate(workers: number, durationS: number): Promise<number> {
  const report = await runWorkers(
    {
      kind: 'config',
      config: {
        name: `noop-workers-${workers}`,
        seed: 1,
        durationS,
        warmupS: 1,
        gracePeriodS: 1,
        load: {
          profile: { kind: 'constant', rate: OFFERED_OPS_PER_S_PER_WORKER * workers },
          inFlightMax: 10_000 * workers,
        },
        mix: { noop: 1 },
        criteria: { preset: 'none' },
      },
      target: { kind: 'noop' },
    },
    { workers },
  );
  return report.summary.throughputOpsPerS;
}

/** `rounds` rounds of one, two, two and one workers, `durationS` each. */
export async function measureWorkerScaling(
  options: { rounds?: number; durationS?: number } = {},
): Promise<WorkerScaling> {
  const rounds = options.rounds ?? 4;
  const durationS = options.durationS ?? 3;
  const runs: WorkerScaling['runs'] = [];
  const roundRatios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const rates: number[] = [];
    for (const workers of [1, 2, 2, 1]) {
      const opsPerS = await saturatedNoopRate(workers, durationS);
      runs.push({ workers, opsPerS });
      rates.push(opsPerS);
    }
    const [a0, b0, b1, a1] = rates as [number, number, number, number];
    roundRatios.push(abbaRatio({ a: [a0, a1], b: [b0, b1] }));
  }
  const side = (workers: number) => median(runs.filter((r) => r.workers === workers).map((r) => r.opsPerS));
  return {
    runs,
    oneWorkerOpsPerS: side(1),
    twoWorkersOpsPerS: side(2),
    roundRatios,
    ratio: median(roundRatios),
  };
}

async function main(quick: boolean): Promise<void> {
  console.log(
    `load workers on the noop target (${quick ? 'quick' : 'full'}; node ${process.version}, ${os.availableParallelism()} cores)`,
  );
  console.log(
    `load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const result = await measureWorkerScaling(quick ? { rounds: 2, durationS: 3 } : {});
  for (const run of result.runs) {
    console.log(`  ${run.workers} worker${run.workers === 1 ? ' ' : 's'}: ${Math.round(run.opsPerS)} ops/s`);
  }
  console.log(
    `medians: 1 worker ${Math.round(result.oneWorkerOpsPerS)} ops/s, 2 workers ${Math.round(result.twoWorkersOpsPerS)} ops/s; ` +
      `rounds ${result.roundRatios.map((r) => r.toFixed(2)).join(', ')}: ${result.ratio.toFixed(2)}× (target ≥ 1.8×)`,
  );
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.includes('--quick'));
}
