/**
 * An ObjectStore that keeps every key of its user under one prefix of another store: the `prefix`
 * of `s3://bucket/prefix`, so several stores (or other data) can share a bucket. Keys and list
 * prefixes are checked by the inner store after the prefix is added, and listed keys come back with
 * the prefix removed. It adds nothing else and must never touch a key outside its prefix.
 */

import { validatePrefix } from './object-key.ts';
import type { ObjectHead, ObjectStore, PutOptions, RequestOptions } from './object-store.ts';

export class PrefixedObjectStore implements ObjectStore {
  readonly inner: ObjectStore;
  /** Empty, or ending with `/`. */
  readonly prefix: string;

  constructor(inner: ObjectStore, prefix: string) {
    validatePrefix(prefix);
    this.inner = inner;
    this.prefix = prefix;
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }> {
    return this.inner.put(this.prefix + key, body, options);
  }

  get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.inner.get(this.prefix + key, options);
  }

  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    return this.inner.head(this.prefix + key, options);
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    return this.inner.delete(this.prefix + key, options);
  }

  async *list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    for await (const key of this.inner.list(this.prefix + prefix, options)) {
      if (!key.startsWith(this.prefix)) {
        // Every ObjectStore lists only keys under the prefix asked for: this one broke that contract.
        throw new Error(`Listing ${this.prefix + prefix} returned ${key}, outside the prefix ${this.prefix}`);
      }
      yield key.slice(this.prefix.length);
    }
  }
}
