/**
 * The shape of a scenario file once read and checked, before a mode (short or full) is chosen.
 *
 * Times that mark a position in the run (a spike's start and length, a burst's period, a partition)
 * are given relative to the run, so one file serves both the short and the full duration: load
 * profiles are already the engine's own `ProfileSpec` (`…Fraction` of the run), faults, background
 * work and criteria windows are percentages until a mode is chosen. Dataset sizes come in pairs
 * (`vectors` for full runs, `short_vectors` for short ones) because a short run must also fit its
 * preload in its budget. Pieces that are the same in the file and in a run (HNSW, tiering, uploads,
 * tenants, the mock S3) are the tiervec target's own configuration types.
 */

import type { ArrivalProcess } from '../arrivals.ts';
import type { LoadModel, SaturationPolicy } from '../config.ts';
import type { CriteriaPresetName } from '../criteria.ts';
import type { ProfileSpec } from '../profile-spec.ts';
import type {
  DataConfig,
  Durability,
  HnswConfig,
  MockS3Config,
  ObjectStoreKind,
  OperationName,
  S3Config,
  SearchConfig,
  TenantConfig,
  TieringConfig,
  TierScope,
  UploadsConfig,
} from '../targets/tiervec-config.ts';
import type { ReplicasConfig } from '../targets/tiervec-replicas.ts';

export type ScenarioMode = 'short' | 'full';
export const SCENARIO_MODES: readonly ScenarioMode[] = Object.freeze(['short', 'full']);

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
  /** `abort_on_fail`: criteria of this window whose failure stops the run. */
  abortOnFail?: string[];
}

/** Criteria keys as written in the file (snake_case), with their limits. */
export interface CriteriaSpec {
  preset: CriteriaPresetName | undefined;
  /** Whole-run thresholds, the engine's and the target's (`latency_ms_p95_max = 25`, …). */
  limits: Record<string, number>;
  /** `achieved_ratio_window_s`, `memory_growth_span_s_min`, `recovery_delay_pct`. */
  settings: Record<string, number>;
  /** Per-operation thresholds (`[criteria.search] latency_ms_p99_max = 50`). */
  operations: Partial<Record<OperationName, Record<string, number>>>;
  windows: CriteriaWindowSpec[];
  /** `abort_on_fail`: whole-run criteria whose failure stops the run. */
  abortOnFail?: string[];
  /** `abort_on_fail` of per-operation tables (`[criteria.search] abort_on_fail = [...]`). */
  operationsAbortOnFail?: Partial<Record<OperationName, string[]>>;
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
  /**
   * The arrival-rate profile, in the engine's own vocabulary (positions in the run as `…Fraction`);
   * open groups have one, closed groups none.
   */
  profile: ProfileSpec | undefined;
  mix: MixSpec;
  /** The tenant whose collection this group's operations use (multi-tenant scenarios). */
  tenant: string | undefined;
}

/** `[data]`: the dataset, with a smaller size for short runs. */
export interface DataSpec extends DataConfig {
  shortVectors: number;
}

export type FaultSpec =
  | { kind: 'partition'; startPct: number; lengthPct: number; code: string }
  | { kind: 'random_partitions'; count: number; lengthPct: number; code: string }
  | { kind: 'flaky'; rate: number; code: string; operations: string[] | undefined };

/** Background work the target runs during the load (the consolidation scenario). */
export interface BackgroundSpec {
  /** When background work begins, in percent of the run; before it is the reference window. */
  startPct: number;
  /** How often a segment is sealed and compacted, in percent of the run. */
  compactEveryPct: number | undefined;
  /** How often the collection is moved down a tier and back, in percent of the run. */
  tierCycleEveryPct: number | undefined;
}

/** `[target]`: the store and its cold tier, with short-run variants and faults placed in percent. */
export interface TargetSpec {
  objectStore: ObjectStoreKind;
  durability: Durability;
  segmentVectorsMax: number | undefined;
  shortSegmentVectorsMax: number | undefined;
  hnsw: HnswConfig;
  tiering: TieringConfig | undefined;
  shortTiering: TieringConfig | undefined;
  mockS3: MockS3Config;
  s3: S3Config;
  uploads: UploadsConfig;
  faults: FaultSpec[];
  tenants: TenantConfig[];
  background: BackgroundSpec | undefined;
  /** At teardown, read back every acknowledged write and count the ones missing. */
  verifyAcknowledgedWrites: boolean;
  /** `compact_after_preload`: seal, compact and publish after the preload, before the clock starts. */
  compactAfterPreload: boolean;
  /** What one `tier` operation moves: one sealed segment (default) or the whole collection. */
  tierScope: TierScope;
  /** `[target.replicas]`: read-replica processes that answer the searches. */
  replicas: ReplicasConfig | undefined;
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
  search: SearchConfig;
  target: TargetSpec;
  criteria: CriteriaSpec;
}
