/**
 * `openStore()`: the store that owns a directory. It keeps the catalog of collections per tenant,
 * opens (and so recovers) every collection on open, enforces tenant quotas, serializes catalog
 * changes, and closes everything on `close()`.
 *
 * Layout under `dir`:
 *   LOCK                                         owner process id (one store per directory)
 *   catalog.json                                 tenants' collections and their specs
 *   tenants/{tenant}/collections/{name}/         one collection:
 *     wal/{seq:020d}.wal  manifest/{version:020d}.json  segments/{id}.arrow|.hnsw  tombstones/{version:020d}.json
 *
 * The store must never expose one tenant's collection to another tenant's handle, and never report a
 * collection created before its catalog entry is durable.
 */

import { join } from 'node:path';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LocalObjectStore } from '../object-store/local.ts';
import { Serial } from '../serial.ts';
import type { ReplayOutcome } from '../uploaders/parallel-uploader.ts';
import { type CatalogEntry, type CollectionInfo, readCatalog, writeCatalog } from './catalog.ts';
import { Collection, closeCollection, collectionUsage, dropCollection } from './collection.ts';
import type { CollectionContext } from './collection-context.ts';
import { createCollectionFiles } from './collection-dirs.ts';
import {
  COLLECTION_DEFAULTS,
  type CollectionSpec,
  type CollectionSpecInput,
  specDifferences,
  validateCollectionSpec,
} from './collection-spec.ts';
import { acquireDirLock, type DirLock } from './dir-lock.ts';
import { readFileIfExists } from './durable-file.ts';
import { readdir, rm } from './file-system.ts';
import { openStoreLease } from './lease/store-lease.ts';
import type { LeaseStats, WriterLease } from './lease/writer-lease.ts';
import { initialManifest } from './manifest.ts';
import { checkLimit, type TenantQuota, type Usage } from './quota.ts';
import {
  deleteRemoteCollection,
  downloadTombstoneFiles,
  findRemoteCollections,
  localManifestOf,
} from './remote/object-store-import.ts';
import type { RemoteManifest } from './remote/remote-manifest.ts';
import type { ReplicaStoreOptions } from './replica/replica-options.ts';
import { isReplicaOptions, openReplicaStore, type ReplicaStore } from './replica/replica-store.ts';
import { makeStoreDir } from './store-dir.ts';
import { storeMetricsText } from './store-metrics.ts';
import {
  type Durability,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  type StoreOptions,
} from './store-options.ts';
import { locateStore } from './store-url.ts';
import type { StoreWarning } from './store-warning.ts';
import { Tenant, type TenantOption } from './tenant.ts';
import { ObjectTier } from './tiering/object-tier.ts';
import { checkOptionsObject, validateName } from './validation.ts';

export interface StoreStats {
  dir: string;
  durability: Durability;
  collections: number;
  tenants: Record<string, { collections: number; vectors: number; bytes: number }>;
  warnings: number;
  /** The writer lease, when the store took one (`lease` option). */
  lease?: LeaseStats;
}

/** Opens the store that owns `options.dir`; with `readOnly: true`, a read replica (replica-store.ts). */
export function openStore(options: ReplicaStoreOptions): Promise<ReplicaStore>;
export function openStore(options: StoreOptions): Promise<Store>;
export function openStore(options: StoreOptions | ReplicaStoreOptions): Promise<Store | ReplicaStore> {
  if (isReplicaOptions(options)) return openReplicaStore(options, openWriter);
  return openWriter(options);
}

async function openWriter(options: StoreOptions): Promise<Store> {
  const located = locateStore(options);
  let lock: DirLock | undefined;
  let objectTier: ObjectTier | undefined;
  let lease: Awaited<ReturnType<typeof openStoreLease>> | undefined;
  try {
    const resolved = resolveStoreOptions(located.options);
    await makeStoreDir(resolved.dir);
    lock = await acquireDirLock(resolved.dir);
    const warn = resolved.onWarning;
    if (resolved.lease)
      lease = await openStoreLease(resolved.lease, resolved.objectStore, resolved.clock, warn);
    objectTier = await ObjectTier.open({
      dir: resolved.dir,
      objectStore:
        lease?.objectStore ??
        resolved.objectStore ??
        new LocalObjectStore({ dir: join(resolved.dir, 'objects') }),
      clock: resolved.clock,
      tiering: resolved.tiering,
      uploads: resolved.uploads,
      onTierEvent: resolved.onTierEvent,
    });
    const store = new Store(resolved, lock, objectTier, located.close, lease?.lease);
    await store.open();
    return store;
  } catch (error) {
    await objectTier?.close();
    await lease?.lease.release();
    await lock?.release();
    located.close();
    throw error;
  }
}

function keyOf(tenant: string, name: string): string {
  return `${tenant}/${name}`;
}

export class Store {
  readonly #options: ResolvedStoreOptions;
  readonly #lock: DirLock;
  readonly #objectTier: ObjectTier;
  /** Releases what `openStore` made from a `url` (an S3 client's sockets). */
  readonly #releaseUrl: () => void;
  readonly #lease: WriterLease | undefined;
  readonly #collections = new Map<string, Collection>();
  #catalog: CatalogEntry[] = [];
  /** Catalog changes run one at a time, in call order. */
  readonly #catalogChanges = new Serial();
  #closed = false;
  #opened = false;
  #warnings = 0;

  /** Use `openStore()`. */
  constructor(
    options: ResolvedStoreOptions,
    lock: DirLock,
    objectTier: ObjectTier,
    releaseUrl: () => void = () => undefined,
    lease?: WriterLease,
  ) {
    this.#lease = lease;
    this.#options = options;
    this.#lock = lock;
    this.#objectTier = objectTier;
    this.#releaseUrl = releaseUrl;
  }

  get dir(): string {
    return this.#options.dir;
  }

  /** Reads the catalog, removes leftovers of interrupted creates and drops, opens every collection. */
  async open(): Promise<void> {
    if (this.#opened) throw new Error('Store.open: already opened');
    this.#opened = true;
    const fresh = (await readFileIfExists(join(this.#options.dir, 'catalog.json'))) === undefined;
    this.#catalog = await readCatalog(this.#options.dir);
    // A store on a directory it has never used opens whatever collections the object store holds.
    const imported = fresh ? await this.#importFromObjectStore() : new Map<string, RemoteManifest>();
    await this.#removeUncataloguedDirs();
    try {
      for (const entry of this.#catalog) {
        const key = keyOf(entry.spec.tenant, entry.spec.name);
        const collection = await Collection.open(this.#contextFor(entry, imported.get(key)), entry.spec);
        this.#collections.set(keyOf(entry.spec.tenant, entry.spec.name), collection);
      }
    } catch (error) {
      for (const collection of this.#collections.values()) await collection[closeCollection]();
      throw error;
    }
  }

  /**
   * Lays down every collection whose manifest is in the object store (manifest and tombstone files,
   * no segments: they open cold) and catalogs them.
   */
  async #importFromObjectStore(): Promise<Map<string, RemoteManifest>> {
    const { objectStore, uploader } = this.#objectTier;
    const found = await findRemoteCollections(objectStore, uploader);
    const imported = new Map<string, RemoteManifest>();
    if (found.length === 0) return imported;
    const catalog: CatalogEntry[] = [];
    for (const { manifest, taken } of found) {
      const dir = this.#collectionDir(manifest.tenant, manifest.collection);
      await rm(dir, { recursive: true, force: true });
      await createCollectionFiles(dir, localManifestOf(manifest, taken));
      await downloadTombstoneFiles(dir, manifest, objectStore, uploader);
      catalog.push({ spec: manifest.spec, createdAtMs: manifest.collectionCreatedAtMs });
      imported.set(keyOf(manifest.tenant, manifest.collection), manifest);
    }
    await writeCatalog(this.#options.dir, catalog);
    this.#catalog = catalog;
    return imported;
  }

  async #removeUncataloguedDirs(): Promise<void> {
    const tenantsDir = join(this.#options.dir, 'tenants');
    const known = new Set(this.#catalog.map((entry) => keyOf(entry.spec.tenant, entry.spec.name)));
    const removed: string[] = [];
    for (const tenant of await readdirIfExists(tenantsDir)) {
      const collectionsDir = join(tenantsDir, tenant, 'collections');
      for (const name of await readdirIfExists(collectionsDir)) {
        if (known.has(keyOf(tenant, name))) continue;
        await rm(join(collectionsDir, name), { recursive: true, force: true });
        removed.push(keyOf(tenant, name));
      }
    }
    if (removed.length > 0) {
      this.#warn({
        code: 'LEFTOVERS_REMOVED',
        message: `Removed the directories of ${removed.length} collection(s) not in the catalog (an interrupted create or drop): ${removed.join(', ')}`,
        details: { collections: removed },
      });
    }
  }

  #contextFor({ spec, createdAtMs }: CatalogEntry, imported?: RemoteManifest): CollectionContext {
    const options = this.#options;
    return {
      objectTier: this.#objectTier,
      createdAtMs,
      imported,
      dir: this.#collectionDir(spec.tenant, spec.name),
      clock: options.clock,
      // The object store makes 'object-store' writes durable; the local WAL only speeds up restarts.
      durability: options.durability === 'object-store' ? 'buffered' : options.durability,
      objectStoreWal: options.durability === 'object-store',
      segmentVectorsMax: options.segmentVectorsMax,
      bufferedFlushIntervalMs: options.bufferedFlushIntervalMs,
      walPendingBytesMax: options.walPendingBytesMax,
      ...(this.#lease === undefined ? {} : { writeGuard: () => this.#lease?.check() }),
      checkTenantQuota: (vectors, bytes) => this.#checkTenantQuota(spec.tenant, vectors, bytes),
      warn: (warning) => this.#warn({ ...warning, tenant: spec.tenant, collection: spec.name }),
    };
  }

  #collectionDir(tenant: string, name: string): string {
    return join(this.#options.dir, 'tenants', tenant, 'collections', name);
  }

  #warn(warning: StoreWarning): void {
    this.#warnings++;
    this.#options.onWarning(warning);
  }

  #tenantQuota(tenant: string): Readonly<TenantQuota> {
    return this.#options.tenantQuotas.get(tenant) ?? this.#options.tenantQuota;
  }

  #tenantUsage(tenant: string): Usage & { collections: number } {
    const usage = { collections: 0, vectors: 0, bytes: 0 };
    for (const collection of this.#collections.values()) {
      if (collection.tenant !== tenant) continue;
      const used = collection[collectionUsage]();
      usage.collections++;
      usage.vectors += used.vectors;
      usage.bytes += used.bytes;
    }
    return usage;
  }

  #checkTenantQuota(tenant: string, vectors: number, bytes: number): void {
    const quota = this.#tenantQuota(tenant);
    if (quota.vectorsMax === undefined && quota.bytesMax === undefined) return;
    const usage = this.#tenantUsage(tenant);
    const scope = `tenant ${describeValue(tenant)}`;
    checkLimit(scope, 'vectorsMax', quota.vectorsMax, usage.vectors, vectors, 'vectors');
    checkLimit(scope, 'bytesMax', quota.bytesMax, usage.bytes, bytes, 'bytes');
  }

  #checkOpen(): void {
    if (this.#closed) throw new TierVecError(ErrorCode.CLOSED, `Store ${this.#options.dir} is closed`);
  }

  #tenantOf(options: TenantOption | undefined): string {
    const checked = checkOptionsObject('options', options ?? {}, ['tenant']);
    return validateName('tenant name', checked.tenant ?? COLLECTION_DEFAULTS.tenant);
  }

  /** Creates a collection; COLLECTION_EXISTS when the tenant already has one with that name. */
  async createCollection(input: CollectionSpecInput): Promise<Collection> {
    this.#checkOpen();
    const spec = validateCollectionSpec(input);
    return this.#catalogChanges.run(() => this.#create(spec));
  }

  /**
   * The collection `input` names, created with that spec when the tenant has none by that name. An
   * existing collection must have the same spec once defaults are filled in (dimension, metric, hnsw
   * and quota), else COLLECTION_SPEC_MISMATCH names the fields that differ and nothing changes.
   */
  getOrCreateCollection(input: CollectionSpecInput): Promise<Collection> {
    this.#checkOpen();
    const spec = validateCollectionSpec(input);
    return this.#catalogChanges.run(async () => {
      this.#checkOpen();
      const existing = this.#collections.get(keyOf(spec.tenant, spec.name));
      if (existing === undefined) return this.#create(spec);
      const differences = specDifferences(existing.spec, spec);
      if (differences.length > 0) {
        const listed = differences.map(
          (d) =>
            `\`${d.field}\` is ${describeValue(d.existing)} there, ${describeValue(d.requested)} requested`,
        );
        throw new TierVecError(
          ErrorCode.COLLECTION_SPEC_MISMATCH,
          `Collection ${describeValue(spec.name)} of tenant ${describeValue(spec.tenant)} exists with another spec: ${listed.join('; ')}`,
          { details: { tenant: spec.tenant, name: spec.name, differences } },
        );
      }
      return existing;
    });
  }

  /** Creates a collection (a catalog change: runs in its turn). */
  async #create(spec: CollectionSpec): Promise<Collection> {
    this.#checkOpen();
    const key = keyOf(spec.tenant, spec.name);
    if (this.#collections.has(key)) {
      throw new TierVecError(
        ErrorCode.COLLECTION_EXISTS,
        `Collection ${describeValue(spec.name)} already exists in tenant ${describeValue(spec.tenant)}`,
        { details: { tenant: spec.tenant, name: spec.name } },
      );
    }
    const usage = this.#tenantUsage(spec.tenant);
    const limit = this.#tenantQuota(spec.tenant).collectionsMax;
    const scope = `tenant ${describeValue(spec.tenant)}`;
    checkLimit(scope, 'collectionsMax', limit, usage.collections, 1, 'collections');
    const dir = this.#collectionDir(spec.tenant, spec.name);
    const createdAtMs = this.#options.clock.now();
    await rm(dir, { recursive: true, force: true });
    await createCollectionFiles(dir, initialManifest(spec, createdAtMs));
    const catalog = [...this.#catalog, { spec, createdAtMs }];
    await writeCatalog(this.#options.dir, catalog);
    this.#catalog = catalog;
    const collection = await Collection.open(this.#contextFor({ spec, createdAtMs }), spec);
    this.#collections.set(key, collection);
    return collection;
  }

  /** The collection's handle; COLLECTION_NOT_FOUND when the tenant has no such collection. */
  collection(name: string, options?: TenantOption): Collection {
    this.#checkOpen();
    const tenant = this.#tenantOf(options);
    validateName('collection name', name);
    const collection = this.#collections.get(keyOf(tenant, name));
    if (collection === undefined) {
      throw new TierVecError(
        ErrorCode.COLLECTION_NOT_FOUND,
        `No collection ${describeValue(name)} in tenant ${describeValue(tenant)}`,
        { details: { tenant, name } },
      );
    }
    return collection;
  }

  /** The tenant's collections, by name. */
  async listCollections(options?: TenantOption): Promise<CollectionInfo[]> {
    this.#checkOpen();
    const tenant = this.#tenantOf(options);
    return this.#catalog
      .filter((entry) => entry.spec.tenant === tenant)
      .map(({ spec, createdAtMs }) => ({
        tenant: spec.tenant,
        name: spec.name,
        dimension: spec.dimension,
        metric: spec.metric,
        hnsw: spec.hnsw,
        quota: spec.quota,
        createdAtMs,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Drops a collection and deletes its data; COLLECTION_NOT_FOUND when absent. */
  async dropCollection(name: string, options?: TenantOption): Promise<void> {
    this.#checkOpen();
    const tenant = this.#tenantOf(options);
    const collection = this.collection(name, { tenant });
    await this.#catalogChanges.run(async () => {
      if (this.#collections.get(keyOf(tenant, name)) !== collection) {
        throw new TierVecError(
          ErrorCode.COLLECTION_NOT_FOUND,
          `No collection ${describeValue(name)} in tenant ${describeValue(tenant)}`,
          {
            details: { tenant, name },
          },
        );
      }
      await collection[dropCollection]();
      this.#collections.delete(keyOf(tenant, name));
      const catalog = this.#catalog.filter(
        (entry) => !(entry.spec.tenant === tenant && entry.spec.name === name),
      );
      await writeCatalog(this.#options.dir, catalog);
      this.#catalog = catalog;
      await rm(this.#collectionDir(tenant, name), { recursive: true, force: true });
      await this.#dropRemote(tenant, name);
    });
  }

  /** Removes a dropped collection from the object store, so no new machine opens it again. */
  async #dropRemote(tenant: string, name: string): Promise<void> {
    const { objectStore, uploader } = this.#objectTier;
    try {
      const failed = await deleteRemoteCollection(objectStore, uploader, tenant, name);
      if (failed.length === 0) return;
      throw new Error(`${failed.length} object(s) could not be deleted (${failed[0]}, …)`);
    } catch (error) {
      this.#warn({
        code: 'CLEANUP_FAILED',
        message: `Collection ${describeValue(name)} was dropped, but deleting it from the object store failed: ${(error as Error).message}. A store opened on an empty directory may find it there`,
        tenant,
        collection: name,
      });
    }
  }

  /** A handle that sees and touches only this tenant's collections. */
  tenant(name: string): Tenant {
    this.#checkOpen();
    return new Tenant(this, validateName('tenant name', name));
  }

  stats(): StoreStats {
    this.#checkOpen();
    const tenants: StoreStats['tenants'] = {};
    for (const entry of this.#catalog) {
      const tenant = entry.spec.tenant;
      if (tenants[tenant] === undefined) {
        const { collections, vectors, bytes } = this.#tenantUsage(tenant);
        tenants[tenant] = { collections, vectors, bytes };
      }
    }
    return {
      dir: this.#options.dir,
      durability: this.#options.durability,
      collections: this.#collections.size,
      tenants,
      warnings: this.#warnings,
      ...(this.#lease === undefined ? {} : { lease: this.#lease.stats() }),
    };
  }

  /**
   * The store's figures as OpenMetrics text for a scrape endpoint: tiers, transitions, uploads,
   * the circuit breaker, dead letters and the WAL of every open collection (see store-metrics.ts).
   */
  metrics(): Promise<string> {
    this.#checkOpen();
    const collections = [...this.#collections.values()].map((collection) => collection.stats());
    return storeMetricsText({ store: this.stats(), collections, uploads: this.#objectTier.uploadsStats() });
  }

  /**
   * Re-uploads every entry of the store's dead-letter queue (segments, manifests' objects, WAL
   * batches that failed to upload) through the uploader's retries and breaker; an entry is removed
   * only once uploaded. Resolves with each entry's outcome.
   */
  async replayDeadLetters(): Promise<ReplayOutcome[]> {
    this.#checkOpen();
    return this.#objectTier.uploader.deadLetters.replay();
  }

  /** Lets accepted writes finish, closes every collection's WAL, and releases the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#catalogChanges.idle();
    for (const collection of this.#collections.values()) await collection[closeCollection]();
    await this.#objectTier.close();
    await this.#lease?.release();
    this.#releaseUrl();
    await this.#lock.release();
  }
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
