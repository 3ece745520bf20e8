/**
 * The replica-scaling benchmark (`bench/storage/replica-scaling.ts`) as a suite of the runner: search
 * throughput of two read-replica processes over s3rver against one, on the same data, with the
 * target of the scaling-out issue (two replicas ≥ 1.8× one).
 */

import {
  REPLICA_SCALING_DEFAULTS,
  REPLICA_SCALING_QUICK,
  type ReplicaScalingOptions,
  runReplicaScaling,
} from '../storage/replica-scaling.ts';
import { defineSuite } from './bench-suite.ts';

export const replicasSuite = defineSuite<ReplicaScalingOptions>({
  name: 'replicas',
  summary: 'search throughput of two read-replica processes over s3rver against one, on the same data',
  sizes: { quick: { ...REPLICA_SCALING_QUICK }, full: { ...REPLICA_SCALING_DEFAULTS } },
  fullDurationNote: 'about a minute (20,000 × 64 published, then 10 s with one replica and 10 s with two)',
  plan: (size) => ({
    items: [
      {
        kind: 'figures',
        name: 'replicas',
        figureNames: ['search-per-s-1-replica', 'search-per-s-2-replicas'],
        repeats: 1,
        measure: async () => {
          const result = await runReplicaScaling(size, (line) => console.log(`    ${line}`));
          return [
            {
              name: 'search-per-s-1-replica',
              value: result.oneReplicaPerS,
              unit: 'search/s',
              higherIsBetter: true,
            },
            {
              name: 'search-per-s-2-replicas',
              value: result.twoReplicasPerS,
              unit: 'search/s',
              higherIsBetter: true,
              baseline: 'search-per-s-1-replica',
              targets: [{ description: 'two replicas ≥ 1.8× one', of: 'baseline', ratioMin: 1.8 }],
            },
          ];
        },
      },
    ],
  }),
});
