/**
 * The read replica's cache of object bodies across generations. Every object a replica reads is
 * written once and never replaced: segment files and their id companions are named by unique ids,
 * tombstone files, manifest versions and WAL batches are created with `ifNoneMatch: '*'`. So a body
 * read once serves every later generation, and a refresh fetches only what is new. Least recently
 * used bodies go first once `bytesMax` is reached; listings and heads always go to the store.
 *
 * It must never cache a key that can be overwritten (the writer lease is read by the writer only).
 */

import type { ObjectHead, ObjectStore, PutOptions, RequestOptions } from '../../object-store/object-store.ts';

const IMMUTABLE = /^tenants\/[^/]+\/collections\/[^/]+\/(segments|tombstones|manifest|wal)\//;

export class ReplicaObjectCache implements ObjectStore {
  readonly #store: ObjectStore;
  readonly #bytesMax: number;
  readonly #bodies = new Map<string, Uint8Array>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(store: ObjectStore, bytesMax: number) {
    this.#store = store;
    this.#bytesMax = bytesMax;
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }> {
    return this.#store.put(key, body, options);
  }

  async get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    const cached = this.#bodies.get(key);
    if (cached !== undefined) {
      this.hits++;
      // Most recently used goes last: Map keeps insertion order.
      this.#bodies.delete(key);
      this.#bodies.set(key, cached);
      return new Uint8Array(cached);
    }
    this.misses++;
    const body = await this.#store.get(key, options);
    if (IMMUTABLE.test(key) && body.byteLength <= this.#bytesMax) this.#keep(key, new Uint8Array(body));
    return body;
  }

  #keep(key: string, body: Uint8Array): void {
    if (this.#bodies.has(key)) return;
    this.#bodies.set(key, body);
    this.#bytes += body.byteLength;
    for (const [oldest, oldBody] of this.#bodies) {
      if (this.#bytes <= this.#bytesMax) break;
      this.#bodies.delete(oldest);
      this.#bytes -= oldBody.byteLength;
    }
  }

  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    return this.#store.head(key, options);
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    return this.#store.delete(key, options);
  }

  list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    return this.#store.list(prefix, options);
  }

  get bytes(): number {
    return this.#bytes;
  }
}
