/**
 * What the tiervec target does to the store before the clock starts: preload every tenant's share of
 * the seeded dataset in batches, and, when the scenario asks (`compact_after_preload`), seal, compact
 * (which partitions a collection once enough rows are sealed) and publish each collection, so the
 * measured load meets the layout a long-lived store would have. Both are timed and reported apart
 * from the run; nothing here is judged by a criterion. It never runs operations of the load.
 */

import { performance } from 'node:perf_hooks';
import type { TiervecTargetConfig } from './tiervec-config.ts';
import { TENANT_VECTOR_BLOCK, type TenantRuntime } from './tiervec-operations.ts';
import { splitByWeight, type TiervecWorkload } from './tiervec-workload.ts';

export const PRELOAD_DEFAULTS = Object.freeze({
  /** Documents per insert call while preloading. */
  batchSize: 1_000,
  /** A tenant with a vector quota is preloaded to at most this share of it. */
  quotaShare: 0.9,
  /** A progress line at most this often. */
  progressEveryMs: 2_000,
});

/** What the report shows of the preload (`target.info.preload`). */
export interface PreloadInfo {
  vectors: number;
  dimension: number;
  durationS: number;
  vectorsPerS: number;
  /** Present when the scenario compacts after the preload. */
  compaction?: CompactionInfo;
}

/** The compaction after the preload, over every tenant's collection. */
export interface CompactionInfo {
  durationS: number;
  /** Partitions of all collections once compacted (0 when none holds enough sealed rows). */
  partitions: number;
  /** Sealed segments after it, and how many of them are assigned to no partition. */
  segments: number;
  unpartitionedSegments: number;
}

export interface PreloadInputs {
  config: Pick<TiervecTargetConfig, 'tenants' | 'data'>;
  tenants: readonly TenantRuntime[];
  workload: TiervecWorkload;
  signal: AbortSignal;
  onEvent?: ((message: string) => void) | undefined;
}

const seconds = (fromMs: number) => Math.round(performance.now() - fromMs) / 1000;

export async function preloadTenants(inputs: PreloadInputs): Promise<PreloadInfo> {
  const { config, tenants, workload, signal } = inputs;
  const specs = config.tenants;
  const shares = splitByWeight(
    config.data.vectors,
    tenants.map((tenant) => specs.find((s) => s.name === tenant.name)?.preloadWeight ?? 1),
  );
  const startMs = performance.now();
  let done = 0;
  let reportedMs = startMs;
  for (const [i, tenant] of tenants.entries()) {
    const quota = specs.find((s) => s.name === tenant.name)?.vectorsMax;
    const count = Math.min(
      shares[i] as number,
      quota === undefined ? Infinity : Math.floor(quota * PRELOAD_DEFAULTS.quotaShare),
    );
    for (let from = 0; from < count; from += PRELOAD_DEFAULTS.batchSize) {
      signal.throwIfAborted();
      const to = Math.min(count, from + PRELOAD_DEFAULTS.batchSize);
      const batch = [];
      for (let n = from; n < to; n++)
        batch.push(workload.document(tenant.name, 'p', n, tenant.index * TENANT_VECTOR_BLOCK + n));
      await tenant.collection.insert(batch);
      for (const doc of batch) tenant.pool.add(doc.id);
      tenant.preloaded = to;
      done += to - from;
      if (performance.now() - reportedMs >= PRELOAD_DEFAULTS.progressEveryMs) {
        reportedMs = performance.now();
        inputs.onEvent?.(`preload: ${done} of ${config.data.vectors} vectors`);
      }
    }
  }
  const durationS = seconds(startMs);
  return {
    vectors: done,
    dimension: config.data.dimension,
    durationS,
    vectorsPerS: durationS > 0 ? Math.round(done / durationS) : 0,
  };
}

/**
 * Seals, compacts and publishes every tenant's collection, one after another: compaction trains the
 * partitions of a collection with at least `PARTITION_DEFAULTS.partitionRowsMin` sealed rows and
 * writes them as segments of their own; the publish makes them cold-eligible, so the tier budgets
 * apply to them from the first operation on.
 */
export async function compactTenants(
  tenants: readonly TenantRuntime[],
  signal: AbortSignal,
  onEvent?: (message: string) => void,
): Promise<CompactionInfo> {
  const startMs = performance.now();
  const info: CompactionInfo = { durationS: 0, partitions: 0, segments: 0, unpartitionedSegments: 0 };
  for (const tenant of tenants) {
    signal.throwIfAborted();
    onEvent?.(`compact after preload: tenant ${tenant.name}`);
    await tenant.collection.compact();
    await tenant.collection.publish();
    const { partitions } = tenant.collection.stats();
    info.partitions += partitions.count;
    info.unpartitionedSegments += partitions.unpartitionedSegments;
    info.segments += tenant.collection.sealedSegments().length;
  }
  info.durationS = seconds(startMs);
  onEvent?.(
    `compact after preload: ${info.partitions} partitions, ${info.segments} sealed segments ` +
      `(${info.unpartitionedSegments} unpartitioned) in ${info.durationS} s`,
  );
  return info;
}
