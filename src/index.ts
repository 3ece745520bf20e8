// Public exports of tiervec. No logic here: each line re-exports from the module that owns it.
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.ts';
export {
  generateVectors,
  VECTOR_GENERATOR_DEFAULTS,
  type VectorDistribution,
  VectorGenerator,
  type VectorGeneratorOptions,
} from './datasets/vector-generator.ts';
export { ErrorCode, isTierVecError, TierVecError, type TierVecErrorOptions } from './errors.ts';
export { ARRIVAL_PROCESSES, type ArrivalProcess } from './loadtest/arrivals.ts';
export {
  LOADTEST_DEFAULTS,
  type LoadConfig,
  type LoadGroupConfig,
  type LoadModel,
  type LoadTestConfig,
  type SaturationPolicy,
  type SchedulerTuning,
  type WakeupKind,
} from './loadtest/config.ts';
export {
  CRITERIA_DEFAULTS,
  CRITERIA_PRESETS,
  type CriteriaConfig,
  type CriteriaPresetName,
  type LatencyLimits,
  type RunLimits,
  type WindowCriteriaConfig,
} from './loadtest/criteria.ts';
export {
  ABORTABLE_CRITERIA,
  type AbortableCriterion,
  FAIL_FAST_DEFAULTS,
  type StopCause,
} from './loadtest/fail-fast-config.ts';
export { HISTOGRAM_VALUE_US_MAX, LatencyHistogram } from './loadtest/histogram.ts';
export type {
  LoadOperation,
  LoadTarget,
  OperationContext,
  SetupContext,
  TargetCheck,
} from './loadtest/load-target.ts';
export {
  PROFILE_KINDS,
  type Profile,
  type ProfileKind,
  type ProfileSpec,
  profileBaseRate,
  scaleProfile,
} from './loadtest/profile-spec.ts';
export { createProfile } from './loadtest/profiles.ts';
export {
  COMPARE_DEFAULTS,
  type CompareOptions,
  type Comparison,
  type ComparisonRow,
  compareReports,
  type RowLatency,
  type RowVerdict,
} from './loadtest/report/compare.ts';
export { formatComparison } from './loadtest/report/compare-format.ts';
export {
  createConsoleProgress,
  formatConsoleSummary,
  formatProgressLine,
} from './loadtest/report/console.ts';
export { formatCriterionLines } from './loadtest/report/criteria-lines.ts';
export { renderHtml } from './loadtest/report/html.ts';
export {
  parseReport,
  type ReportFiles,
  readReportFile,
  serializeReport,
  writeReportFiles,
} from './loadtest/report/json.ts';
export { renderMarkdown } from './loadtest/report/markdown.ts';
export { type MergeOptions, mergeReports } from './loadtest/report/merge.ts';
export {
  type CriterionResult,
  type LatencySummaryMs,
  type LoadTestReport,
  type OperationReport,
  REPORT_SCHEMA_VERSION,
  type SummaryReport,
  type TimelineEntry,
} from './loadtest/report/schema.ts';
export { type LoadTestProgress, type RunLoadTestOptions, runLoadTest } from './loadtest/run.ts';
export {
  type LoadScenarioOptions,
  listScenarios,
  loadScenario,
  readScenarioFile,
  type ScenarioListing,
  SHIPPED_SCENARIOS_DIR,
} from './loadtest/scenario/load-scenario.ts';
export {
  resolveScenario,
  type ScenarioOverrides,
  type ScenarioRun,
} from './loadtest/scenario/resolve-scenario.ts';
export { type RunScenarioOptions, runScenario } from './loadtest/scenario/run-scenario.ts';
export type { ScenarioMode, ScenarioSpec } from './loadtest/scenario/scenario-types.ts';
export type { ScenarioLoadTestConfig } from './loadtest/scenario/to-load-test-config.ts';
export { createNoopTarget, NOOP_TARGET_NAME, type NoopTargetOptions } from './loadtest/targets/noop.ts';
export type { TiervecTargetConfig } from './loadtest/targets/tiervec-config.ts';
export {
  createTiervecTarget,
  TIERVEC_TARGET_DEFAULTS,
  TiervecTarget,
  type TiervecTargetOptions,
} from './loadtest/targets/tiervec-target.ts';
export { LocalObjectStore, type LocalObjectStoreOptions } from './object-store/local.ts';
export {
  compareKeys,
  KEY_BYTES_MAX,
  validateKey,
  validatePrefix,
} from './object-store/object-key.ts';
export type {
  ObjectHead,
  ObjectStore,
  ObjectStoreOperation,
  PutOptions,
  RequestOptions,
} from './object-store/object-store.ts';
export {
  isObjectStoreError,
  ObjectStoreError,
  S3_ERRORS,
  type S3ErrorCode,
} from './object-store/object-store-error.ts';
export { PrefixedObjectStore } from './object-store/prefixed.ts';
export {
  S3_OBJECT_STORE_DEFAULTS,
  S3ObjectStore,
  type S3ObjectStoreOptions,
} from './object-store/s3.ts';
export {
  MOCK_S3_DEFAULTS,
  type MockS3Call,
  type MockS3Latency,
  MockS3ObjectStore,
  type MockS3OperationStats,
  type MockS3Options,
  type MockS3Outcome,
  type MockS3Stats,
} from './object-store/testing/mock-s3.ts';
export type {
  MockAlwaysFailure,
  MockFailureRule,
  MockFailureScope,
  MockFlakyFailure,
  MockPatternFailure,
} from './object-store/testing/mock-s3-faults.ts';
export type { PrefixRateLimits } from './object-store/testing/prefix-rate-limiter.ts';
export {
  S3RVER_CREDENTIALS,
  S3RVER_DEFAULTS,
  type S3rverProcess,
  type S3rverProcessOptions,
  startS3rver,
} from './object-store/testing/s3rver-process.ts';
export { Rng, randomSeed } from './random.ts';
export type { CollectionInfo } from './storage/catalog.ts';
export { Collection, type SetTierOptions, type WarmResult } from './storage/collection.ts';
export {
  COLLECTION_DEFAULTS,
  type CollectionQuota,
  type CollectionSpec,
  type CollectionSpecInput,
  type HnswParams,
} from './storage/collection-spec.ts';
export type { CollectionStats, PartitionStats, SegmentStats, TierStats } from './storage/collection-stats.ts';
export {
  COMPACTION_DEFAULTS,
  type CompactionOptions,
  type CompactionResult,
  type PartitioningStats,
} from './storage/compaction-plan.ts';
export type { FieldCondition, FieldOperators, FilterScalar, MetadataFilter } from './storage/filter.ts';
export type { LeaseOption } from './storage/lease/store-lease.ts';
export { LEASE_DEFAULTS, type LeaseStats } from './storage/lease/writer-lease.ts';
export { LIMITS } from './storage/limits.ts';
export type { Metric } from './storage/metric.ts';
export { PARTITION_DEFAULTS } from './storage/partition/partition-defaults.ts';
export type { RebalanceStats } from './storage/partition/partition-rebalance.ts';
export type { PartitionInfo, RoutingIndexJson } from './storage/partition/routing-index.ts';
export { WARM_LIMITS, type WarmOptions } from './storage/partition/warm-target.ts';
export type { TenantQuota } from './storage/quota.ts';
export type { PublishOutcome, RemoteStats } from './storage/remote/collection-remote.ts';
export type { RemoteWalStats } from './storage/remote/remote-wal.ts';
export { ReplicaCollection } from './storage/replica/replica-collection.ts';
export { REPLICA_DEFAULTS, type ReplicaStoreOptions } from './storage/replica/replica-options.ts';
export { type RefreshOutcome, type ReplicaStats, ReplicaStore } from './storage/replica/replica-store.ts';
export { SEAL_DEFAULTS } from './storage/seal-pipeline.ts';
export {
  SEARCH_DEFAULTS,
  type SearchHit,
  type SearchOptions,
  type StoredDocument,
} from './storage/search-path.ts';
export { openStore, Store, type StoreStats } from './storage/store.ts';
export { registerStoreMetrics, type StoreMetricsSnapshot } from './storage/store-metrics.ts';
export {
  type Durability,
  STORE_DEFAULTS,
  type StoreOptions,
  type TieringOptions,
} from './storage/store-options.ts';
export type { StoreUrlS3Options } from './storage/store-url.ts';
export type { StoreWarning, StoreWarningCode } from './storage/store-warning.ts';
export { Tenant, type TenantOption } from './storage/tenant.ts';
export type { TieringStats } from './storage/tiering/collection-tiering.ts';
export type { StoreUploadsOptions, UploadsStats } from './storage/tiering/object-tier.ts';
export type {
  TierEvent,
  TierEventListener,
  TierReason,
  TransitionKind,
  TransitionStats,
} from './storage/tiering/tier-accounting.ts';
export type { SetTierResult, TierUsage } from './storage/tiering/tier-manager.ts';
export {
  type ResolvedTieringOptions,
  TIERING_DEFAULTS,
  type TierName,
} from './storage/tiering/tiering-options.ts';
export type { DocumentInput, JsonValue, Metadata } from './storage/validation.ts';
export {
  BATCH_FORMAT_VERSION,
  type BatchInfo,
  type DecodedBatch,
  type DecodedDocument,
  decodeBatch,
  encodeBatch,
} from './uploaders/batch-codec.ts';
export type { BatchDocument } from './uploaders/batch-document.ts';
export {
  type BatchOutcome,
  type BatchReceipt,
  BatchUploader,
  type BatchUploaderOptions,
  type BatchUploaderStats,
} from './uploaders/batch-uploader.ts';
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerState,
  type CircuitBreakerStats,
} from './uploaders/circuit-breaker.ts';
export type { DeadLetter, DeadLetterEntry, DeadLetterError } from './uploaders/dead-letter-queue.ts';
export {
  BATCH_UPLOADER_DEFAULTS,
  CIRCUIT_BREAKER_DEFAULTS,
  PARALLEL_UPLOADER_DEFAULTS,
  RETRY_DEFAULTS,
} from './uploaders/defaults.ts';
export {
  type DeadLetters,
  ParallelUploader,
  type ParallelUploaderOptions,
  type ParallelUploaderStats,
  type ReplayOutcome,
  type UploadOptions,
  type UploadOutcome,
  type UploadResult,
} from './uploaders/parallel-uploader.ts';
export type { RetryEvent, RetryOptions } from './uploaders/retry.ts';
