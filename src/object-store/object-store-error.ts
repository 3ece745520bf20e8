/**
 * The one error type of every ObjectStore implementation: the S3 error `code`, the HTTP `status`, and
 * whether retrying can help. The uploaders' retry policy reads only `retryable`; nothing matches on
 * message text.
 */

import type { ObjectStoreOperation } from './object-store.ts';

/** S3 error codes tiervec distinguishes, with their HTTP status and whether a retry can succeed. */
export const S3_ERRORS = Object.freeze({
  SlowDown: { status: 503, retryable: true },
  InternalError: { status: 500, retryable: true },
  ServiceUnavailable: { status: 503, retryable: true },
  RequestTimeout: { status: 400, retryable: true },
  NetworkError: { status: 0, retryable: true },
  AccessDenied: { status: 403, retryable: false },
  NoSuchBucket: { status: 404, retryable: false },
  NoSuchKey: { status: 404, retryable: false },
  PreconditionFailed: { status: 412, retryable: false },
  InvalidRequest: { status: 400, retryable: false },
} as const);

export type S3ErrorCode = keyof typeof S3_ERRORS;

/**
 * Codes of a credential that is missing (the SDK's provider chain found none) or that the server
 * refused. No retry fixes them, and the store reports them as OBJECT_STORE_CREDENTIALS.
 */
export const CREDENTIAL_ERROR_CODES: ReadonlySet<string> = new Set([
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
]);

/** Causes followed when looking for a credentials error inside wrapping errors. */
const CAUSE_DEPTH_MAX = 8;

/** True when `error`, or an error it wraps, is an object-store error about credentials. */
export function isCredentialsError(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && current instanceof Error; depth++) {
    if (current instanceof ObjectStoreError && CREDENTIAL_ERROR_CODES.has(current.code)) return true;
    current = current.cause;
  }
  return false;
}

export function isS3ErrorCode(value: unknown): value is S3ErrorCode {
  return typeof value === 'string' && Object.hasOwn(S3_ERRORS, value);
}

export interface ObjectStoreErrorOptions {
  /** Overrides the status from the table (e.g. the status the server really sent). */
  status?: number;
  /** Overrides the table's classification (e.g. an unknown 5xx code is retryable). */
  retryable?: boolean;
  operation?: ObjectStoreOperation;
  key?: string;
  cause?: unknown;
}

export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  /** The S3 error code (`SlowDown`, `NoSuchKey`, …) or, for codes outside the table, the server's. */
  readonly code: string;
  /** HTTP status; 0 for errors below HTTP (connection refused, reset, timeout). */
  readonly status: number;
  readonly retryable: boolean;
  readonly operation: ObjectStoreOperation | undefined;
  readonly key: string | undefined;

  constructor(code: string, message: string, options: ObjectStoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const known = isS3ErrorCode(code) ? S3_ERRORS[code] : undefined;
    this.code = code;
    this.status = options.status ?? known?.status ?? 500;
    this.retryable = options.retryable ?? known?.retryable ?? this.status >= 500;
    this.operation = options.operation;
    this.key = options.key;
  }
}

export function isObjectStoreError(error: unknown, code?: string): error is ObjectStoreError {
  return error instanceof ObjectStoreError && (code === undefined || error.code === code);
}
