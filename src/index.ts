// Public exports of tiervec. No logic here: each line re-exports from the module that owns it.
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.ts';
export { ErrorCode, isTierVecError, TierVecError, type TierVecErrorOptions } from './errors.ts';
export { Rng, randomSeed } from './random.ts';
export {
  MOCK_S3_DEFAULTS,
  type MockS3Call,
  type MockS3Latency,
  MockS3ObjectStore,
  type MockS3OperationStats,
  type MockS3Options,
  type MockS3Outcome,
  type MockS3Stats,
} from './storage/object-store/mock-s3.ts';
export type {
  MockAlwaysFailure,
  MockFailureRule,
  MockFailureScope,
  MockFlakyFailure,
  MockPatternFailure,
} from './storage/object-store/mock-s3-faults.ts';
export {
  compareKeys,
  KEY_BYTES_MAX,
  validateKey,
  validatePrefix,
} from './storage/object-store/object-key.ts';
export type {
  ObjectHead,
  ObjectStore,
  ObjectStoreOperation,
  PutOptions,
  RequestOptions,
} from './storage/object-store/object-store.ts';
export {
  isObjectStoreError,
  ObjectStoreError,
  S3_ERRORS,
  type S3ErrorCode,
} from './storage/object-store/object-store-error.ts';
export type { PrefixRateLimits } from './storage/object-store/prefix-rate-limiter.ts';
