import { describe, expect, it } from 'vitest';
import { ErrorCode, TierVecError } from '../../../src/errors.ts';
import {
  classifyObjectStoreError,
  FAULT_CODES,
  isFaultCode,
} from '../../../src/loadtest/targets/tiervec-object-store.ts';
import { ObjectStoreError } from '../../../src/storage/object-store/object-store-error.ts';

describe('tiervec target error classification', () => {
  it('names a store error by its code and the S3 code it wraps, and a bare S3 error by its code', () => {
    const s3 = new ObjectStoreError('SlowDown', 'slow down');
    const wrapped = new TierVecError(ErrorCode.OBJECT_STORE, 'upload failed', { cause: s3 });
    expect(classifyObjectStoreError(wrapped)).toBe('OBJECT_STORE/SlowDown');
    expect(classifyObjectStoreError(s3)).toBe('SlowDown');
  });

  it('leaves every other error to the harness', () => {
    expect(classifyObjectStoreError(new TierVecError(ErrorCode.QUOTA_EXCEEDED, 'full'))).toBeUndefined();
    expect(
      classifyObjectStoreError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
    ).toBeUndefined();
    expect(classifyObjectStoreError('text')).toBeUndefined();
  });

  it('accepts the S3 error codes as fault codes and nothing else', () => {
    expect(FAULT_CODES).toContain('InternalError');
    expect(isFaultCode('NetworkError')).toBe(true);
    expect(isFaultCode('Teapot')).toBe(false);
  });
});
