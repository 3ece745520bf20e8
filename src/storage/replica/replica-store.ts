/**
 * `openStore({ readOnly: true, objectStore })`: a read replica. It serves `get`, `search` and `count`
 * from what a writer published in the object store, any number of replicas per prefix, with local
 * disk only as a cache. It never writes to the object store: its inner stores are opened on a
 * ReadOnlyObjectStore, and every write through its API rejects with READ_ONLY.
 *
 * Data comes in generations. A generation is a store opened on a fresh cache directory from the
 * object store alone: the newest manifest of every collection, its segments fetched to local disk,
 * and the WAL batches a writer with durability 'object-store' left after that manifest, replayed. A
 * refresh (every `replicaPollIntervalMs`, and `refresh()`) lists `tenants/` (replica-state.ts); when
 * nothing changed, the current generation is confirmed fresh as of the listing; otherwise a new
 * generation is built and, if no manifest changed while it was built (so no WAL batch it needed was
 * released meanwhile), swapped in. Calls in flight finish on the generation they started on, which
 * is closed and removed once they have.
 *
 * Freshness: `freshAsOfMs` is when the listing that the current data reflects began. Every write the
 * writer acknowledged before it (durability 'object-store'), or published before it (other
 * durabilities), is visible. `stats().replica.lagMs` is the clock's now minus `freshAsOfMs`.
 *
 * This module must never write to the object store and never serve a call from a closed generation.
 */

import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TimerHandle } from '../../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import { Serial } from '../../serial.ts';
import type { CollectionInfo } from '../catalog.ts';
import { LIMITS } from '../limits.ts';
import type { StoreOptions } from '../store-options.ts';
import type { StoreWarning } from '../store-warning.ts';
import { ReadOnlyObjectStore } from './read-only-object-store.ts';
import { type InnerStore, ReplicaCollection, readOnlyError } from './replica-collection.ts';
import { ReplicaObjectCache } from './replica-object-cache.ts';
import {
  isReplicaOptions,
  type ReplicaStoreOptions,
  type ResolvedReplicaOptions,
  resolveReplicaOptions,
} from './replica-options.ts';
import { type ReplicaState, readReplicaState } from './replica-state.ts';

export { isReplicaOptions };

/** Opens a writer store (store.ts passes its own opener, so this module does not import it). */
export type OpenInnerStore = (options: StoreOptions) => Promise<InnerStore>;

/** Builds of one refresh when a manifest changes while a generation is built. */
const BUILD_ATTEMPTS_MAX = 3;
/** Warnings of the inner stores that only say a replica cannot write (expected, not reported). */
const QUIET_WARNINGS = new Set(['PUBLISH_FAILED', 'CLEANUP_FAILED', 'SEAL_FAILED', 'WAL_UPLOAD_FAILED']);

export interface ReplicaStats {
  dir: string;
  readOnly: true;
  collections: number;
  replica: {
    /** Newest manifest version the replica serves, over all collections, and per `tenant/collection`. */
    manifestVersion: number;
    manifestVersions: Record<string, number>;
    /** WAL batch objects replayed on top of the manifests (durability 'object-store'). */
    walBatches: number;
    generation: number;
    freshAsOfMs: number;
    lagMs: number;
    pollIntervalMs: number;
    refreshes: number;
    refreshFailures: number;
    lastError: string | undefined;
    /** Object bodies held across refreshes, and reads they answered or missed. */
    cacheBytes: number;
    cacheHits: number;
    cacheMisses: number;
  };
}

export type RefreshOutcome = { state: 'unchanged' | 'refreshed'; generation: number; freshAsOfMs: number };

interface Generation {
  readonly number: number;
  readonly dir: string;
  readonly store: InnerStore;
  readonly state: ReplicaState;
  readers: number;
  retired: boolean;
}

export async function openReplicaStore(
  input: ReplicaStoreOptions,
  openInner: OpenInnerStore,
): Promise<ReplicaStore> {
  const options = resolveReplicaOptions(input);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tiervec-replica-')));
  await mkdir(dir, { recursive: true });
  // Generations of an earlier process on this cache are stale: the cache is rebuilt from the object store.
  for (const name of await readdir(dir)) {
    if (name.startsWith('generation-')) await rm(join(dir, name), { recursive: true, force: true });
  }
  const replica = new ReplicaStore(options, dir, options.dir === undefined, openInner);
  try {
    await replica.refresh();
  } catch (error) {
    await replica.close();
    throw error;
  }
  replica.startPolling();
  return replica;
}

export class ReplicaStore {
  readonly dir: string;
  readonly #options: ResolvedReplicaOptions;
  readonly #ownsDir: boolean;
  readonly #openInner: OpenInnerStore;
  readonly #refreshes = new Serial();
  readonly #cache: ReplicaObjectCache;
  #current: Generation | undefined;
  #generations = 0;
  #freshAsOfMs = 0;
  #timer: TimerHandle | undefined;
  #closed = false;
  #failing = false;
  readonly #stats = { refreshes: 0, refreshFailures: 0, lastError: undefined as string | undefined };

  /** Use `openStore({ readOnly: true, … })`. */
  constructor(options: ResolvedReplicaOptions, dir: string, ownsDir: boolean, openInner: OpenInnerStore) {
    this.#options = options;
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.#openInner = openInner;
    this.#cache = new ReplicaObjectCache(options.objectStore, options.replicaCacheBytesMax);
  }

  /** Looks for new manifests and WAL batches now and loads them; resolves once the replica serves them. */
  refresh(): Promise<RefreshOutcome> {
    if (this.#closed) return Promise.reject(closedError(this.dir));
    return this.#refreshes.run(() => this.#refreshOnce());
  }

  async #refreshOnce(): Promise<RefreshOutcome> {
    for (let attempt = 1; ; attempt++) {
      const startedAtMs = this.#options.clock.now();
      const state = await readReplicaState(this.#options.objectStore);
      const current = this.#current;
      if (current !== undefined && current.state.key === state.key) {
        this.#freshAsOfMs = Math.max(this.#freshAsOfMs, startedAtMs);
        return { state: 'unchanged', generation: current.number, freshAsOfMs: this.#freshAsOfMs };
      }
      const generation = await this.#build(state);
      const after = await readReplicaState(this.#options.objectStore).catch(async (error: unknown) => {
        await this.#dispose(generation);
        throw error;
      });
      if (after.manifestKey !== state.manifestKey) {
        // A manifest moved on while this generation was built: WAL batches it needed may be gone.
        await this.#dispose(generation);
        if (attempt >= BUILD_ATTEMPTS_MAX) throw movedOn(attempt);
        continue;
      }
      this.#install(generation, startedAtMs);
      return { state: 'refreshed', generation: generation.number, freshAsOfMs: startedAtMs };
    }
  }

  async #build(state: ReplicaState): Promise<Generation> {
    const number = ++this.#generations;
    const dir = join(this.dir, `generation-${number}`);
    const { clock, tieringInput } = this.#options;
    const store = await this.#openInner({
      dir,
      objectStore: new ReadOnlyObjectStore(this.#cache),
      // Replays the writer's WAL batches; the cache's own WAL is written without fsync.
      durability: 'object-store',
      // A replica never seals: the writer's unsealed tail stays in its active segment.
      segmentVectorsMax: LIMITS.segmentVectorsMaxLimit,
      clock,
      onWarning: (warning) => this.#forward(warning),
      ...(tieringInput === undefined ? {} : { tiering: tieringInput }),
    });
    const generation: Generation = { number, dir, store, state, readers: 0, retired: false };
    try {
      // Segment files come to the cache now: a writer's compaction may delete them later.
      for (const info of await this.#listAll(store, state)) {
        await store.collection(info.name, { tenant: info.tenant }).setTier('warm');
      }
    } catch (error) {
      await this.#dispose(generation);
      throw error;
    }
    return generation;
  }

  /** Every collection of the state being loaded, from its manifest keys. */
  async #listAll(store: InnerStore, state: ReplicaState): Promise<CollectionInfo[]> {
    const tenants = new Set([...state.manifests.keys()].map((id) => id.split('/')[0] as string));
    const all: CollectionInfo[] = [];
    for (const tenant of tenants) all.push(...(await store.listCollections({ tenant })));
    return all;
  }

  #install(generation: Generation, freshAsOfMs: number): void {
    const previous = this.#current;
    this.#current = generation;
    this.#freshAsOfMs = Math.max(this.#freshAsOfMs, freshAsOfMs);
    this.#stats.refreshes++;
    if (previous !== undefined) this.#retire(previous);
  }

  #retire(generation: Generation): void {
    generation.retired = true;
    if (generation.readers === 0) void this.#dispose(generation);
  }

  async #dispose(generation: Generation): Promise<void> {
    try {
      await generation.store.close();
    } finally {
      await rm(generation.dir, { recursive: true, force: true });
    }
  }

  #forward(warning: StoreWarning): void {
    if (!QUIET_WARNINGS.has(warning.code)) this.#options.onWarning(warning);
  }

  /** Starts the background refresh (done by `openStore`). */
  startPolling(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.refresh()
        .then(() => {
          this.#failing = false;
          this.#stats.lastError = undefined;
        })
        .catch((error: Error) => this.#refreshFailed(error))
        .finally(() => {
          this.#timer = undefined;
          this.startPolling();
        });
    }, this.#options.replicaPollIntervalMs);
  }

  #refreshFailed(error: Error): void {
    if (this.#closed) return;
    this.#stats.refreshFailures++;
    this.#stats.lastError = error.message;
    if (this.#failing) return;
    this.#failing = true;
    this.#options.onWarning({
      code: 'REPLICA_REFRESH_FAILED',
      message: `A read replica could not load the newest data from the object store (it keeps serving what it has, retried every ${this.#options.replicaPollIntervalMs} ms): ${error.message}`,
    });
  }

  /** Runs `use` on the current generation, which stays open until it settles. */
  async #withInner<T>(use: (store: InnerStore) => T | Promise<T>): Promise<T> {
    const generation = this.#current;
    if (this.#closed || generation === undefined) throw closedError(this.dir);
    generation.readers++;
    try {
      return await use(generation.store);
    } finally {
      generation.readers--;
      if (generation.retired && generation.readers === 0) void this.#dispose(generation);
    }
  }

  /** A handle on a collection; stays valid across refreshes. COLLECTION_NOT_FOUND surfaces on use. */
  collection(name: string, options?: { tenant?: string }): ReplicaCollection {
    if (this.#closed) throw closedError(this.dir);
    const tenant = options?.tenant ?? 'default';
    return new ReplicaCollection(name, tenant, (use) => this.#withInner(use));
  }

  listCollections(options?: { tenant?: string }): Promise<CollectionInfo[]> {
    return this.#withInner((store) => store.listCollections(options));
  }

  stats(): ReplicaStats {
    if (this.#closed) throw closedError(this.dir);
    const state = this.#current?.state;
    const manifestVersions = Object.fromEntries(state?.manifests ?? []);
    const now = this.#options.clock.now();
    return {
      dir: this.dir,
      readOnly: true,
      collections: state?.manifests.size ?? 0,
      replica: {
        manifestVersion: Math.max(0, ...Object.values(manifestVersions)),
        manifestVersions,
        walBatches: state?.walBatches ?? 0,
        generation: this.#current?.number ?? 0,
        freshAsOfMs: this.#freshAsOfMs,
        lagMs: Math.max(0, now - this.#freshAsOfMs),
        pollIntervalMs: this.#options.replicaPollIntervalMs,
        ...this.#stats,
        cacheBytes: this.#cache.bytes,
        cacheHits: this.#cache.hits,
        cacheMisses: this.#cache.misses,
      },
    };
  }

  async createCollection(_input: unknown): Promise<never> {
    throw readOnlyError('createCollection');
  }

  async getOrCreateCollection(_input: unknown): Promise<never> {
    throw readOnlyError('getOrCreateCollection');
  }

  async dropCollection(name: string, _options?: unknown): Promise<never> {
    throw readOnlyError(`dropCollection of ${describeValue(name)}`);
  }

  async replayDeadLetters(): Promise<never> {
    throw readOnlyError('replayDeadLetters');
  }

  /** Stops refreshing, lets calls in flight finish, closes the cache (removed when the replica made it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    await this.#refreshes.idle();
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) {
      current.retired = true;
      if (current.readers === 0) await this.#dispose(current);
    }
    if (this.#ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

function closedError(dir: string): TierVecError {
  return new TierVecError(ErrorCode.CLOSED, `Read replica ${dir} is closed`);
}

function movedOn(attempts: number): TierVecError {
  return new TierVecError(
    ErrorCode.OBJECT_STORE,
    `The writer published new manifests while each of ${attempts} refresh attempts loaded the previous ones; the replica keeps its data and tries again at the next poll`,
    { details: { attempts } },
  );
}
