/**
 * A collection as a read replica serves it: a handle that stays valid across refreshes. Every call
 * runs on the replica's current generation (the newest data it has loaded) and holds that generation
 * open until the call settles; writes reject with READ_ONLY. It must never write, and never serve a
 * call from a generation that was closed under it.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { CollectionInfo } from '../catalog.ts';
import type { WarmResult } from '../collection.ts';
import type { CollectionSpec } from '../collection-spec.ts';
import type { CollectionStats } from '../collection-stats.ts';
import type { WarmOptions } from '../partition/warm-target.ts';
import type { SearchHit, SearchOptions, StoredDocument } from '../search-path.ts';

/** What the replica needs of a collection of its inner store. */
export interface InnerCollection {
  readonly spec: CollectionSpec;
  get(id: string): Promise<StoredDocument | undefined>;
  search(vector: Float32Array | readonly number[], options?: SearchOptions): Promise<SearchHit[]>;
  count(): number;
  stats(): CollectionStats;
  setTier(tier: 'hot' | 'warm' | 'cold'): Promise<unknown>;
  warm(options: WarmOptions): Promise<WarmResult>;
}

/** What the replica needs of its inner store (a store opened on the cache, on the read-only object store). */
export interface InnerStore {
  collection(name: string, options?: { tenant?: string }): InnerCollection;
  listCollections(options?: { tenant?: string }): Promise<CollectionInfo[]>;
  close(): Promise<void>;
}

/** Runs `use` on the current generation's inner store and keeps that generation open meanwhile. */
export type WithInner = <T>(use: (store: InnerStore) => T | Promise<T>) => Promise<T>;

export function readOnlyError(what: string): TierVecError {
  return new TierVecError(
    ErrorCode.READ_ONLY,
    `${what} refused: this store is a read replica (opened with readOnly: true); write to the store that holds the writer lease`,
    { details: { operation: what } },
  );
}

export class ReplicaCollection {
  readonly name: string;
  readonly tenant: string;
  readonly #withInner: WithInner;

  constructor(name: string, tenant: string, withInner: WithInner) {
    this.name = name;
    this.tenant = tenant;
    this.#withInner = withInner;
  }

  #run<T>(use: (collection: InnerCollection) => T | Promise<T>): Promise<T> {
    return this.#withInner((store) => use(store.collection(this.name, { tenant: this.tenant })));
  }

  /** The document with this id as of the replica's data, or undefined. */
  get(id: string): Promise<StoredDocument | undefined> {
    return this.#run((collection) => collection.get(id));
  }

  /** k nearest live documents as of the replica's data (see Collection.search). */
  search(vector: Float32Array | readonly number[], options?: SearchOptions): Promise<SearchHit[]> {
    return this.#run((collection) => collection.search(vector, options));
  }

  /** Live documents as of the replica's data. */
  count(): Promise<number> {
    return this.#run((collection) => collection.count());
  }

  stats(): Promise<CollectionStats> {
    return this.#run((collection) => collection.stats());
  }

  /**
   * Pre-loads before traffic, as Collection.warm does, from the replica's current data: a replica
   * about to take searches brings the partitions they will probe to its local cache and memory. The
   * bodies fetched also stay in the replica's object cache (`replicaCacheBytesMax`), so a later
   * generation loads them without GETs; data a later refresh brings in is not warmed by this call.
   */
  warm(options: WarmOptions): Promise<WarmResult> {
    return this.#run((collection) => collection.warm(options));
  }

  async insert(_documents: readonly unknown[]): Promise<never> {
    throw readOnlyError(`insert into collection ${describeValue(this.name)}`);
  }

  async upsert(_documents: readonly unknown[]): Promise<never> {
    throw readOnlyError(`upsert into collection ${describeValue(this.name)}`);
  }

  async delete(_ids: readonly string[]): Promise<never> {
    throw readOnlyError(`delete from collection ${describeValue(this.name)}`);
  }

  async flush(): Promise<never> {
    throw readOnlyError(`flush of collection ${describeValue(this.name)}`);
  }

  async compact(_options?: unknown): Promise<never> {
    throw readOnlyError(`compact of collection ${describeValue(this.name)}`);
  }

  async publish(): Promise<never> {
    throw readOnlyError(`publish of collection ${describeValue(this.name)}`);
  }
}
