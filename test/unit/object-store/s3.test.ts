import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { isObjectStoreError } from '../../../src/object-store/object-store-error.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../../src/object-store/s3.ts';
import { fromS3Error } from '../../../src/object-store/s3-error-mapping.ts';
import { objectStoreFailure } from '../../../src/storage/remote/object-store-failure.ts';

const MIB = 1024 * 1024;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const stores: S3ObjectStore[] = [];

/** A store on a real S3Client whose `send` is replaced by aws-sdk-client-mock (the narrowest seam). */
function mocked(options: Partial<S3ObjectStoreOptions> = {}) {
  const client = new S3Client({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const s3 = mockClient(client);
  const store = new S3ObjectStore({ bucket: 'unit-bucket', client, ...options });
  stores.push(store);
  return { s3, store, client };
}

afterEach(() => {
  for (const store of stores.splice(0)) store.client.destroy();
});

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `mocked ${name}`,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('S3ObjectStore error mapping', () => {
  it.each([
    ['SlowDown', 503, 'SlowDown', true],
    ['InternalError', 500, 'InternalError', true],
    ['ServiceUnavailable', 503, 'ServiceUnavailable', true],
    ['AccessDenied', 403, 'AccessDenied', false],
    ['NoSuchBucket', 404, 'NoSuchBucket', false],
    ['InvalidRequest', 400, 'InvalidRequest', false],
    ['PreconditionFailed', 412, 'PreconditionFailed', false],
    ['ConditionalRequestConflict', 409, 'ConditionalRequestConflict', true],
    ['ThrottlingException', 429, 'SlowDown', true],
    ['SomethingNew', 502, 'SomethingNew', true],
    ['Teapot', 418, 'Teapot', false],
  ])('maps a put answered %s (%i) to %s, retryable %s', async (name, status, code, retryable) => {
    const { s3, store } = mocked();
    s3.on(PutObjectCommand).rejectsOnce(serviceError(name, status)).resolves({ ETag: '"0123"' });
    const error = await errorOf(store.put('k', new Uint8Array([1])));
    expect(isObjectStoreError(error)).toBe(true);
    expect(error).toMatchObject({ code, status, retryable, operation: 'put', key: 'k' });
    expect((error as Error).cause).toBeInstanceOf(S3ServiceException);
    // One request per call: the store never retries on its own; the next call succeeds.
    expect(s3.commandCalls(PutObjectCommand).length).toBe(1);
    await expect(store.put('k', new Uint8Array([1]))).resolves.toEqual({ etag: '0123' });
  });

  it('maps the SDK NoSuchKey exception on get to NoSuchKey (404, not retryable)', async () => {
    const { s3, store } = mocked();
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    const error = await errorOf(store.get('missing'));
    expect(error).toMatchObject({
      name: 'ObjectStoreError',
      code: 'NoSuchKey',
      status: 404,
      retryable: false,
    });
  });

  it('answers head of a missing object (bodiless 404 NotFound) with undefined', async () => {
    const { s3, store } = mocked();
    s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404));
    expect(await store.head('missing')).toBeUndefined();
  });

  it('maps a bodiless 403 on head to AccessDenied', async () => {
    const { s3, store } = mocked();
    s3.on(HeadObjectCommand).rejects(serviceError('Forbidden', 403));
    expect(await errorOf(store.head('k'))).toMatchObject({
      code: 'AccessDenied',
      status: 403,
      retryable: false,
    });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'])(
    'maps a socket error %s to a retryable NetworkError with status 0',
    async (errno) => {
      const { s3, store } = mocked();
      s3.on(GetObjectCommand).rejects(Object.assign(new Error('socket hang up'), { code: errno }));
      const error = await errorOf(store.get('k'));
      expect(error).toMatchObject({ code: 'NetworkError', status: 0, retryable: true, operation: 'get' });
    },
  );

  it('maps the request-timeout TimeoutError to a retryable NetworkError', async () => {
    const { s3, store } = mocked();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }));
    expect(await errorOf(store.get('k'))).toMatchObject({ code: 'NetworkError', retryable: true });
  });

  it('reports a missing credential as a permanent credentials error with the SDK message, not a retryable 500', async () => {
    const { s3, store } = mocked();
    // What the SDK's default provider chain throws when it finds no credential at all.
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
      tryNextLink: false,
    });
    s3.on(PutObjectCommand).rejects(missing);
    const error = await errorOf(store.put('k', new Uint8Array([1])));
    expect(error).toMatchObject({ code: 'CredentialsProviderError', status: 0, retryable: false });
    expect((error as Error).message).toContain('Could not load credentials from any providers');
    const failure = objectStoreFailure('Publishing the manifest', error);
    expect(failure.code).toBe(ErrorCode.OBJECT_STORE_CREDENTIALS);
    expect(failure.message).toContain('Could not load credentials from any providers');
  });

  it.each([
    ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
    [
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    ],
    ['ExpiredToken', 'The provided token has expired.'],
  ])(
    'reports an invalid credential (%s) as a credentials error carrying the server message',
    async (name, text) => {
      const { s3, store } = mocked();
      const rejected = serviceError(name, name === 'ExpiredToken' ? 400 : 403);
      rejected.message = text;
      s3.on(GetObjectCommand).rejects(rejected);
      const error = await errorOf(store.get('k'));
      expect(error).toMatchObject({ code: name, retryable: false });
      expect((error as Error).message).toContain(text);
      expect(objectStoreFailure('Reading', error).code).toBe(ErrorCode.OBJECT_STORE_CREDENTIALS);
    },
  );

  it('judges by code and status, never by message text', () => {
    const misleading = serviceError('AccessDenied', 403);
    misleading.message = 'SlowDown: please retry, InternalError, ECONNRESET';
    expect(fromS3Error(misleading, 'get', 'k')).toMatchObject({ code: 'AccessDenied', retryable: false });
    const statusOnly = { $metadata: { httpStatusCode: 503 }, name: 'Unknown', message: 'NoSuchKey' };
    expect(fromS3Error(statusOnly, 'get', 'k')).toMatchObject({
      code: 'ServiceUnavailable',
      retryable: true,
    });
  });
});

describe('S3ObjectStore requests', () => {
  it('sends If-None-Match: * for a conditional put, and maps the 412 to PreconditionFailed', async () => {
    const { s3, store } = mocked();
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    const error = await errorOf(store.put('m/1', new Uint8Array([1, 2]), { ifNoneMatch: '*' }));
    expect(isObjectStoreError(error, 'PreconditionFailed')).toBe(true);
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: 'unit-bucket', Key: 'm/1', IfNoneMatch: '*', ContentLength: 2 });
    expect(Buffer.isBuffer(input?.Body)).toBe(true);
  });

  it('passes the caller’s AbortSignal to every request and rejects with its reason', async () => {
    const { s3, store } = mocked();
    const controller = new AbortController();
    s3.on(GetObjectCommand).callsFake(() => {
      controller.abort(new Error('caller gave up'));
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    });
    await expect(store.get('k', { signal: controller.signal })).rejects.toBe(controller.signal.reason);
    const args = (s3.commandCalls(GetObjectCommand)[0]?.args ?? []) as unknown[];
    const options = args[1] as { abortSignal?: AbortSignal } | undefined;
    expect(options?.abortSignal).toBe(controller.signal);
  });

  it('follows continuation tokens to the end of a listing', async () => {
    const { s3, store } = mocked();
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'p/1' }, { Key: 'p/2' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .resolvesOnce({ Contents: [{ Key: 'p/3' }], IsTruncated: true, NextContinuationToken: 't2' })
      .resolvesOnce({ Contents: [{ Key: 'p/4' }], IsTruncated: false });
    const keys: string[] = [];
    for await (const key of store.list('p/')) keys.push(key);
    expect(keys).toEqual(['p/1', 'p/2', 'p/3', 'p/4']);
    const tokens = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.ContinuationToken);
    expect(tokens).toEqual([undefined, 't1', 't2']);
  });

  it('uploads a body above the threshold in parts, with If-None-Match on CompleteMultipartUpload', async () => {
    const { s3, store } = mocked({ partSizeBytes: 5 * MIB });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber?: number }) => ({
      ETag: `"part-${input.PartNumber}"`,
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"' });
    const result = await store.put('big', new Uint8Array(11 * MIB), { ifNoneMatch: '*' });
    expect(result).toEqual({ etag: 'abc-3' });
    expect(s3.commandCalls(PutObjectCommand).length).toBe(0);
    const parts = s3.commandCalls(UploadPartCommand).map((call) => call.args[0].input.PartNumber);
    expect(parts.sort()).toEqual([1, 2, 3]);
    const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input;
    expect(complete).toMatchObject({ UploadId: 'u1', IfNoneMatch: '*' });
  });

  it('aborts the multipart upload when completing it loses a conditional race', async () => {
    const { s3, store } = mocked({ partSizeBytes: 5 * MIB });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(CompleteMultipartUploadCommand).rejects(serviceError('PreconditionFailed', 412));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const error = await errorOf(store.put('big', new Uint8Array(6 * MIB), { ifNoneMatch: '*' }));
    expect(isObjectStoreError(error, 'PreconditionFailed')).toBe(true);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toMatchObject({ UploadId: 'u2' });
  });

  it('uses a single PutObject below the multipart threshold', async () => {
    const { s3, store } = mocked({ partSizeBytes: 5 * MIB, multipartThresholdBytes: 6 * MIB });
    s3.on(PutObjectCommand).resolves({ ETag: '"single"' });
    expect(await store.put('k', new Uint8Array(5 * MIB + 1))).toEqual({ etag: 'single' });
    expect(s3.commandCalls(CreateMultipartUploadCommand).length).toBe(0);
  });
});

describe('S3ObjectStore client', () => {
  it('creates a client with SDK retries off and checksums only when required', async () => {
    const store = new S3ObjectStore({
      bucket: 'b-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials,
    });
    stores.push(store);
    expect(await store.client.config.maxAttempts()).toBe(1);
    expect(await store.client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await store.client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(store.client.config.forcePathStyle).toBe(true);
  });

  it.each([
    ['bucket', { bucket: 'Bad_Bucket' }],
    ['endpoint', { bucket: 'ok-bucket', endpoint: 'not a url' }],
    ['partSizeBytes', { bucket: 'ok-bucket', partSizeBytes: 1024 }],
    ['multipartThresholdBytes', { bucket: 'ok-bucket', multipartThresholdBytes: 0 }],
    ['maxSockets', { bucket: 'ok-bucket', maxSockets: 0 }],
    ['socketIdleTimeoutMs', { bucket: 'ok-bucket', socketIdleTimeoutMs: -1 }],
    ['credentials', { bucket: 'ok-bucket', credentials: { accessKeyId: 'x' } }],
    ['client', { bucket: 'ok-bucket', client: {} }],
    ['endPoint', { bucket: 'ok-bucket', endPoint: 'http://x' }],
  ])('rejects a bad `%s` with INVALID_ARGUMENT naming it', (option, options) => {
    let error: unknown;
    try {
      new S3ObjectStore(options as unknown as S3ObjectStoreOptions);
    } catch (e) {
      error = e;
    }
    expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toContain(`\`${option}\``);
  });

  it('rejects hostile keys with INVALID_KEY before sending anything', async () => {
    const { s3, store } = mocked();
    const error = await errorOf(store.put('../escape', new Uint8Array(1)));
    expect(isTierVecError(error, ErrorCode.INVALID_KEY)).toBe(true);
    expect(s3.calls().length).toBe(0);
  });
});
