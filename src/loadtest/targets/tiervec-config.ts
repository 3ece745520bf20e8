/**
 * The configuration of the tiervec target for one run: the dataset and queries, the store (durability,
 * segment size, HNSW, tier budgets, uploads, tenants), the cold tier and its faults, background work,
 * and the target's own criteria. The mode is already chosen and every time is in seconds from the start
 * of the run. The scenario loader builds it from a file; a library user may write one by hand. This
 * module holds shapes and constant lists only: it never reads a scenario file and never runs anything.
 */

import type { ReplicasConfig } from './tiervec-replicas.ts';

/** The operations the tiervec target provides; a mix may weight any of them. */
export const OPERATION_NAMES = Object.freeze([
  'search',
  'insert',
  'update',
  'delete',
  'metadata',
  'tier',
  'flush',
] as const);
export type OperationName = (typeof OPERATION_NAMES)[number];

export type ObjectStoreKind = 'mock' | 'local' | 's3rver' | 's3';
export const OBJECT_STORE_KINDS: readonly ObjectStoreKind[] = Object.freeze([
  'mock',
  'local',
  's3rver',
  's3',
]);

export type TierScope = 'segment' | 'collection';
export const TIER_SCOPES: readonly TierScope[] = Object.freeze(['segment', 'collection']);

export type Durability = 'fsync' | 'buffered' | 'object-store';

/** Checked by the tiervec target from the store's own state after the load (file spelling). */
export const TARGET_CRITERIA_KEYS = Object.freeze([
  /** Acknowledged writes that could not be read back after the load. */
  'acknowledged_writes_lost_max',
  /** Peak resident memory of the process, MiB (large datasets: memory stays inside the budgets). */
  'rss_mb_max',
  /** Tier transitions (promotions and demotions) during the run, at least. */
  'tier_transitions_min',
  /** Foreground p95 service time with background work over p95 before it, at most. */
  'background_p95_factor_max',
  /** Slowest quiet tenant's p95 service time over the fastest's, at most (fairness). */
  'tenant_p95_spread_max',
  /** Reads that returned another tenant's documents, at most (isolation: 0). */
  'tenant_isolation_violations_max',
  /** Quiet tenants' failed operations over their operations, at most. */
  'quiet_tenant_error_rate_max',
  /** Largest read-replica lag (ms) sampled during the load (`[target.replicas]`), at most. */
  'replica_lag_ms_max',
  /** Refreshes (new data loaded) during the load by the replica with the fewest, at least. */
  'replica_refreshes_min',
  /** Object-store GETs during the measured load over the searches completed in it, at most (mock S3 only). */
  'gets_per_search_max',
  /** Mean recall@k of the sampled searches against the same searches with `exact: true`, at least. */
  'recall_min',
  /**
   * Peak RSS during the load, less the hot budget and the bytes the mock S3 holds in this process,
   * MiB, at most: what the store and the harness use beyond the budget (see tiervec-checks.ts).
   */
  'rss_mb_over_budget_max',
] as const);
export type TargetCriterionKey = (typeof TARGET_CRITERIA_KEYS)[number];
export type TargetLimits = Partial<Record<TargetCriterionKey, number>>;

export interface DataConfig {
  /** Documents preloaded before the load, over all tenants. */
  vectors: number;
  dimension: number;
  distribution: 'uniform' | 'clustered';
  clusters: number;
  metric: 'cosine' | 'l2' | 'ip';
  /** Distinct values of the `category` metadata field (what search filters select on). */
  categories: number;
}

export interface SearchConfig {
  kMin: number;
  kMax: number;
  /** Share of searches that carry a metadata filter. */
  filterRatio: number;
  ef: number | undefined;
  /**
   * Share of searches whose answers are kept and compared after the load with the same search run
   * with `exact: true` (chosen with the run's seed); only when `recall_min` is a criterion.
   * @default RECALL_SAMPLING_DEFAULTS.ratio
   */
  recallSampleRatio?: number;
  /** At most this many searches are sampled. @default RECALL_SAMPLING_DEFAULTS.samplesMax */
  recallSamplesMax?: number;
}

/** Sampling defaults of the `recall_min` criterion (`[search] recall_sample_ratio`, `recall_samples_max`). */
export const RECALL_SAMPLING_DEFAULTS = Object.freeze({ ratio: 0.25, samplesMax: 60 });

export interface HnswConfig {
  m: number | undefined;
  efConstruction: number | undefined;
  efSearch: number | undefined;
}

export interface TieringConfig {
  hotBytesMax: number | undefined;
  warmBytesMax: number | undefined;
  hotIdleMs: number | undefined;
  warmIdleMs: number | undefined;
}

export interface MockS3Config {
  latencyMs: number;
  jitterMs: number;
  /** Requests per second per prefix before `SlowDown`; undefined: no limit. */
  requestsPerSMax: number | undefined;
}

export interface S3Config {
  endpoint: string | undefined;
  bucket: string | undefined;
  region: string;
  forcePathStyle: boolean;
}

/** The store's uploader (retries, circuit breaker, concurrency); absent fields keep the store's defaults. */
export interface UploadsConfig {
  concurrencyMax: number | undefined;
  attemptsMax: number | undefined;
  delayMsBase: number | undefined;
  delayMsMax: number | undefined;
  breakerFailuresMax: number | undefined;
  breakerCooldownMs: number | undefined;
}

export interface TenantConfig {
  name: string;
  vectorsMax: number | undefined;
  bytesMax: number | undefined;
  /** The share of the preload this tenant's collection receives (weights over all tenants). */
  preloadWeight: number;
  /** The noisy neighbour: left out of the quiet tenants' fairness and error criteria. */
  noisy: boolean;
}

/** A fault on the mock S3: a partition window in seconds from the start of the run, or flaky requests. */
export type FaultConfig =
  | { kind: 'partition'; startS: number; lengthS: number; code: string }
  | { kind: 'flaky'; rate: number; code: string; operations: string[] | undefined };

/** Background work during the load (the consolidation scenario), in seconds from the start of the run. */
export interface BackgroundConfig {
  /** When background work begins; before it is the reference window. */
  startS: number;
  /** How often a segment is sealed and compacted. */
  compactEveryS: number | undefined;
  /** How often the collection is moved down a tier and back. */
  tierCycleEveryS: number | undefined;
}

export interface TiervecTargetConfig {
  /** The run's name; the store's directory is named after it. */
  name: string;
  /** Read-replica processes that answer the searches (`[target.replicas]`); the writer stays here. */
  replicas?: ReplicasConfig | undefined;
  /** Seed of the dataset, the queries and the mock's faults. */
  seed: number;
  data: DataConfig;
  search: SearchConfig;
  objectStore: ObjectStoreKind;
  durability: Durability;
  segmentVectorsMax: number | undefined;
  hnsw: HnswConfig;
  tiering: TieringConfig | undefined;
  mockS3: MockS3Config;
  s3: S3Config;
  uploads: UploadsConfig;
  faults: FaultConfig[];
  tenants: TenantConfig[];
  background: BackgroundConfig | undefined;
  /** At teardown, read back every acknowledged write and count the ones missing. */
  verifyAcknowledgedWrites: boolean;
  /**
   * After the preload, seal, compact (partitioning collections with enough sealed rows) and publish
   * every collection before the clock starts; timed apart from the run. @default false
   */
  compactAfterPreload?: boolean;
  /** What one `tier` operation moves: one sealed segment (default) or the whole collection. */
  tierScope: TierScope;
  /** The tenant whose collection each load group's operations use; other groups use the first tenant. */
  groupTenants: Record<string, string>;
  /** The target's own criteria, with their limits. */
  limits: TargetLimits;
}
