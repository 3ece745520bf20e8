/**
 * Turns whatever the AWS SDK throws into an `ObjectStoreError`, by the S3 error code the server sent
 * (the exception's `name`, or `Code`), the HTTP status in `$metadata`, and for failures below HTTP the
 * Node error `code`. Never by message text: messages change between SDK and server versions.
 */

import { describeValue } from '../errors.ts';
import type { ObjectStoreOperation } from './object-store.ts';
import { CREDENTIAL_ERROR_CODES, ObjectStoreError } from './object-store-error.ts';

/** Node and undici error codes of connections that failed, broke or timed out: all retryable. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPROTO',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** SDK error names for failures below HTTP. */
const NETWORK_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
]);

/** Codes servers send for "slow down" under other names; S3 itself sends SlowDown. */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
}

function field(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

function httpStatusOf(error: SdkErrorShape): number | undefined {
  const status = error.$metadata?.httpStatusCode ?? error.$response?.statusCode;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

/** The S3 error code of an SDK exception, normalized to tiervec's names; undefined when it has none. */
function s3CodeOf(
  error: SdkErrorShape,
  status: number | undefined,
  operation: ObjectStoreOperation,
): string | undefined {
  const raw =
    typeof error.Code === 'string' ? error.Code : typeof error.name === 'string' ? error.name : undefined;
  if (raw === undefined || raw === 'Error' || raw === 'S3ServiceException' || raw === 'Unknown') {
    return status === undefined ? undefined : codeFromStatus(status, operation);
  }
  // Responses without a body (HEAD, some proxies) carry only the status; the SDK names them after it.
  if (raw === 'NotFound') return operation === 'list' ? 'NoSuchBucket' : 'NoSuchKey';
  if (raw === 'Forbidden') return 'AccessDenied';
  if (THROTTLING_CODES.has(raw)) return 'SlowDown';
  return raw;
}

function codeFromStatus(status: number, operation: ObjectStoreOperation): string {
  switch (status) {
    case 403:
      return 'AccessDenied';
    case 404:
      return operation === 'list' ? 'NoSuchBucket' : 'NoSuchKey';
    case 412:
      return 'PreconditionFailed';
    case 429:
      return 'SlowDown';
    case 500:
      return 'InternalError';
    case 503:
      return 'ServiceUnavailable';
    default:
      return `Http${status}`;
  }
}

function networkCodeOf(error: SdkErrorShape): string | undefined {
  if (typeof error.code === 'string' && NETWORK_ERROR_CODES.has(error.code)) return error.code;
  if (typeof error.name === 'string' && NETWORK_ERROR_NAMES.has(error.name)) return error.name;
  return undefined;
}

/**
 * A credential the SDK could not find or the server refused: permanent (no retry brings one), with
 * the SDK's own explanation kept, since it says which provider or which key was at fault.
 */
function credentialsError(
  error: unknown,
  code: string,
  status: number | undefined,
  operation: ObjectStoreOperation,
  key: string,
): ObjectStoreError {
  const explanation = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return new ObjectStoreError(
    code,
    `${operation} ${describeValue(key)}: ${code}${status === undefined ? '' : ` (HTTP ${status})`}${explanation}`,
    { operation, key, cause: error, status: status ?? 0, retryable: false },
  );
}

/** Maps an SDK failure for `operation` on `key` to an ObjectStoreError (see the module comment). */
export function fromS3Error(error: unknown, operation: ObjectStoreOperation, key: string): ObjectStoreError {
  if (error instanceof ObjectStoreError) return error;
  const shape = field(error);
  const what = `${operation} ${describeValue(key)}`;
  const status = httpStatusOf(shape);
  const networkCode = status === undefined ? networkCodeOf(shape) : undefined;
  if (networkCode !== undefined) {
    return new ObjectStoreError('NetworkError', `${what}: ${networkCode}`, {
      operation,
      key,
      cause: error,
      status: 0,
    });
  }
  const code = s3CodeOf(shape, status, operation);
  if (code !== undefined && CREDENTIAL_ERROR_CODES.has(code))
    return credentialsError(error, code, status, operation, key);
  if (code === undefined) {
    // Neither a status nor an S3 code: the request never got an answer (an SDK or socket failure
    // without a recognised code). Retrying is the safe reading, as for any network failure.
    return new ObjectStoreError('NetworkError', `${what}: ${String(shape.name ?? 'request failed')}`, {
      operation,
      key,
      cause: error,
      status: 0,
    });
  }
  // S3 asks for a retry of a conditional write that raced another one.
  const retryable = code === 'ConditionalRequestConflict' ? true : undefined;
  return new ObjectStoreError(code, `${what}: ${code}${status === undefined ? '' : ` (HTTP ${status})`}`, {
    operation,
    key,
    cause: error,
    ...(status === undefined ? {} : { status }),
    ...(retryable === undefined ? {} : { retryable }),
  });
}
