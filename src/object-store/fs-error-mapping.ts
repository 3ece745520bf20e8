/**
 * Maps file-system errors of `LocalObjectStore` to the S3 error a bucket would have answered, by the
 * errno `code`, so that callers handle a local directory exactly like S3.
 */

import { describeValue } from '../errors.ts';
import type { ObjectStoreOperation } from './object-store.ts';
import { ObjectStoreError } from './object-store-error.ts';

/** The errno code of a Node file-system error (`ENOENT`, …), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** Maps a file-system error for `operation` on `key` to an ObjectStoreError. */
export function fromFsError(error: unknown, operation: ObjectStoreOperation, key: string): ObjectStoreError {
  if (error instanceof ObjectStoreError) return error;
  const errno = errnoOf(error);
  const what = `${operation} ${describeValue(key)}`;
  const options = { operation, key, cause: error };
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new ObjectStoreError('NoSuchKey', `${what}: no such object`, options);
    case 'EACCES':
    case 'EPERM':
      return new ObjectStoreError('AccessDenied', `${what}: permission denied (${errno})`, options);
    case 'ENAMETOOLONG':
      return new ObjectStoreError('InvalidRequest', `${what}: path too long for this file system`, options);
    default:
      // Disk full, I/O errors, too many open files: the disk, not the request, is at fault, and such
      // conditions can clear, so they are retryable like S3's InternalError.
      return new ObjectStoreError('InternalError', `${what}: ${errno ?? 'file-system error'}`, options);
  }
}
