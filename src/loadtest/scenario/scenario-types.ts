/**
 * The shape of a scenario file once read and checked, before a mode (short or full) is chosen.
 *
 * Times that mark a position in the run (a spike's start and length, a burst's period, a partition)
 * are percentages of the run, so one file serves both the short and the full duration. Dataset
 * sizes come in pairs (`vectors` for full runs, `short_vectors` for short ones) because a short run
 * must also fit its preload in its budget. Field names follow the file's keys in camelCase.
 */

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

export type ScenarioMode = 'short' | 'full';
export const SCENARIO_MODES: readonly ScenarioMode[] = Object.freeze(['short', 'full']);

export const PROFILE_KINDS = Object.freeze([
  'constant',
  'ramp',
  'stages',
  'spike',
  'periodic',
  'periodic_burst',
  'bursty',
  'random',
] as const);
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** One k6-style stage: move linearly to `rate` over `lengthPct` of the run. */
export interface StageSpec {
  lengthPct: number;
  rate: number;
}

export type ProfileSpec =
  | { kind: 'constant'; rate: number }
  | { kind: 'ramp'; fromRate: number; toRate: number; lengthPct: number }
  | { kind: 'stages'; startRate: number; stages: StageSpec[] }
  | { kind: 'spike'; rate: number; spikeRate: number; startPct: number; lengthPct: number }
  | { kind: 'periodic'; rate: number; amplitude: number; periodPct: number }
  | { kind: 'periodic_burst'; rate: number; burstRate: number; burstLengthPct: number; periodPct: number }
  | { kind: 'bursty'; rate: number; burstFactor: number; burstProbability: number; intervalPct: number }
  | { kind: 'random'; minRate: number; maxRate: number; changeEveryPct: number };

export type LoadModel = 'open' | 'closed';
export type ArrivalProcess = 'uniform' | 'poisson';
export type SaturationPolicy = 'queue' | 'drop';

/** Operation weights; absent operations weigh 0. */
export type MixSpec = Partial<Record<OperationName, number>>;

/** A time window with its own latency limits (`[[criteria.window]]`). */
export interface CriteriaWindowSpec {
  name: string | undefined;
  /** `spike`: the spike of the scenario's spike profile. Otherwise `startPct`/`endPct`. */
  during: 'spike' | undefined;
  startPct: number | undefined;
  endPct: number | undefined;
  operation: OperationName | undefined;
  limits: Record<string, number>;
}

/** Criteria keys as written in the file (snake_case), with their limits. */
export interface CriteriaSpec {
  preset: 'production' | 'development' | 'none' | undefined;
  /** Whole-run thresholds, the engine's and the target's (`latency_ms_p95_max = 25`, …). */
  limits: Record<string, number>;
  /** `achieved_ratio_window_s`, `memory_growth_span_s_min`, `recovery_delay_pct`. */
  settings: Record<string, number>;
  /** Per-operation thresholds (`[criteria.search] latency_ms_p99_max = 50`). */
  operations: Partial<Record<OperationName, Record<string, number>>>;
  windows: CriteriaWindowSpec[];
  /** `abort_on_fail`: whole-run criteria whose failure stops the run. */
  abortOnFail?: string[];
}

/** One load group: its own model, profile and mix, like a k6 scenario or a Locust user class. */
export interface LoadGroupSpec {
  name: string;
  model: LoadModel;
  arrival: ArrivalProcess;
  /** Open model: operations in flight at most. Closed model: the number of clients. */
  inFlightMax: number;
  onSaturation: SaturationPolicy;
  /** Open model: arrivals waiting for a slot at most (beyond it they are dropped). */
  queueMax: number | undefined;
  /** Closed model: pause between one client's operations. */
  thinkTimeMs: number;
  /** The arrival-rate profile; required for open groups, optional for closed ones (a rate cap). */
  profile: ProfileSpec | undefined;
  mix: MixSpec;
  /** The tenant whose collection this group's operations use (multi-tenant scenarios). */
  tenant: string | undefined;
}

export interface DataSpec {
  vectors: number;
  shortVectors: number;
  dimension: number;
  distribution: 'uniform' | 'clustered';
  clusters: number;
  metric: 'cosine' | 'l2' | 'ip';
  /** Distinct values of the `category` metadata field (what search filters select on). */
  categories: number;
}

export interface SearchSpec {
  kMin: number;
  kMax: number;
  /** Share of searches that carry a metadata filter. */
  filterRatio: number;
  ef: number | undefined;
}

export interface HnswSpec {
  m: number | undefined;
  efConstruction: number | undefined;
  efSearch: number | undefined;
}

export interface TieringSpec {
  hotBytesMax: number | undefined;
  warmBytesMax: number | undefined;
  hotIdleMs: number | undefined;
  warmIdleMs: number | undefined;
}

export type FaultSpec =
  | { kind: 'partition'; startPct: number; lengthPct: number; code: string }
  | { kind: 'random_partitions'; count: number; lengthPct: number; code: string }
  | { kind: 'flaky'; rate: number; code: string; operations: string[] | undefined };

export interface MockS3Spec {
  latencyMs: number;
  jitterMs: number;
  /** Requests per second per prefix before `SlowDown`; undefined: no limit. */
  requestsPerSMax: number | undefined;
}

export interface S3Spec {
  endpoint: string | undefined;
  bucket: string | undefined;
  region: string;
  forcePathStyle: boolean;
}

export interface TenantSpec {
  name: string;
  vectorsMax: number | undefined;
  bytesMax: number | undefined;
  /** The share of the preload this tenant's collection receives (weights over all tenants). */
  preloadWeight: number;
  /** The noisy neighbour: left out of the quiet tenants' fairness and error criteria. */
  noisy: boolean;
}

/** Background work the target runs during the load (the consolidation scenario). */
export interface BackgroundSpec {
  /** When background work begins, in percent of the run; before it is the reference window. */
  startPct: number;
  /** How often a segment is sealed and compacted, in percent of the run. */
  compactEveryPct: number | undefined;
  /** How often the collection is moved down a tier and back, in percent of the run. */
  tierCycleEveryPct: number | undefined;
}

/** The store's uploader (retries, circuit breaker, concurrency); absent fields keep the store's defaults. */
export interface UploadsSpec {
  concurrencyMax: number | undefined;
  attemptsMax: number | undefined;
  delayMsBase: number | undefined;
  delayMsMax: number | undefined;
  breakerFailuresMax: number | undefined;
  breakerCooldownMs: number | undefined;
}

export type ObjectStoreKind = 'mock' | 'local' | 's3rver' | 's3';
export const OBJECT_STORE_KINDS: readonly ObjectStoreKind[] = Object.freeze([
  'mock',
  'local',
  's3rver',
  's3',
]);

export type TierScope = 'segment' | 'collection';
export const TIER_SCOPES: readonly TierScope[] = Object.freeze(['segment', 'collection']);

export interface TargetSpec {
  objectStore: ObjectStoreKind;
  durability: 'fsync' | 'buffered' | 'object-store';
  segmentVectorsMax: number | undefined;
  shortSegmentVectorsMax: number | undefined;
  hnsw: HnswSpec;
  tiering: TieringSpec | undefined;
  shortTiering: TieringSpec | undefined;
  mockS3: MockS3Spec;
  s3: S3Spec;
  uploads: UploadsSpec;
  faults: FaultSpec[];
  tenants: TenantSpec[];
  background: BackgroundSpec | undefined;
  /** At teardown, read back every acknowledged write and count the ones missing. */
  verifyAcknowledgedWrites: boolean;
  /** What one `tier` operation moves: one sealed segment (default) or the whole collection. */
  tierScope: TierScope;
}

export interface DurationSpec {
  shortS: number;
  fullS: number;
  warmupS: number;
  /** Time in-flight operations get to finish after the end. */
  graceS: number | undefined;
}

/** A scenario file, read and checked. */
export interface ScenarioSpec {
  /** The path it was read from (as given), for messages. */
  file: string;
  name: string;
  description: string;
  seed: number;
  duration: DurationSpec;
  groups: LoadGroupSpec[];
  data: DataSpec;
  search: SearchSpec;
  target: TargetSpec;
  criteria: CriteriaSpec;
}
