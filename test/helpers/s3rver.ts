/**
 * s3rver for test files: one server per file (started in `beforeAll`, stopped in `afterAll`), and a
 * fresh bucket per test so each test sees an empty store. Wraps `startS3rver`, which the load-test CLI
 * and the benchmarks use too.
 */

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../src/object-store/s3.ts';
import { type S3rverProcess, startS3rver } from '../../src/object-store/testing/s3rver-process.ts';

export interface S3rverFixture {
  /** The running server; available inside tests and hooks, not at collection time. */
  readonly server: S3rverProcess;
  /** Creates a new empty bucket and a store on it; `close()` it when done. */
  newStore(options?: Partial<S3ObjectStoreOptions>): Promise<S3ObjectStore>;
}

/** Registers hooks that start s3rver before this file's tests and stop it after them. */
export function useS3rver(): S3rverFixture {
  let server: S3rverProcess | undefined;
  let admin: S3Client | undefined;
  let buckets = 0;
  beforeAll(async () => {
    server = await startS3rver();
    admin = new S3Client({ ...server.s3Options, maxAttempts: 1 });
  });
  afterAll(async () => {
    admin?.destroy();
    await server?.stop();
  });
  const running = () => {
    if (server === undefined || admin === undefined)
      throw new Error('s3rver is not running (use it inside tests)');
    return { server, admin };
  };
  return {
    get server() {
      return running().server;
    },
    async newStore(options = {}) {
      const { server: s, admin: client } = running();
      const bucket = `test-${process.pid}-${++buckets}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return new S3ObjectStore({ ...s.s3Options, ...options, bucket });
    },
  };
}
