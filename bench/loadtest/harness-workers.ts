/**
 * How the load harness scales over load workers: the rate the noop calibration target completes
 * when offered far more than one process can issue, with `--workers 2` against, as the baseline
 * measured in the same run, one worker. Rounds alternate (1, 2, 1, 2, …) so that a machine getting
 * busier or quieter during the run weighs on both sides alike; each side's figure is the median of
 * its rounds. Both sides run in child processes (one worker is one child), so process start-up and
 * the coordinator's merge are on both sides and outside the measured window.
 *
 * Run it directly to print the figures: node --import tsx bench/loadtest/harness-workers.ts [--quick]
 */

import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { runWorkers } from '../../src/loadtest/workers/worker-pool.ts';

export interface WorkerScaling {
  /** Completed ops/s of each round, in the order run. */
  rounds: Array<{ workers: number; opsPerS: number }>;
  oneWorkerOpsPerS: number;
  twoWorkersOpsPerS: number;
  /** twoWorkersOpsPerS / oneWorkerOpsPerS. */
  ratio: number;
}

/**
 * Offered in all: well above what two processes issue (about 2.8 million ops/s each on an idle core), so
 * both sides saturate. The open model issues every arrival, so a saturated run overruns its window
 * until the backlog is issued; its throughput still counts only completions inside the planned
 * window, which is the rate the harness sustained.
 */
const OFFERED_OPS_PER_S = 8_000_000;

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
        load: { profile: { kind: 'constant', rate: OFFERED_OPS_PER_S }, inFlightMax: 10_000 },
        mix: { noop: 1 },
        criteria: { preset: 'none' },
      },
      target: { kind: 'noop' },
    },
    { workers },
  );
  return report.summary.throughputOpsPerS;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** `roundsPerSide` alternating rounds of one and two workers, `durationS` each. */
export async function measureWorkerScaling(
  options: { roundsPerSide?: number; durationS?: number } = {},
): Promise<WorkerScaling> {
  const roundsPerSide = options.roundsPerSide ?? 3;
  const durationS = options.durationS ?? 3;
  const rounds: WorkerScaling['rounds'] = [];
  for (let round = 0; round < roundsPerSide; round++) {
    for (const workers of [1, 2])
      rounds.push({ workers, opsPerS: await saturatedNoopRate(workers, durationS) });
  }
  const side = (workers: number) => median(rounds.filter((r) => r.workers === workers).map((r) => r.opsPerS));
  const oneWorkerOpsPerS = side(1);
  const twoWorkersOpsPerS = side(2);
  return { rounds, oneWorkerOpsPerS, twoWorkersOpsPerS, ratio: twoWorkersOpsPerS / oneWorkerOpsPerS };
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
  const result = await measureWorkerScaling(quick ? { roundsPerSide: 2, durationS: 3 } : {});
  for (const round of result.rounds) {
    console.log(
      `  ${round.workers} worker${round.workers === 1 ? ' ' : 's'}: ${Math.round(round.opsPerS)} ops/s`,
    );
  }
  console.log(
    `median: 1 worker ${Math.round(result.oneWorkerOpsPerS)} ops/s, 2 workers ${Math.round(result.twoWorkersOpsPerS)} ops/s: ` +
      `${result.ratio.toFixed(2)}× (target ≥ 1.8×)`,
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
