/**
 * The object store as a lease holder sees it: every put and delete first checks the writer lease
 * (writer-lease.ts), so a store whose lease has lapsed changes nothing in the object store. A
 * manifest put refused this way fails with MANIFEST_CONFLICT (another writer may own the collection
 * now); any other put or delete with LEASE_LOST. A WAL batch whose put completed after the lease
 * lapsed may or may not be seen by the next writer, so that write fails as WRITE_INDETERMINATE and is
 * never acknowledged. Reads pass through untouched.
 *
 * It must never let a put or delete start without a valid lease.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectHead, ObjectStore, PutOptions, RequestOptions } from '../../object-store/object-store.ts';
import { parseManifestKey } from '../remote/remote-layout.ts';
import type { WriterLease } from './writer-lease.ts';

const WAL_KEY = /\/wal\/\d{20}\.arrow$/;

export class FencedObjectStore implements ObjectStore {
  readonly #store: ObjectStore;
  readonly #lease: WriterLease;

  constructor(store: ObjectStore, lease: WriterLease) {
    this.#store = store;
    this.#lease = lease;
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }> {
    this.#checkBefore(key);
    const result = await this.#store.put(key, body, options);
    if (WAL_KEY.test(key) && !this.#lease.valid) {
      throw new TierVecError(
        ErrorCode.WRITE_INDETERMINATE,
        `WAL batch ${key} was stored after the writer lease (term ${this.#lease.term}) lapsed: the next writer may or may not replay it`,
        { details: { key, term: this.#lease.term } },
      );
    }
    return result;
  }

  get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.#store.get(key, options);
  }

  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    return this.#store.head(key, options);
  }

  async delete(key: string, options?: RequestOptions): Promise<void> {
    this.#checkBefore(key);
    await this.#store.delete(key, options);
  }

  list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    return this.#store.list(prefix, options);
  }

  #checkBefore(key: string): void {
    try {
      this.#lease.check();
    } catch (error) {
      if (parseManifestKey(key) === undefined) throw error;
      throw new TierVecError(
        ErrorCode.MANIFEST_CONFLICT,
        `Manifest ${key} was not published: ${(error as Error).message}`,
        { cause: error, details: { key, term: this.#lease.term } },
      );
    }
  }
}
