/**
 * The defaults of every uploader option, one frozen object per component, with units in the names.
 * Components take these for every option the caller leaves out and check the result against their
 * limits objects (`RETRY_LIMITS`, …, through `options.ts`); the README's defaults table is tested
 * against these objects, so this file is the only place a default is written.
 */

/** Retry policy shared by the ParallelUploader, the BatchUploader and dead-letter replay. */
export const RETRY_DEFAULTS = Object.freeze({
  /** Attempts per upload, the first one included. */
  attemptsMax: 5,
  /** Backoff cap before jitter for the first retry, in milliseconds; doubles per retry. */
  delayMsBase: 50,
  /** Largest backoff cap, in milliseconds. */
  delayMsMax: 5_000,
});

/** Circuit breaker in front of the object store. */
export const CIRCUIT_BREAKER_DEFAULTS = Object.freeze({
  /** Consecutive transient failures that open the circuit. */
  failuresMax: 5,
  /** Also open when more than this fraction of the last `windowCalls` calls failed; `null` turns it off. */
  failureRatioMax: null as number | null,
  /** Calls in the sliding window of the failure-ratio rule. */
  windowCalls: 20,
  /** Calls the window must hold before the failure-ratio rule may open the circuit. */
  windowCallsMin: 10,
  /** Time the circuit stays open before one probe call is let through, in milliseconds. */
  cooldownMs: 10_000,
});

/** ParallelUploader. */
export const PARALLEL_UPLOADER_DEFAULTS = Object.freeze({
  /** Uploads in flight at once (1..256). */
  concurrencyMax: 10,
  /** Uploads waiting for a slot; one more is rejected with RATE_LIMITED. */
  queuedMax: 10_000,
  /** Entries the dead-letter queue holds; one more is rejected with DEAD_LETTER_FULL. */
  deadLettersMax: 10_000,
  /** Time one attempt may take before it is abandoned as a retryable RequestTimeout, in milliseconds. */
  attemptTimeoutMs: 30_000,
});

/** BatchUploader. */
export const BATCH_UPLOADER_DEFAULTS = Object.freeze({
  /** Prepended to every object key; ends with `/` when it names a folder. */
  keyPrefix: '',
  /** Documents per batch object; a batch is sealed when it reaches this size. */
  batchSizeMax: 100,
  /** Time a partial batch waits after its first document before it is sealed, in milliseconds. */
  waitMsMax: 50,
  /** Documents accepted and not yet durable or dead-lettered, across collections. */
  pendingDocsMax: 10_000,
  /** What `add` does at `pendingDocsMax`: `'wait'` for room, or `'reject'` with RATE_LIMITED. */
  onBackpressure: 'wait' as 'wait' | 'reject',
});
