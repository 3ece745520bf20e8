/**
 * The replica-scaling benchmark (`bench/storage/replica-scaling.ts`) as a suite of the runner: search
 * throughput of two read-replica processes over s3rver against one, on the same data, with the
 * target of the scaling-out issue (two replicas ≥ 1.8× one, the median of alternating rounds'
 * ratios). Beside it, the hardware ceiling measured the same way with raw hnswlib-node processes,
 * and a second target: the replicas' ratio reaches 0.9 of the ceiling's (the median over rounds of
 * each round's fraction). CPU per process and searches per CPU-second are reported for context, so a
 * shortfall reads as CPU starvation (CPU well below 1 per process) or as per-CPU efficiency (CPU
 * near 1, fewer searches per CPU-second).
 */

import {
  REPLICA_SCALING_DEFAULTS,
  REPLICA_SCALING_QUICK,
  type ReplicaScalingOptions,
  type ReplicaScalingResult,
  runReplicaScaling,
} from '../storage/replica-scaling.ts';
import type { SearchProcessesRun } from '../storage/search-processes.ts';
import type { Figure } from './bench-suite.ts';
import { bounded, defineSuite } from './bench-suite.ts';

const CEILING_FRACTION_MIN = 0.9;

/** CPU per process and searches per CPU-second of one run, for context (not compared). */
function cpuFigures(prefix: string, run: SearchProcessesRun, baseline?: string): Figure[] {
  return [
    {
      name: `cpu-s-per-s-${prefix}`,
      value: run.cpuPerSPerProcess,
      unit: 'CPU-s/s per process',
      higherIsBetter: true,
      compare: false,
    },
    {
      name: `search-per-cpu-s-${prefix}`,
      value: run.searchesPerCpuS,
      unit: 'search/CPU-s',
      higherIsBetter: true,
      compare: false,
      ...(baseline === undefined ? {} : { baseline: `search-per-cpu-s-${baseline}` }),
    },
  ];
}

function figuresOf(result: ReplicaScalingResult): Figure[] {
  const { replicas, ceiling } = result;
  return [
    bounded(
      { name: 'replicas-2-vs-1', value: result.ratio, unit: '× one replica', higherIsBetter: true },
      1.8,
      'two replicas ≥ 1.8× one (median of the rounds)',
    ),
    bounded(
      {
        name: 'replicas-ratio-of-ceiling',
        value: result.ratioOfCeiling,
        unit: '× raw hnswlib ratio',
        higherIsBetter: true,
      },
      CEILING_FRACTION_MIN,
      `two replicas' ratio ≥ ${CEILING_FRACTION_MIN} of the hardware ceiling's (median of the rounds)`,
    ),
    {
      name: 'raw-hnsw-2-vs-1',
      value: ceiling.ratio,
      unit: '× one process',
      higherIsBetter: true,
      compare: false,
    },
    { name: 'search-per-s-1-replica', value: result.oneReplicaPerS, unit: 'search/s', higherIsBetter: true },
    {
      name: 'search-per-s-2-replicas',
      value: result.twoReplicasPerS,
      unit: 'search/s',
      higherIsBetter: true,
      baseline: 'search-per-s-1-replica',
    },
    ...cpuFigures('1-replica', replicas.one),
    ...cpuFigures('2-replicas', replicas.two, '1-replica'),
    {
      name: 'raw-hnsw-search-per-s-1-process',
      value: ceiling.one.searchesPerS,
      unit: 'search/s',
      higherIsBetter: true,
    },
    {
      name: 'raw-hnsw-search-per-s-2-processes',
      value: ceiling.two.searchesPerS,
      unit: 'search/s',
      higherIsBetter: true,
      baseline: 'raw-hnsw-search-per-s-1-process',
    },
    ...cpuFigures('raw-hnsw-1-process', ceiling.one),
    ...cpuFigures('raw-hnsw-2-processes', ceiling.two, 'raw-hnsw-1-process'),
  ];
}

export const replicasSuite = defineSuite<ReplicaScalingOptions>({
  name: 'replicas',
  summary:
    'search throughput of two read-replica processes over s3rver against one, beside raw hnswlib processes as the hardware ceiling',
  sizes: { quick: { ...REPLICA_SCALING_QUICK }, full: { ...REPLICA_SCALING_DEFAULTS } },
  fullDurationNote:
    'about 3 minutes (20,000 × 64 published, then 50 rounds of 8 windows of 300 ms: raw hnswlib × 1, 1 replica, raw hnswlib × 2, 2 replicas, and back)',
  plan: (size) => ({
    items: [
      {
        kind: 'figures',
        name: 'replicas',
        figureNames: [
          'replicas-2-vs-1',
          'replicas-ratio-of-ceiling',
          'raw-hnsw-2-vs-1',
          'search-per-s-1-replica',
          'search-per-s-2-replicas',
          'cpu-s-per-s-1-replica',
          'search-per-cpu-s-1-replica',
          'cpu-s-per-s-2-replicas',
          'search-per-cpu-s-2-replicas',
          'raw-hnsw-search-per-s-1-process',
          'raw-hnsw-search-per-s-2-processes',
          'cpu-s-per-s-raw-hnsw-1-process',
          'search-per-cpu-s-raw-hnsw-1-process',
          'cpu-s-per-s-raw-hnsw-2-processes',
          'search-per-cpu-s-raw-hnsw-2-processes',
        ],
        repeats: 1,
        measure: async () => {
          const result = await runReplicaScaling(size, (line) => console.log(`    ${line}`));
          console.log(
            `    replicas ${result.ratio.toFixed(2)}× (rounds ${result.replicas.roundRatios.map((r) => r.toFixed(2)).join(', ')}), ` +
              `raw hnswlib ${result.ceiling.ratio.toFixed(2)}× (rounds ${result.ceiling.roundRatios.map((r) => r.toFixed(2)).join(', ')}), ` +
              `replicas' ratio ÷ ceiling's ${result.ratioOfCeiling.toFixed(2)}`,
          );
          return figuresOf(result);
        },
      },
    ],
  }),
});
