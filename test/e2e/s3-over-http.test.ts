import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { describeObjectStoreContract } from '../helpers/object-store-contract.ts';
import { useS3rver } from '../helpers/s3rver.ts';

const MIB = 1024 * 1024;
const s3rver = useS3rver();

// 12 MiB with 5 MiB parts: three parts through CreateMultipartUpload/UploadPart/Complete.
describeObjectStoreContract(
  'S3ObjectStore over HTTP (s3rver)',
  async () => {
    const store = await s3rver.newStore({ partSizeBytes: 5 * MIB });
    return { store, cleanup: () => store.close() };
  },
  { largeBodyBytes: 12 * MIB, listOrderStrict: false },
);

describe('S3ObjectStore over HTTP (s3rver)', () => {
  it('fails with NoSuchBucket for a bucket that does not exist', async () => {
    const store = new S3ObjectStore({ ...s3rver.server.s3Options, bucket: 'no-such-bucket' });
    try {
      const error = await store.put('k', new Uint8Array(1)).catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'ObjectStoreError',
        code: 'NoSuchBucket',
        status: 404,
        retryable: false,
      });
    } finally {
      store.close();
    }
  });

  it('fails with a retryable NetworkError when nothing listens at the endpoint', async () => {
    const closed = `http://127.0.0.1:1`;
    const store = new S3ObjectStore({ ...s3rver.server.s3Options, endpoint: closed });
    try {
      const error = await store.get('k').catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'ObjectStoreError',
        code: 'NetworkError',
        status: 0,
        retryable: true,
      });
    } finally {
      store.close();
    }
  });
});
