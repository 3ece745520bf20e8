// Public exports of tiervec. No logic here: each line re-exports from the module that owns it.
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.ts';
export { ErrorCode, isTierVecError, TierVecError, type TierVecErrorOptions } from './errors.ts';
export { Rng, randomSeed } from './random.ts';
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
