/**
 * One collection's side of tiering: its object-store presence (`CollectionRemote`), its transition
 * accounting and events, and its segments' registration with the store-wide TierManager. The
 * collection calls in at a few points (open, seal, search, get, close) and exposes tier control
 * (`setTier`, `pin`, `publish`) through it, so the collection's own code stays about documents.
 */

import { join } from 'node:path';
import type { Clock } from '../../clock.ts';
import { describeValue, ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import { access } from '../file-system.ts';
import type { Manifest } from '../manifest.ts';
import { CollectionRemote, type PublishOutcome, type RemoteStats } from '../remote/collection-remote.ts';
import { RemoteLayout } from '../remote/remote-layout.ts';
import type { RemoteManifest } from '../remote/remote-manifest.ts';
import { RemoteWal, type RemoteWalStats } from '../remote/remote-wal.ts';
import { SealedSegment } from '../segment/sealed-segment.ts';
import type { SegmentDescriptor } from '../segment/segment-file.ts';
import type { SegmentMemory } from '../segment/segment-memory.ts';
import type { StoreWarning } from '../store-warning.ts';
import { checkOptionsObject } from '../validation.ts';
import type { ObjectTier, UploadsStats } from './object-tier.ts';
import {
  TierAccounting,
  type TierEventListener,
  type TierReason,
  type TransitionStats,
} from './tier-accounting.ts';
import type { SetTierResult, TierOwner, TierUsage } from './tier-manager.ts';
import { checkTier } from './tiering-options.ts';
import { type WarmOutcome, warmSegments } from './warm-segments.ts';

export interface CollectionTieringOptions {
  readonly objectTier: ObjectTier;
  readonly tenant: string;
  readonly name: string;
  readonly dir: string;
  readonly clock: Clock;
  readonly collectionCreatedAtMs: number;
  /** The published manifest, when the collection is being opened from the object store. */
  readonly imported?: RemoteManifest;
  /** Durability 'object-store': the collection's WAL records also go to the object store. */
  readonly objectStoreWal?: { readonly dimension: number };
  readonly warn: (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;
  /** Throws (LEASE_LOST) once the store may no longer write; a publish checks it first. */
  readonly writeGuard?: () => void;
}

export interface TieringStats {
  pinned: boolean;
  promotionFailures: number;
  remote: RemoteStats;
  /** The object-store WAL (durability 'object-store'); undefined otherwise. */
  remoteWal: RemoteWalStats | undefined;
  uploads: UploadsStats;
}

export class CollectionTiering {
  readonly remote: CollectionRemote;
  readonly accounting: TierAccounting;
  /** The object-store WAL (durability 'object-store' only). */
  readonly remoteWal: RemoteWal | undefined;
  readonly #objectTier: ObjectTier;
  readonly #owner: TierOwner;
  readonly #warn: CollectionTieringOptions['warn'];

  private constructor(
    objectTier: ObjectTier,
    remote: CollectionRemote,
    accounting: TierAccounting,
    remoteWal: RemoteWal | undefined,
    warn: CollectionTieringOptions['warn'],
  ) {
    this.#objectTier = objectTier;
    this.#warn = warn;
    this.remote = remote;
    this.accounting = accounting;
    this.remoteWal = remoteWal;
    this.#owner = {
      tenant: accounting.tenant,
      name: accounting.collection,
      remote,
      accounting,
      pinned: false,
    };
  }

  static async open(options: CollectionTieringOptions): Promise<CollectionTiering> {
    const { objectTier } = options;
    const accounting = new TierAccounting(options.tenant, options.name, objectTier.onTierEvent);
    let onPublished: (manifest: RemoteManifest, previous: RemoteManifest | undefined) => void = () =>
      undefined;
    const layout = new RemoteLayout(options.tenant, options.name);
    const remote = await CollectionRemote.open(
      {
        layout,
        objectStore: objectTier.objectStore,
        uploader: objectTier.uploader,
        dir: options.dir,
        clock: options.clock,
        collectionCreatedAtMs: options.collectionCreatedAtMs,
        publishRetryMs: objectTier.tiers.options.publishRetryMs,
        warn: options.warn,
        writeGuard: options.writeGuard,
        onPublished: (manifest, previous) => onPublished(manifest, previous),
      },
      options.imported?.uid,
    );
    if (options.imported !== undefined) remote.adoptPublished(options.imported);
    const remoteWal =
      options.objectStoreWal === undefined
        ? undefined
        : new RemoteWal({
            layout,
            objectStore: objectTier.objectStore,
            uploader: objectTier.uploader,
            clock: options.clock,
            dimension: options.objectStoreWal.dimension,
          });
    const tiering = new CollectionTiering(objectTier, remote, accounting, remoteWal, options.warn);
    onPublished = (manifest, previous) => {
      // Newly durable segments may now go cold: let the policy look again.
      objectTier.tiers.kick();
      // WAL batches the superseded manifest covers are no longer needed for recovery. Those only the
      // new one covers stay until the next publish: a store on a new machine that read the
      // superseded manifest (it stays in the object store) replays them from there.
      remoteWal?.release(previous?.sealedLsn ?? 0).catch((error: Error) =>
        options.warn({
          code: 'CLEANUP_FAILED',
          message: `Deleting WAL batches covered by manifest ${manifest.version} failed (retried after the next publish): ${error.message}`,
        }),
      );
    };
    return tiering;
  }

  /**
   * Opens a sealed segment named by the manifest: from its local files when they are there (it is
   * then hot), else cold, from its id companion (cached locally or downloaded). Local files that fail
   * their check are a damaged cache when the object store holds the segment (downloads are not
   * fsynced, so a crash may tear them): they are removed and the segment opens cold, downloaded
   * again when needed. A damaged segment the object store does not hold stays CORRUPT_DATA.
   */
  async openSegment(
    segmentsDir: string,
    descriptor: SegmentDescriptor,
    tombstones: readonly number[],
    flat = false,
  ): Promise<{ segment: SealedSegment; idOf: (row: number) => string }> {
    if (await filesExist(segmentsDir, descriptor)) {
      try {
        const segment = await SealedSegment.open(segmentsDir, descriptor, tombstones, { flat });
        const memory = segment.loaded() as SegmentMemory;
        return { segment, idOf: (row) => memory.id(row) };
      } catch (error) {
        if (!isTierVecError(error, ErrorCode.CORRUPT_DATA) || !(await this.remote.holdsSegment(descriptor))) {
          throw error;
        }
        await this.remote.removeLocalFiles(descriptor);
        this.#warn({
          code: 'DAMAGED_CACHE_REMOVED',
          message: `Local files of segment ${descriptor.id} failed their check (${error.message}); the object store holds the segment, so they were removed and it is downloaded again when needed`,
          details: { segment: descriptor.id },
        });
      }
    }
    const ids = await this.remote.segmentIds(descriptor);
    const segment = SealedSegment.cold(segmentsDir, descriptor, ids, tombstones);
    segment.setFlat(flat);
    return { segment, idOf: (row) => ids.ids[row] as string };
  }

  register(segment: SealedSegment): void {
    this.#objectTier.tiers.register(this.#owner, segment);
  }

  unregister(segments: Iterable<SealedSegment>): void {
    this.#objectTier.tiers.unregister(segments);
  }

  /** A new local manifest is durable: publish it in the background and let the policy look again. */
  manifestWritten(manifest: Manifest): void {
    this.remote.request(manifest);
    this.#objectTier.tiers.kick();
  }

  /** Resolves once some manifest of the collection is durable in the object store (publishing `manifest` if none is). */
  ensurePublished(manifest: Manifest): Promise<void> {
    if ((this.remote.stats().version ?? 0) > 0) return Promise.resolve();
    return this.remote.publish(manifest).then(() => undefined);
  }

  /** Publishes `manifest` now; rejects with the typed reason when it cannot be. */
  publish(manifest: Manifest): Promise<PublishOutcome> {
    return this.remote.publish(manifest);
  }

  acquire(segment: SealedSegment, reason: TierReason): Promise<SegmentMemory> {
    return this.#objectTier.tiers.acquire(segment, reason);
  }

  release(segment: SealedSegment): void {
    this.#objectTier.tiers.release(segment);
  }

  /** Releases segments acquired once each (a no-op for segments no longer registered). */
  releaseAll(segments: Iterable<SealedSegment>): void {
    for (const segment of segments) this.#objectTier.tiers.release(segment);
  }

  forEachLoaded(
    segments: readonly SealedSegment[],
    reason: TierReason,
    use: (memory: SegmentMemory, segment: SealedSegment) => void,
  ): Promise<void> {
    return this.#objectTier.tiers.forEachLoaded(segments, reason, use);
  }

  /** Validates before anything moves: a bad tier or options, or an unknown segment id, throw INVALID_ARGUMENT. */
  async setTier(tier: unknown, options?: unknown): Promise<SetTierResult> {
    const checked = checkTier(tier);
    const segmentIds = checkSetTierOptions(options);
    return this.#objectTier.tiers.setTier(this.#owner, checked, segmentIds);
  }

  /** Brings `segments` (most wanted first) local and into memory as far as the budgets allow. */
  warm(segments: readonly SealedSegment[], signal?: AbortSignal): Promise<WarmOutcome> {
    return warmSegments(this.#objectTier.tiers, segments, signal);
  }

  pin(): Promise<void> {
    return this.#objectTier.tiers.pin(this.#owner);
  }

  unpin(): void {
    this.#objectTier.tiers.unpin(this.#owner);
  }

  listen(listener: TierEventListener): () => void {
    return this.accounting.listen(listener);
  }

  usage(): TierUsage {
    return this.#objectTier.tiers.usage(this.#owner);
  }

  transitions(): TransitionStats {
    return this.accounting.stats();
  }

  stats(): TieringStats {
    return {
      pinned: this.#owner.pinned,
      promotionFailures: this.accounting.promotionFailures,
      remote: this.remote.stats(),
      remoteWal: this.remoteWal?.stats(),
      uploads: this.#objectTier.uploadsStats(),
    };
  }

  /** Waits for budget enforcement in progress (tests use it after an access). */
  settle(): Promise<void> {
    return this.#objectTier.tiers.settle();
  }

  async close(): Promise<void> {
    this.#objectTier.tiers.unregisterOwner(this.#owner);
    await this.remoteWal?.close();
    await this.remote.close();
  }
}

/** The segment ids of `setTier`'s options, or undefined for the whole collection. */
function checkSetTierOptions(options: unknown): readonly string[] | undefined {
  if (options === undefined) return undefined;
  const { segments } = checkOptionsObject('setTier options', options, ['segments']);
  if (segments === undefined) return undefined;
  if (!Array.isArray(segments) || segments.length === 0 || segments.some((id) => typeof id !== 'string')) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`segments\` to be a non-empty array of segment ids, got ${describeValue(segments)}`,
      { details: { option: 'segments', value: segments } },
    );
  }
  return [...new Set(segments as string[])];
}

async function filesExist(dir: string, descriptor: SegmentDescriptor): Promise<boolean> {
  try {
    await access(join(dir, descriptor.arrow.name));
    await access(join(dir, descriptor.hnsw.name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
