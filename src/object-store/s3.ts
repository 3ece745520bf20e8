/**
 * An ObjectStore on `@aws-sdk/client-s3`, for AWS S3 and S3-compatible servers (MinIO, s3rver, …).
 *
 * What it owns: one S3 client with SDK retries off (`maxAttempts: 1`: the uploaders own the retry
 * policy, and two retry layers multiply), checksums only where the API requires them (S3-compatible
 * servers reject the newer default CRC headers), a keep-alive connection pool with a bounded size and
 * idle timeout, multipart upload above a threshold, listings paginated to the end, conditional puts as
 * `If-None-Match: *` (on PutObject, and on CompleteMultipartUpload for multipart bodies), and
 * AbortSignals passed to every request. Every failure becomes an `ObjectStoreError`
 * (`s3-error-mapping.ts`).
 *
 * What it must never do: retry on its own, or judge an error by its message text.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { abortError, checkInteger, describeValue } from '../errors.ts';
import { lazyRequire } from '../lazy-require.ts';
import {
  boolean,
  type CheckedOptions,
  checkOptions,
  custom,
  integer,
  invalidOption,
  matching,
  optional,
} from '../options.ts';
import { unquoteEtag } from './md5-etag.ts';
import { validateKey, validatePrefix } from './object-key.ts';
import type {
  ObjectHead,
  ObjectStore,
  ObjectStoreOperation,
  PutOptions,
  RequestOptions,
} from './object-store.ts';
import { ObjectStoreError } from './object-store-error.ts';
import { checkPutConditions } from './put-conditions.ts';
import { fromS3Error } from './s3-error-mapping.ts';

/** The SDK loads on the first S3ObjectStore, not with tiervec (see lazy-require.ts). */
const sdk = lazyRequire<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3');
const storage = lazyRequire<typeof import('@aws-sdk/lib-storage')>('@aws-sdk/lib-storage');

const MIB = 1024 * 1024;

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Endpoint URL for S3-compatible servers (`http://127.0.0.1:9000`). @default AWS for `region` */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by MinIO and s3rver. @default false */
  forcePathStyle?: boolean;
  /** Static credentials. @default the SDK's provider chain (environment, profile, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A ready client (its own retry and pool settings then apply); the options above are ignored. */
  client?: S3Client;
  /** Size of each multipart part, in bytes (S3: 5 MiB to 5 GiB). @default 8 MiB */
  partSizeBytes?: number;
  /** Bodies of at least this many bytes go through multipart upload. @default partSizeBytes */
  multipartThresholdBytes?: number;
  /** Parts of one multipart upload in flight at once. @default 4 */
  partConcurrencyMax?: number;
  /** Sockets per host in the keep-alive pool. @default 50 */
  maxSockets?: number;
  /** A pooled socket idle this long is closed, in milliseconds. @default 15000 */
  socketIdleTimeoutMs?: number;
  /** Connecting may take this long, in milliseconds. @default 10000 */
  connectionTimeoutMs?: number;
  /** A request (sending and receiving) may take this long, in milliseconds. @default 120000 */
  requestTimeoutMs?: number;
}

export const S3_OBJECT_STORE_DEFAULTS = Object.freeze({
  region: 'us-east-1',
  forcePathStyle: false,
  partSizeBytes: 8 * MIB,
  partConcurrencyMax: 4,
  maxSockets: 50,
  socketIdleTimeoutMs: 15_000,
  connectionTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
});

/** S3's part-size bounds and single-PUT limit. */
const PART_SIZE_BYTES_MIN = 5 * MIB;
const PART_SIZE_BYTES_MAX = 5 * 1024 * MIB;

interface MaybeCredentials {
  accessKeyId?: unknown;
  secretAccessKey?: unknown;
}

/** S3's rule for bucket names (3 to 63 of a-z, 0-9, `.`, `-`, starting and ending with a letter or digit). */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What each S3ObjectStore option may be; any other key is rejected. */
export const S3_OBJECT_STORE_LIMITS = Object.freeze({
  bucket: matching<string>(
    'an S3 bucket name (3 to 63 of a-z, 0-9, `.`, `-`)',
    (value) => typeof value === 'string' && S3_BUCKET_NAME.test(value),
  ),
  endpoint: optional(
    matching<string>(
      'a URL such as http://127.0.0.1:9000',
      (value) => typeof value === 'string' && URL.canParse(value),
    ),
  ),
  region: matching<string>('a non-empty string', (value) => typeof value === 'string' && value !== ''),
  forcePathStyle: boolean(),
  credentials: optional(
    matching<NonNullable<S3ObjectStoreOptions['credentials']>>(
      'an object with string accessKeyId and secretAccessKey',
      (value) =>
        typeof (value as MaybeCredentials | null)?.accessKeyId === 'string' &&
        typeof (value as MaybeCredentials).secretAccessKey === 'string',
    ),
  ),
  client: optional(matching<S3Client>('an S3Client', (value) => value instanceof sdk().S3Client)),
  partSizeBytes: integer(PART_SIZE_BYTES_MIN, PART_SIZE_BYTES_MAX),
  /** Absent: `partSizeBytes`. */
  multipartThresholdBytes: custom((value, path, checked) =>
    checkInteger(path, value ?? checked.partSizeBytes, 1, PART_SIZE_BYTES_MAX),
  ),
  partConcurrencyMax: integer(1, 64),
  maxSockets: integer(1, 10_000),
  socketIdleTimeoutMs: integer(1, 3_600_000),
  connectionTimeoutMs: integer(1, 3_600_000),
  requestTimeoutMs: integer(1, 86_400_000),
});

type CheckedS3Options = CheckedOptions<typeof S3_OBJECT_STORE_LIMITS>;

function createClient(checked: CheckedS3Options): S3Client {
  const agentOptions = {
    keepAlive: true,
    maxSockets: checked.maxSockets,
    timeout: checked.socketIdleTimeoutMs,
  };
  return new (sdk().S3Client)({
    region: checked.region,
    forcePathStyle: checked.forcePathStyle,
    ...(checked.endpoint === undefined ? {} : { endpoint: checked.endpoint }),
    ...(checked.credentials === undefined ? {} : { credentials: checked.credentials }),
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: checked.connectionTimeoutMs,
      requestTimeout: checked.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

/** A Buffer over the same bytes: the SDK sends Buffers reliably where some servers choke on streams. */
function asBuffer(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly client: S3Client;
  readonly #ownsClient: boolean;
  readonly #options: CheckedS3Options;

  constructor(options: S3ObjectStoreOptions) {
    this.#options = checkOptions(options, S3_OBJECT_STORE_LIMITS, S3_OBJECT_STORE_DEFAULTS);
    this.bucket = this.#options.bucket;
    this.#ownsClient = this.#options.client === undefined;
    this.client = this.#options.client ?? createClient(this.#options);
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    validateKey(key);
    if (!(body instanceof Uint8Array)) throw invalidOption('body', 'a Uint8Array', body);
    checkPutConditions(options);
    // Copied before the first await: the caller may reuse its buffer once put() has returned.
    const copy = asBuffer(new Uint8Array(body));
    const params = {
      Bucket: this.bucket,
      Key: key,
      Body: copy,
      ...(options.ifNoneMatch === '*' ? { IfNoneMatch: '*' } : {}),
      ...(options.ifMatch === undefined ? {} : { IfMatch: `"${options.ifMatch}"` }),
    };
    const etag =
      copy.byteLength >= this.#options.multipartThresholdBytes
        ? await this.#multipart(key, params, options.signal)
        : (
            await this.#send('put', key, options.signal, (o) =>
              this.client.send(
                new (sdk().PutObjectCommand)({ ...params, ContentLength: copy.byteLength }),
                o,
              ),
            )
          ).ETag;
    if (etag === undefined) {
      throw new ObjectStoreError('InternalError', `put ${describeValue(key)}: the response carried no ETag`, {
        operation: 'put',
        key,
      });
    }
    return { etag: unquoteEtag(etag) };
  }

  async get(key: string, options: RequestOptions = {}): Promise<Uint8Array> {
    validateKey(key);
    const command = new (sdk().GetObjectCommand)({ Bucket: this.bucket, Key: key });
    const response = await this.#send('get', key, options.signal, (o) => this.client.send(command, o));
    if (response.Body === undefined) return new Uint8Array(0);
    try {
      return await response.Body.transformToByteArray();
    } catch (error) {
      throw this.#failure(error, 'get', key, options.signal);
    }
  }

  async head(key: string, options: RequestOptions = {}): Promise<ObjectHead | undefined> {
    validateKey(key);
    try {
      const command = new (sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: key });
      const response = await this.#send('head', key, options.signal, (o) => this.client.send(command, o));
      return { sizeBytes: response.ContentLength ?? 0, etag: unquoteEtag(response.ETag ?? '') };
    } catch (error) {
      if (error instanceof ObjectStoreError && error.code === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    validateKey(key);
    try {
      const command = new (sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: key });
      await this.#send('delete', key, options.signal, (o) => this.client.send(command, o));
    } catch (error) {
      // S3 answers 204 for a missing key; some compatible servers answer 404. Both mean "gone".
      if (error instanceof ObjectStoreError && error.code === 'NoSuchKey') return;
      throw error;
    }
  }

  list(prefix: string, options: RequestOptions = {}): AsyncIterable<string> {
    validatePrefix(prefix);
    return this.#listPages(prefix, options.signal);
  }

  /** Closes the pooled sockets of a client this store created (a client passed in is the caller's). */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  async *#listPages(prefix: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const command = new (sdk().ListObjectsV2Command)({
        Bucket: this.bucket,
        ...(prefix === '' ? {} : { Prefix: prefix }),
        ...(token === undefined ? {} : { ContinuationToken: token }),
      });
      const page = await this.#send('list', prefix, signal, (o) => this.client.send(command, o));
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield object.Key;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      if (page.IsTruncated === true && token === undefined) {
        throw new ObjectStoreError(
          'InternalError',
          `list ${describeValue(prefix)}: truncated page without a token`,
          {
            operation: 'list',
            key: prefix,
          },
        );
      }
    } while (token !== undefined);
  }

  async #multipart(key: string, params: PutObjectCommand['input'], signal: AbortSignal | undefined) {
    if (signal?.aborted) throw abortError(signal, `put ${describeValue(key)}`);
    const upload = new (storage().Upload)({
      client: this.client,
      params,
      partSize: this.#options.partSizeBytes,
      queueSize: this.#options.partConcurrencyMax,
      leavePartsOnError: false,
    });
    const onAbort = () => {
      void upload.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return (await upload.done()).ETag;
    } catch (error) {
      throw this.#failure(error, 'put', key, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Sends one request with the caller's signal and maps its failure; `request` builds the call. */
  async #send<T>(
    operation: ObjectStoreOperation,
    key: string,
    signal: AbortSignal | undefined,
    request: (options: { abortSignal?: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw abortError(signal, `${operation} ${describeValue(key)}`);
    try {
      return await request(signal === undefined ? {} : { abortSignal: signal });
    } catch (error) {
      throw this.#failure(error, operation, key, signal);
    }
  }

  #failure(
    error: unknown,
    operation: ObjectStoreOperation,
    key: string,
    signal: AbortSignal | undefined,
  ): unknown {
    if (signal?.aborted) return abortError(signal, `${operation} ${describeValue(key)}`);
    return fromS3Error(error, operation, key);
  }
}
