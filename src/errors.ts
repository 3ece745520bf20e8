/**
 * The one error type tiervec throws for operating errors, and the one list of error codes.
 *
 * Every rejection a caller can act on carries a stable `code` from `ErrorCode`, a message that names
 * the input and what was expected, and `cause` when it wraps another error. Programmer errors
 * (broken invariants inside tiervec) are plain assertions and are not listed here.
 */

export const ErrorCode = Object.freeze({
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_NAME: 'INVALID_NAME',
  INVALID_KEY: 'INVALID_KEY',
  DIMENSION_MISMATCH: 'DIMENSION_MISMATCH',
  INVALID_VECTOR: 'INVALID_VECTOR',
  METADATA_TOO_LARGE: 'METADATA_TOO_LARGE',
  DUPLICATE_ID: 'DUPLICATE_ID',
  COLLECTION_NOT_FOUND: 'COLLECTION_NOT_FOUND',
  COLLECTION_EXISTS: 'COLLECTION_EXISTS',
  /** `getOrCreateCollection` found the collection with another spec (dimension, metric, hnsw or quota). */
  COLLECTION_SPEC_MISMATCH: 'COLLECTION_SPEC_MISMATCH',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  OBJECT_STORE: 'OBJECT_STORE',
  OBJECT_STORE_CREDENTIALS: 'OBJECT_STORE_CREDENTIALS',
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  CORRUPT_DATA: 'CORRUPT_DATA',
  CLOSED: 'CLOSED',
  ABORTED: 'ABORTED',
  IO_ERROR: 'IO_ERROR',
  LOCKED: 'LOCKED',
  SCENARIO_INVALID: 'SCENARIO_INVALID',
  MANIFEST_CONFLICT: 'MANIFEST_CONFLICT',
  DEAD_LETTER_FULL: 'DEAD_LETTER_FULL',
  WRITE_INDETERMINATE: 'WRITE_INDETERMINATE',
  READ_ONLY: 'READ_ONLY',
  LEASE_HELD: 'LEASE_HELD',
  LEASE_LOST: 'LEASE_LOST',
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface TierVecErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (the offending id, the quota and its numbers, …). */
  details?: Record<string, unknown>;
}

export class TierVecError extends Error {
  override readonly name = 'TierVecError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TierVecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export function isTierVecError(error: unknown, code?: ErrorCode): error is TierVecError {
  return error instanceof TierVecError && (code === undefined || error.code === code);
}

/** Formats any value for an error message: short, quoted when a string, never throwing. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return `a ${typeof value}`;
}

/** Throws INVALID_ARGUMENT unless `value` is an integer within [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`,
      { details: { option: name, value } },
    );
  }
  return value;
}

/** Throws INVALID_ARGUMENT unless `value` is a finite number within [min, max]. */
export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`${name}\` to be a number from ${min} to ${max}, got ${describeValue(value)}`,
      { details: { option: name, value } },
    );
  }
  return value;
}

/** The error to reject with when an AbortSignal fires: its reason if it is an Error, else ABORTED. */
export function abortError(signal: AbortSignal, what: string): unknown {
  if (signal.reason instanceof Error) return signal.reason;
  return new TierVecError(ErrorCode.ABORTED, `${what} was aborted`, { cause: signal.reason });
}
