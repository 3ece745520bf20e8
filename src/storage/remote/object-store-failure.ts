/**
 * Turns what an object-store request finally failed with (after the uploader's retries and circuit
 * breaker) into the TierVecError callers see: CIRCUIT_OPEN stays CIRCUIT_OPEN, a TierVecError keeps
 * its code, a missing or refused credential becomes OBJECT_STORE_CREDENTIALS, and anything else
 * becomes OBJECT_STORE carrying the S3 code, status and retryability.
 */

import { ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import { isCredentialsError, isObjectStoreError } from '../../object-store/object-store-error.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';

export function objectStoreFailure(what: string, error: unknown): TierVecError {
  if (isTierVecError(error) && error.code !== ErrorCode.OBJECT_STORE) {
    return new TierVecError(error.code, `${what}: ${error.message}`, {
      cause: error,
      details: error.details,
    });
  }
  const details: Record<string, unknown> = {};
  if (isObjectStoreError(error)) {
    details.s3Code = error.code;
    details.status = error.status;
    details.retryable = error.retryable;
    if (error.key !== undefined) details.key = error.key;
  }
  const reason = error instanceof Error ? error.message : String(error);
  const code = isCredentialsError(error) ? ErrorCode.OBJECT_STORE_CREDENTIALS : ErrorCode.OBJECT_STORE;
  return new TierVecError(code, `${what}: ${reason}`, { cause: error, details });
}

/** Runs `call` through the uploader's retry and breaker; what finally fails becomes `objectStoreFailure`. */
export async function requestOrFail<T>(
  uploader: ParallelUploader,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await uploader.request(what, call);
  } catch (error) {
    throw objectStoreFailure(what, error);
  }
}
