/**
 * The seam between tiervec and the cold tier. The cold tier, both uploaders, the dead-letter queue's
 * replay and every failure test go through this interface and nothing else; implementations are
 * `LocalObjectStore`, `S3ObjectStore` and `MockS3ObjectStore`. Every failure is an `ObjectStoreError`.
 */

export interface PutOptions {
  /** `'*'`: write only if no object exists at the key (S3 `If-None-Match: *`); else `PreconditionFailed`. */
  ifNoneMatch?: '*';
  /**
   * An etag (unquoted): write only if the object at the key exists with this etag (S3 `If-Match`);
   * else `PreconditionFailed` (also when the object is absent). Not together with `ifNoneMatch`.
   */
  ifMatch?: string;
  signal?: AbortSignal;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ObjectHead {
  sizeBytes: number;
  etag: string;
}

export interface ObjectStore {
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }>;
  /** Rejects with `NoSuchKey` when absent. */
  get(key: string, options?: RequestOptions): Promise<Uint8Array>;
  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined>;
  /** Deleting a missing key succeeds, as in S3. */
  delete(key: string, options?: RequestOptions): Promise<void>;
  /** Every key under `prefix`, in key order, paginated underneath. */
  list(prefix: string, options?: RequestOptions): AsyncIterable<string>;
}

export type ObjectStoreOperation = 'put' | 'get' | 'head' | 'delete' | 'list';
