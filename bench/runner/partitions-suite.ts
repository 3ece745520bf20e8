/**
 * The partitioned-search benchmark (`bench/storage/partitioned-search.ts`) as a suite of the runner:
 * a clustered collection partitioned by compaction behind a mock S3 at 60 ms per request, with the
 * targets of the partitioned-search issue as bounds (recall@10 ≥ 0.95 at the default nprobe, warm
 * p50 ≤ 10 ms and p99 ≤ 30 ms, cold p50 ≤ 300 ms and p99 ≤ 1 s, GETs per cold search ≤ 2 × nprobe +
 * 2, routing index ≤ 2 % of the raw vectors, everything hot ≥ 0.9× raw hnswlib-node's QPS at equal
 * recall).
 */

import { PARTITION_DEFAULTS } from '../../src/storage/partition/partition-defaults.ts';
import {
  PARTITION_BENCH_DEFAULTS,
  PARTITION_BENCH_QUICK,
  type PartitionBenchOptions,
  type PartitionBenchResult,
  runPartitionBench,
} from '../storage/partitioned-search.ts';
import { bounded, defineSuite, type Figure } from './bench-suite.ts';

const FIGURE_NAMES = [
  'recall@10-default-nprobe',
  'recall@10-away-from-clusters',
  'warm-search-p50-ms',
  'warm-search-p99-ms',
  'cold-search-p50-ms',
  'cold-search-p99-ms',
  'gets-per-cold-search',
  'routing-index-pct-of-vectors',
  'all-hot-qps-ratio-vs-hnswlib',
  'all-hot-qps-ratio-vs-hnswlib-ef-below',
] as const;

function figures(r: PartitionBenchResult): Figure[] {
  const ms = (name: (typeof FIGURE_NAMES)[number], value: number): Figure => ({
    name,
    value,
    unit: 'ms',
    higherIsBetter: false,
  });
  const getsMax = 2 * PARTITION_DEFAULTS.nprobe + 2;
  return [
    bounded(
      { name: 'recall@10-default-nprobe', value: r.recallNear, unit: 'recall@10', higherIsBetter: true },
      0.95,
      'recall@10 ≥ 0.95 at the default nprobe',
    ),
    {
      name: 'recall@10-away-from-clusters',
      value: r.recallAway,
      unit: 'recall@10',
      higherIsBetter: true,
      compare: false,
    },
    bounded(ms('warm-search-p50-ms', r.warmMs.p50), 10, 'warm-cache search p50 ≤ 10 ms'),
    bounded(ms('warm-search-p99-ms', r.warmMs.p99), 30, 'warm-cache search p99 ≤ 30 ms'),
    bounded(ms('cold-search-p50-ms', r.coldMs.p50), 300, 'cold search p50 ≤ 300 ms'),
    bounded(ms('cold-search-p99-ms', r.coldMs.p99), 1_000, 'cold search p99 ≤ 1 s'),
    bounded(
      { name: 'gets-per-cold-search', value: r.getsPerColdSearch, unit: 'GETs', higherIsBetter: false },
      getsMax,
      `GETs per cold search ≤ 2 × nprobe + 2 = ${getsMax}`,
    ),
    bounded(
      {
        name: 'routing-index-pct-of-vectors',
        value: (100 * r.routingBytes) / r.rawVectorBytes,
        unit: '%',
        higherIsBetter: false,
      },
      2,
      'routing index ≤ 2 % of the raw vector bytes',
    ),
    ...(r.allHot === undefined
      ? []
      : [
          bounded(
            {
              name: 'all-hot-qps-ratio-vs-hnswlib',
              value: r.allHot.ratio,
              unit: '× raw QPS',
              higherIsBetter: true,
            },
            0.9,
            'everything hot: QPS ≥ 0.9× raw hnswlib-node at equal recall',
          ),
          ...(r.allHot.belowRaw === undefined
            ? []
            : [
                {
                  name: 'all-hot-qps-ratio-vs-hnswlib-ef-below' as const,
                  value: r.allHot.belowRaw.ratio,
                  unit: '× raw QPS',
                  higherIsBetter: true,
                  compare: false,
                },
              ]),
        ]),
  ];
}

export const partitionsSuite = defineSuite<PartitionBenchOptions>({
  name: 'partitions',
  summary:
    'clustered data partitioned by compaction behind a mock S3 at 60 ms: recall at the default nprobe, warm and cold search p50/p99, GETs per cold search, routing index size',
  // The runner's quick size is half the file's own quick size, to keep `--quick` within minutes.
  sizes: {
    quick: {
      ...PARTITION_BENCH_QUICK,
      vectors: 20_000,
      segmentVectorsMax: 5_000,
      targetPartitionRows: 500,
      queries: 50,
    },
    full: { ...PARTITION_BENCH_DEFAULTS },
  },
  fullDurationNote:
    'about half an hour (1,000,000 × 128 vectors built, partitioned, published, searched warm and cold, and pinned beside a raw hnswlib index)',
  plan: (size) => ({
    items: [
      {
        kind: 'figures',
        name: 'partitions',
        figureNames: FIGURE_NAMES,
        repeats: 1,
        measure: async () => figures(await runPartitionBench(size, (line) => console.log(`    ${line}`))),
      },
    ],
  }),
});
