/**
 * S3ObjectStore against s3rver over HTTP, in a child process on 127.0.0.1 started on first use and
 * stopped when the plan closes. Its raw baseline is the bare SDK: one PutObjectCommand or
 * GetObjectCommand on a client with the same settings (path style, SDK retries off, checksums only
 * when required), so the ratio shows what S3ObjectStore adds: error mapping, copies, and for 8 MiB
 * bodies the multipart upload it uses at and above its part size.
 */

import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../src/object-store/object-store.ts';
import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { type S3rverProcess, startS3rver } from '../../src/object-store/testing/s3rver-process.ts';
import { lazy } from '../runner/lazy.ts';
import type { RawOperations, StoreTarget } from './store-target.ts';

export function s3rverTarget(): StoreTarget {
  const server = lazy<S3rverProcess>(
    () => startS3rver(),
    (started) => started.stop(),
  );
  const store = lazy(
    async () => new S3ObjectStore((await server.get()).s3Options),
    (opened) => opened.close(),
  );
  const raw = lazy(
    async () => {
      const { s3Options } = await server.get();
      const client = new S3Client({
        region: s3Options.region,
        endpoint: s3Options.endpoint,
        forcePathStyle: true,
        credentials: s3Options.credentials,
        maxAttempts: 1,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return { client, operations: rawSdkOperations(client, s3Options.bucket) };
    },
    ({ client }) => client.destroy(),
  );
  return {
    name: 's3rver',
    store: { get: async () => (await store.get()) as ObjectStore, release: () => store.release() },
    latencyMs: undefined,
    raw: { get: async () => (await raw.get()).operations, release: () => raw.release() },
    release: async () => {
      await store.release();
      await raw.release();
      await server.release();
    },
  };
}

function rawSdkOperations(client: S3Client, bucket: string): RawOperations {
  return {
    async put(key, body) {
      const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: buffer, ContentLength: body.byteLength }),
      );
    },
    async get(key) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.Body === undefined) throw new Error(`GetObject ${key} returned no body`);
      return response.Body.transformToByteArray();
    },
  };
}
