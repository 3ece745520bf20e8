/**
 * One collection: the write path (validate → WAL → apply → acknowledge), search across every segment,
 * tombstones, sealing, and recovery on open.
 *
 * Writes are validated against the collection as it will be once every accepted write is applied:
 * writes that are in the WAL queue but not yet durable are tracked in an overlay, so a duplicate id,
 * a quota or a delete count is judged correctly even under concurrency. A write is applied to the
 * in-memory segments only once the WAL reports it durable, in LSN order, and readers see only
 * applied writes: `get` and `search` never return something that a crash could take back.
 *
 * Sealing: when the active segment reaches `segmentVectorsMax` rows (or on `flush()`), it is frozen
 * (still searchable) and a background job writes its Arrow and index files, then a tombstone file for
 * the sealed rows deleted since the last manifest, then a new manifest whose `sealedLsn` covers them;
 * only after that manifest is durable are the WAL files it covers deleted. A crash at any point leaves
 * either the old manifest and the full WAL, or the new manifest; leftovers are removed on open.
 *
 * This module must never acknowledge a write before the WAL has it, and never remove a WAL file
 * before a durable manifest covers it.
 */

import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { checkInteger, describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { type CollectionSpec, sameSpec } from './collection-spec.ts';
import {
  type CompactionOptions,
  type CompactionResult,
  mergeSegments,
  planCompaction,
  type RowOrigin,
  resolveCompactionOptions,
} from './compaction.ts';
import { removeDurable } from './durable-file.ts';
import { compileFilter, type MetadataFilter, type MetadataPredicate } from './filter.ts';
import { LIMITS } from './limits.ts';
import {
  type Manifest,
  readLatestManifest,
  readTombstoneFile,
  type TombstoneFileRef,
  versionFileName,
  writeManifest,
  writeTombstoneFile,
} from './manifest.ts';
import { checkLimit, type Usage } from './quota.ts';
import type { PublishOutcome } from './remote/collection-remote.ts';
import type { RemoteManifest } from './remote/remote-manifest.ts';
import { ActiveSegment } from './segment/active-segment.ts';
import { norm } from './segment/distance.ts';
import type { HnswBuildParams } from './segment/hnsw-index.ts';
import { SealedSegment, type SegmentTier } from './segment/sealed-segment.ts';
import { type SegmentDescriptor, segmentIdFor, writeSegmentFiles } from './segment/segment-file.ts';
import type { RowHit, SegmentColumns, SegmentMemory } from './segment/segment-memory.ts';
import { compareCandidates } from './segment/top-k.ts';
import type { StoreWarning } from './store-warning.ts';
import { CollectionTiering, type TieringStats } from './tiering/collection-tiering.ts';
import type { ObjectTier } from './tiering/object-tier.ts';
import type { TierEventListener, TransitionStats } from './tiering/tier-accounting.ts';
import type { SetTierResult } from './tiering/tier-manager.ts';
import {
  checkOptionsObject,
  type DocumentInput,
  type Metadata,
  type ValidDocument,
  validateDocuments,
  validateId,
  validateIds,
  validateQueryVector,
} from './validation.ts';
import { Wal, type WalDurability, type WalStats } from './wal/wal.ts';
import { decodeOperation, encodeOperation, type WalOperation } from './wal/wal-record.ts';

export const SEARCH_DEFAULTS = Object.freeze({
  /** Results per search. */
  k: 10,
  /** Rows sampled per segment to estimate how many match a filter. */
  filterSampleRows: 256,
  /**
   * A filtered search scans a segment exactly when fewer than this many × ef rows are estimated to
   * match: HNSW then visits about ef / selectivity nodes of ~2m neighbours each, more than a scan.
   */
  exactScanMatchesPerEf: 32,
});

/** What a collection needs from its store. */
export interface CollectionContext {
  readonly dir: string;
  readonly clock: Clock;
  readonly durability: WalDurability;
  readonly segmentVectorsMax: number;
  readonly bufferedFlushIntervalMs: number;
  readonly walPendingBytesMax: number;
  /** Throws QUOTA_EXCEEDED when the tenant cannot take `vectors` more documents and `bytes` more bytes. */
  readonly checkTenantQuota: (vectors: number, bytes: number) => void;
  readonly warn: (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;
  /** The object store, uploader and tier manager every collection of the store shares. */
  readonly objectTier: ObjectTier;
  /** When the collection was created (its catalog entry). */
  readonly createdAtMs: number;
  /** The published manifest of a collection being opened from the object store (on an empty dir). */
  readonly imported?: RemoteManifest;
  /** Durability 'object-store': writes are acknowledged once durable in the object store too. */
  readonly objectStoreWal: boolean;
}

export interface StoredDocument {
  id: string;
  vector: Float32Array;
  metadata: Metadata;
}

export interface SearchOptions {
  /** Results wanted. @default 10 */
  k?: number;
  /** HNSW candidate list size. @default the collection's `hnsw.efSearch` */
  ef?: number;
  filter?: MetadataFilter;
  /** Brute-force k-NN over every live row instead of HNSW. @default false */
  exact?: boolean;
}

export interface SearchHit {
  id: string;
  /** Lower is closer: squared L2, 1 − inner product, or 1 − cosine similarity. */
  distance: number;
  /** Read-only (deep-frozen and shared between searches); `get()` returns a mutable copy. */
  metadata: Readonly<Metadata>;
}

export type SegmentState = 'active' | 'sealing' | 'sealed';

export interface SegmentStats {
  id: string;
  state: SegmentState;
  tier: SegmentTier;
  /** Live documents. */
  vectors: number;
  /** Rows including deleted ones. */
  rows: number;
  /** Memory when hot, files when warm. */
  bytes: number;
}

export interface SetTierOptions {
  /** Ids of the sealed segments to move; when absent, every sealed segment moves. */
  segments?: readonly string[];
}

export interface TierStats {
  segments: number;
  vectors: number;
  bytes: number;
}

export interface CollectionStats {
  tenant: string;
  name: string;
  dimension: number;
  metric: CollectionSpec['metric'];
  vectors: number;
  bytes: { vectors: number; index: number; metadata: number; total: number };
  quota: { vectorsMax: number | undefined; bytesMax: number | undefined; vectors: number; bytes: number };
  segments: SegmentStats[];
  tiers: Record<'hot' | 'warm' | 'cold', TierStats>;
  wal: WalStats;
  manifest: { version: number; sealedLsn: number; tombstoneFiles: number };
  pendingTombstones: number;
  recovery: {
    replayedRecords: number;
    truncatedRecords: number;
    truncatedBytes: number;
    truncatedFiles: number;
  };
  searches: { total: number; exact: number; exactFallbacks: number };
  seals: { completed: number; failed: number; queued: number };
  /** Tier transitions: counts per kind, with bytes moved, time taken and promotion latency nested. */
  transitions: TransitionStats;
  /** Pinning, failed promotions, publishing to the object store, and the store's uploader. */
  tiering: TieringStats;
  /** The store's uploader (shared by every collection): queue, in flight, dead letters, breaker. */
  uploads: TieringStats['uploads'];
}

/** Lifecycle hooks for the store only (not exported from the package). */
export const closeCollection: unique symbol = Symbol('closeCollection');
export const dropCollection: unique symbol = Symbol('dropCollection');
export const collectionUsage: unique symbol = Symbol('collectionUsage');

type Segment = ActiveSegment | SealedSegment;

interface SealJob {
  readonly segment: SealedSegment | undefined;
  readonly columns: SegmentColumns | undefined;
  readonly lsn: number;
  readonly createdAtMs: number;
  descriptor?: SegmentDescriptor;
}

interface Tombstone {
  readonly seq: number;
  readonly row: number;
}

/** A merged segment written by compaction, waiting to replace `old`. */
interface BuiltSegment {
  readonly old: readonly SealedSegment[];
  readonly memory: SegmentMemory;
  readonly descriptor: SegmentDescriptor;
  readonly origins: readonly RowOrigin[];
}

interface Unapplied {
  readonly lsn: number;
  readonly op: WalOperation;
}

const TWO_POW_32 = 2 ** 32;

function rowRef(seq: number, row: number): number {
  return seq * TWO_POW_32 + row;
}

export class Collection {
  readonly #ctx: CollectionContext;
  readonly #spec: CollectionSpec;
  readonly #dirs: { segments: string; tombstones: string; manifest: string; wal: string };
  #wal!: Wal;
  #tiering!: CollectionTiering;
  #manifest!: Manifest;
  #active!: ActiveSegment;
  #sealed: SealedSegment[] = [];
  readonly #bySeq = new Map<number, Segment>();
  /** id → (segment seq, row) of its one live row. */
  readonly #ids = new Map<string, number>();
  /** id → its bytes once accepted-but-unapplied writes are applied (undefined: deleted). */
  readonly #overlay = new Map<string, { lsn: number; bytes: number | undefined }>();
  #unapplied: Unapplied[] = [];
  #nextLsn = 1;
  #lastAppliedLsn = 0;
  readonly #committed: Usage = { vectors: 0, bytes: 0 };
  readonly #logical: Usage = { vectors: 0, bytes: 0 };
  #pendingTombstones: Tombstone[] = [];
  #sealQueue: SealJob[] = [];
  #sealRunner: Promise<void> | undefined;
  /** Seals and compactions write manifests one at a time, in turn. */
  #manifestTurn: Promise<unknown> = Promise.resolve();
  #sealError: TierVecError | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  #state: 'open' | 'closed' | 'dropped' = 'open';
  readonly #recovery = { replayedRecords: 0, truncatedRecords: 0, truncatedBytes: 0, truncatedFiles: 0 };
  readonly #searchCounts = { total: 0, exact: 0, exactFallbacks: 0 };
  readonly #sealCounts = { completed: 0, failed: 0 };

  private constructor(ctx: CollectionContext, spec: CollectionSpec) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#dirs = {
      segments: join(ctx.dir, 'segments'),
      tombstones: join(ctx.dir, 'tombstones'),
      manifest: join(ctx.dir, 'manifest'),
      wal: join(ctx.dir, 'wal'),
    };
  }

  /** Creates the directory layout and first manifest of a new collection. */
  static async create(dir: string, manifest: Manifest): Promise<void> {
    for (const sub of ['segments', 'tombstones', 'manifest', 'wal'])
      await mkdir(join(dir, sub), { recursive: true });
    await writeManifest(join(dir, 'manifest'), manifest);
  }

  /** Opens a collection: manifest, sealed segments and tombstones, then WAL replay. */
  static async open(ctx: CollectionContext, spec: CollectionSpec): Promise<Collection> {
    const collection = new Collection(ctx, spec);
    await collection.#open();
    return collection;
  }

  get name(): string {
    return this.#spec.name;
  }

  get tenant(): string {
    return this.#spec.tenant;
  }

  get spec(): CollectionSpec {
    return this.#spec;
  }

  // ---------------------------------------------------------------- recovery

  async #open(): Promise<void> {
    for (const dir of Object.values(this.#dirs)) await mkdir(dir, { recursive: true });
    const { manifest, older } = await readLatestManifest(this.#dirs.manifest);
    if (!sameSpec(manifest.spec, this.#spec)) {
      throw new TierVecError(
        ErrorCode.CORRUPT_DATA,
        `Collection ${describeValue(this.#spec.name)}: the manifest's spec differs from the catalog's`,
      );
    }
    this.#manifest = manifest;
    await this.#removeLeftovers(older);
    this.#tiering = await CollectionTiering.open({
      objectTier: this.#ctx.objectTier,
      tenant: this.tenant,
      name: this.name,
      dir: this.#ctx.dir,
      clock: this.#ctx.clock,
      collectionCreatedAtMs: this.#ctx.createdAtMs,
      imported: this.#ctx.imported,
      objectStoreWal: this.#ctx.objectStoreWal ? { dimension: this.#spec.dimension } : undefined,
      warn: this.#ctx.warn,
    });
    await this.#loadSealedSegments();
    await this.#replayWal();
    // The object store learns of the collection (and of seals it missed) in the background.
    this.#tiering.manifestWritten(this.#manifest);
  }

  async #removeLeftovers(olderManifests: readonly string[]): Promise<void> {
    const manifest = this.#manifest;
    const live = {
      segments: new Set(manifest.segments.flatMap((segment) => [segment.arrow.name, segment.hnsw.name])),
      tombstones: new Set(manifest.tombstoneFiles.map((file) => file.name)),
      manifest: new Set([versionFileName(manifest.version)]),
    };
    const removed: string[] = [];
    for (const kind of ['segments', 'tombstones', 'manifest'] as const) {
      const dir = this.#dirs[kind];
      const stale = (await readdir(dir)).filter((name) => !live[kind].has(name));
      await removeDurable(
        stale.map((name) => join(dir, name)),
        dir,
      );
      removed.push(...stale.filter((name) => !olderManifests.includes(name)));
    }
    if (removed.length > 0) {
      this.#ctx.warn({
        code: 'LEFTOVERS_REMOVED',
        message: `Removed ${removed.length} file(s) of an interrupted seal: ${removed.join(', ')}`,
        details: { files: removed },
      });
    }
  }

  async #loadSealedSegments(): Promise<void> {
    const tombstones = new Map<string, number[]>();
    for (const ref of this.#manifest.tombstoneFiles) {
      for (const [segmentId, rows] of await readTombstoneFile(this.#dirs.tombstones, ref)) {
        const list = tombstones.get(segmentId) ?? [];
        list.push(...rows);
        tombstones.set(segmentId, list);
      }
    }
    for (const descriptor of this.#manifest.segments) {
      // Hot when its files are on local disk, else cold (known from its id companion).
      const { segment, idOf } = await this.#tiering.openSegment(
        this.#dirs.segments,
        descriptor,
        tombstones.get(descriptor.id) ?? [],
      );
      this.#sealed.push(segment);
      this.#bySeq.set(segment.seq, segment);
      this.#tiering.register(segment);
      for (let row = 0; row < segment.rows; row++) {
        if (segment.isDeleted(row)) continue;
        this.#ids.set(idOf(row), rowRef(segment.seq, row));
        this.#committed.vectors++;
        this.#committed.bytes += segment.docBytes(row);
      }
    }
  }

  async #replayWal(): Promise<void> {
    const { wal, replay } = await Wal.open({
      dir: this.#dirs.wal,
      durability: this.#ctx.durability,
      clock: this.#ctx.clock,
      bufferedFlushIntervalMs: this.#ctx.bufferedFlushIntervalMs,
      pendingBytesMax: this.#ctx.walPendingBytesMax,
      recordBytesMax: LIMITS.batchBytesMax + 16 * LIMITS.batchSizeMax + 64,
      sealedLsn: this.#manifest.sealedLsn,
      onBackgroundError: (error) =>
        this.#ctx.warn({ code: 'WAL_SYNC_FAILED', message: `Background WAL fsync failed: ${error.message}` }),
    });
    this.#wal = wal;
    this.#active = this.#newActiveSegment(this.#manifest.nextSegmentSeq);
    this.#lastAppliedLsn = this.#manifest.sealedLsn;
    for (const entry of replay.entries) {
      this.#applyOp(entry.lsn, decodeOperation(entry.body, this.#spec.dimension));
    }
    this.#recovery.replayedRecords = replay.entries.length;
    this.#nextLsn = Math.max(replay.lastLsn, this.#manifest.sealedLsn) + 1;
    await this.#replayRemoteWal();
    this.#logical.vectors = this.#committed.vectors;
    this.#logical.bytes = this.#committed.bytes;
    const truncation = replay.truncation;
    if (truncation !== undefined) {
      this.#recovery.truncatedRecords = truncation.droppedRecords;
      this.#recovery.truncatedBytes = truncation.droppedBytes;
      this.#recovery.truncatedFiles = truncation.droppedFiles;
      this.#ctx.warn({
        code: 'WAL_TRUNCATED',
        message:
          `WAL ended in a torn or corrupt record (${truncation.reason}); truncated ${truncation.file} at byte ` +
          `${truncation.offset}, dropping ${truncation.droppedRecords} record(s) and ${truncation.droppedBytes} bytes`,
        details: { ...truncation },
      });
    }
    await this.#wal.releaseUpTo(this.#manifest.sealedLsn);
  }

  /** Durability 'object-store': applies the object store's WAL records this disk lacks, and logs them here. */
  async #replayRemoteWal(): Promise<void> {
    const remoteWal = this.#tiering.remoteWal;
    if (remoteWal === undefined) return;
    const entries = await remoteWal.recover(this.#nextLsn - 1);
    for (const { lsn, op } of entries) this.#applyOp(lsn, op);
    await Promise.all(entries.map(({ lsn, op }) => this.#wal.append(lsn, encodeOperation(op))));
    this.#nextLsn = Math.max(this.#nextLsn, (entries.at(-1)?.lsn ?? 0) + 1);
  }

  #newActiveSegment(seq: number): ActiveSegment {
    const segment = new ActiveSegment(
      seq,
      segmentIdFor(seq),
      this.#buildParams(seq),
      this.#ctx.segmentVectorsMax,
      this.#ctx.clock.now(),
    );
    this.#bySeq.set(seq, segment);
    return segment;
  }

  #buildParams(seq: number): HnswBuildParams {
    const { dimension, metric, hnsw } = this.#spec;
    return { dimension, metric, m: hnsw.m, efConstruction: hnsw.efConstruction, seed: seq };
  }

  // ---------------------------------------------------------------- write path

  /** Inserts new documents, all or none; DUPLICATE_ID when an id exists (or repeats in the call). */
  async insert(documents: readonly DocumentInput[]): Promise<{ inserted: number }> {
    this.#checkWritable();
    const docs = validateDocuments(documents, this.#spec.dimension, this.#spec.metric);
    if (docs.length === 0) return { inserted: 0 };
    await this.#waitForCapacity();
    let bytes = 0;
    for (const doc of docs) {
      if (this.#logicalBytesOf(doc.id) !== undefined) {
        throw new TierVecError(
          ErrorCode.DUPLICATE_ID,
          `Document id ${describeValue(doc.id)} already exists in collection ${describeValue(this.name)}; use upsert to replace it`,
          { details: { id: doc.id } },
        );
      }
      bytes += doc.bytes;
    }
    this.#checkQuota(docs.length, bytes);
    await this.#submit({ kind: 'insert', docs }, docs, docs.length, bytes);
    return { inserted: docs.length };
  }

  /** Inserts or replaces documents, all or none. */
  async upsert(documents: readonly DocumentInput[]): Promise<{ inserted: number; updated: number }> {
    this.#checkWritable();
    const docs = validateDocuments(documents, this.#spec.dimension, this.#spec.metric);
    if (docs.length === 0) return { inserted: 0, updated: 0 };
    await this.#waitForCapacity();
    let vectors = 0;
    let bytes = 0;
    for (const doc of docs) {
      const previous = this.#logicalBytesOf(doc.id);
      if (previous === undefined) vectors++;
      bytes += doc.bytes - (previous ?? 0);
    }
    this.#checkQuota(vectors, bytes);
    await this.#submit({ kind: 'upsert', docs }, docs, vectors, bytes);
    return { inserted: vectors, updated: docs.length - vectors };
  }

  /** Deletes documents by id; returns how many of them existed. */
  async delete(ids: readonly string[]): Promise<number> {
    this.#checkWritable();
    const list = validateIds(ids);
    await this.#waitForCapacity();
    const existing = new Map<string, number>();
    for (const id of list) {
      const bytes = this.#logicalBytesOf(id);
      if (bytes !== undefined) existing.set(id, bytes);
    }
    if (existing.size === 0) return 0;
    let bytes = 0;
    for (const value of existing.values()) bytes -= value;
    const deleted = [...existing.keys()];
    await this.#submit(
      { kind: 'delete', ids: deleted },
      deleted.map((id) => ({ id, bytes: undefined })),
      -deleted.length,
      bytes,
    );
    return deleted.length;
  }

  #checkUsable(): void {
    if (this.#state === 'closed') {
      throw new TierVecError(
        ErrorCode.CLOSED,
        `Collection ${describeValue(this.name)} is closed (its store was closed)`,
      );
    }
    if (this.#state === 'dropped') {
      throw new TierVecError(
        ErrorCode.COLLECTION_NOT_FOUND,
        `Collection ${describeValue(this.name)} of tenant ${describeValue(this.tenant)} was dropped`,
        { details: { tenant: this.tenant, name: this.name } },
      );
    }
  }

  #checkWritable(): void {
    this.#checkUsable();
    const failure = this.#wal.failure;
    if (failure !== undefined) {
      throw new TierVecError(
        ErrorCode.IO_ERROR,
        `Collection ${describeValue(this.name)} refuses writes after a WAL failure: ${failure.message}`,
        { cause: failure },
      );
    }
  }

  async #waitForCapacity(): Promise<void> {
    for (let wait = this.#wal.capacityWait(); wait !== undefined; wait = this.#wal.capacityWait()) {
      await wait;
      this.#checkWritable();
    }
  }

  /** Bytes of the id's document once every accepted write is applied; undefined when absent. */
  #logicalBytesOf(id: string): number | undefined {
    const pending = this.#overlay.get(id);
    if (pending !== undefined) return pending.bytes;
    const ref = this.#ids.get(id);
    if (ref === undefined) return undefined;
    const { segment, row } = this.#resolve(ref);
    return segment.docBytes(row);
  }

  #resolve(ref: number): { segment: Segment; row: number } {
    const seq = Math.floor(ref / TWO_POW_32);
    const segment = this.#bySeq.get(seq);
    if (segment === undefined) throw new Error(`Collection: no segment ${seq} for a live id`);
    return { segment, row: ref - seq * TWO_POW_32 };
  }

  #checkQuota(vectors: number, bytes: number): void {
    const scope = `collection ${describeValue(this.name)}`;
    checkLimit(scope, 'vectorsMax', this.#spec.quota.vectorsMax, this.#logical.vectors, vectors, 'vectors');
    checkLimit(scope, 'bytesMax', this.#spec.quota.bytesMax, this.#logical.bytes, bytes, 'bytes');
    this.#ctx.checkTenantQuota(vectors, bytes);
  }

  /**
   * Accepts a validated write: takes the next LSN, records its effect in the overlay, queues it in
   * the WAL, and applies it once durable. Everything before the first await is synchronous, so LSN
   * order is submission order.
   */
  async #submit(
    op: WalOperation,
    changes: readonly { id: string; bytes: number | undefined }[],
    vectors: number,
    bytes: number,
  ): Promise<void> {
    const lsn = this.#nextLsn++;
    const body = encodeOperation(op);
    for (const change of changes) this.#overlay.set(change.id, { lsn, bytes: change.bytes });
    this.#logical.vectors += vectors;
    this.#logical.bytes += bytes;
    this.#unapplied.push({ lsn, op });
    const done = this.#appendDurably(lsn, body, op);
    this.#inFlight.add(done);
    try {
      await done;
    } finally {
      this.#inFlight.delete(done);
    }
  }

  /**
   * The local WAL and, with durability 'object-store', the object store's: the write is applied once
   * every write up to it has its verdict from both (LSN order, nothing visible before it is durable),
   * then settles with the object store's verdict.
   */
  async #appendDurably(lsn: number, body: Buffer, op: WalOperation): Promise<void> {
    const remoteWal = this.#tiering.remoteWal;
    if (remoteWal !== undefined) {
      // The object store's verdict comes first: a write it did not take leaves no trace (not
      // applied, not in the local WAL). A new machine finds a collection by its manifest: one is
      // published before the first write.
      const remote = remoteWal.append(lsn, op, this.#tiering.ensurePublished(this.#manifest));
      remote.catch(() => undefined);
      await remoteWal.settledThrough(lsn);
      await remote.catch((error: unknown) => {
        this.#rollBack(lsn);
        throw error;
      });
    }
    await this.#wal.append(lsn, body);
    this.#applyUpTo(lsn);
  }

  /** Forgets a write that failed before it was applied: its pending effect on ids and usage. */
  #rollBack(lsn: number): void {
    const index = this.#unapplied.findIndex((entry) => entry.lsn === lsn);
    const [entry] = index < 0 ? [] : this.#unapplied.splice(index, 1);
    if (entry === undefined) return;
    const idsOf = (op: WalOperation) => (op.kind === 'delete' ? op.ids : op.docs.map((doc) => doc.id));
    for (const id of idsOf(entry.op)) {
      if (this.#overlay.get(id)?.lsn !== lsn) continue;
      this.#overlay.delete(id);
      // An earlier pending write of the same id is what the id holds now.
      const earlier = this.#unapplied.findLast((other) => idsOf(other.op).includes(id));
      const doc = earlier?.op.kind === 'delete' ? undefined : earlier?.op.docs.find((d) => d.id === id);
      if (earlier !== undefined) this.#overlay.set(id, { lsn: earlier.lsn, bytes: doc?.bytes });
    }
    this.#syncUsage();
  }

  /** With nothing pending, the usage checked by quotas is exactly what is applied. */
  #syncUsage(): void {
    if (this.#unapplied.length > 0) return;
    this.#logical.vectors = this.#committed.vectors;
    this.#logical.bytes = this.#committed.bytes;
  }

  #applyUpTo(lsn: number): void {
    let applied = 0;
    for (const entry of this.#unapplied) {
      if (entry.lsn > lsn) break;
      this.#applyOp(entry.lsn, entry.op);
      const ids = entry.op.kind === 'delete' ? entry.op.ids : entry.op.docs.map((doc) => doc.id);
      for (const id of ids) if (this.#overlay.get(id)?.lsn === entry.lsn) this.#overlay.delete(id);
      applied++;
    }
    if (applied > 0) this.#unapplied = this.#unapplied.slice(applied);
    this.#syncUsage();
  }

  /** Applies one durable write to the segments (live and during replay). Never fails on valid input. */
  #applyOp(lsn: number, op: WalOperation): void {
    if (op.kind === 'delete') {
      for (const id of op.ids) this.#removeLive(id);
    } else {
      // A write never straddles two segments, so a segment's sealed LSN is always a record boundary.
      const max = this.#ctx.segmentVectorsMax;
      if (this.#active.rows > 0 && this.#active.rows + op.docs.length > max) this.#freeze();
      for (const doc of op.docs) this.#put(doc);
    }
    this.#lastAppliedLsn = lsn;
    if (this.#active.rows >= this.#ctx.segmentVectorsMax) this.#freeze();
  }

  #put(doc: ValidDocument): void {
    this.#removeLive(doc.id);
    const row = this.#active.append(doc);
    this.#ids.set(doc.id, rowRef(this.#active.seq, row));
    this.#committed.vectors++;
    this.#committed.bytes += doc.bytes;
  }

  #removeLive(id: string): void {
    const ref = this.#ids.get(id);
    if (ref === undefined) return;
    const { segment, row } = this.#resolve(ref);
    segment.tombstone(row);
    if (segment instanceof SealedSegment) this.#pendingTombstones.push({ seq: segment.seq, row });
    this.#committed.vectors--;
    this.#committed.bytes -= segment.docBytes(row);
    this.#ids.delete(id);
  }

  // ---------------------------------------------------------------- sealing

  /** Freezes the active segment (it stays searchable) and queues writing it out. */
  #freeze(): void {
    const active = this.#active;
    if (active.rows === 0) return;
    const { segment, columns } = active.freeze(this.#dirs.segments);
    this.#sealed.push(segment);
    this.#bySeq.set(segment.seq, segment);
    this.#tiering.register(segment);
    this.#active = this.#newActiveSegment(active.seq + 1);
    this.#wal.rotate();
    this.#sealQueue.push({ segment, columns, lsn: this.#lastAppliedLsn, createdAtMs: active.createdAtMs });
    this.#startSealer();
  }

  #startSealer(): void {
    if (this.#sealRunner !== undefined || this.#sealQueue.length === 0) return;
    this.#sealRunner = this.#runSeals().finally(() => {
      this.#sealRunner = undefined;
    });
  }

  async #runSeals(): Promise<void> {
    while (this.#sealQueue.length > 0 && this.#state === 'open') {
      const job = this.#sealQueue[0] as SealJob;
      try {
        await this.#manifestExclusive(() => this.#seal(job));
        this.#sealError = undefined;
        this.#sealCounts.completed++;
      } catch (error) {
        this.#sealCounts.failed++;
        this.#sealError = new TierVecError(
          ErrorCode.IO_ERROR,
          `Sealing segment ${job.segment?.id ?? '(tombstones only)'} of collection ${describeValue(this.name)} failed: ${(error as Error).message}`,
          { cause: error },
        );
        this.#ctx.warn({
          code: 'SEAL_FAILED',
          message: `${this.#sealError.message}; the data stays in memory and in the WAL, and the seal is retried on the next flush or seal`,
        });
        return;
      }
      this.#sealQueue.shift();
    }
  }

  /** Writes a frozen segment (if any), pending tombstones and a new manifest, then trims the WAL. */
  async #seal(job: SealJob): Promise<void> {
    if (job.segment !== undefined && job.descriptor === undefined) {
      job.descriptor = await this.#writeSegment(job);
    }
    const previous = this.#manifest;
    const version = previous.version + 1;
    const segments =
      job.descriptor === undefined ? previous.segments : [...previous.segments, job.descriptor];
    const { ref: tombstoneFile, included } = await this.#writePendingTombstones(version, segments);
    const next: Manifest = {
      ...previous,
      version,
      sealedLsn: Math.max(previous.sealedLsn, job.lsn),
      nextSegmentSeq: Math.max(previous.nextSegmentSeq, (job.segment?.seq ?? 0) + 1),
      segments,
      tombstoneFiles:
        tombstoneFile === undefined ? previous.tombstoneFiles : [...previous.tombstoneFiles, tombstoneFile],
      createdAtMs: this.#ctx.clock.now(),
    };
    await writeManifest(this.#dirs.manifest, next);
    // The new manifest is durable: from here on nothing may fail the job (it must not be redone).
    this.#manifest = next;
    if (job.segment !== undefined && job.descriptor !== undefined) job.segment.markSealed(job.descriptor);
    this.#pendingTombstones = this.#pendingTombstones.filter((tombstone) => !included.has(tombstone));
    this.#tiering.manifestWritten(next);
    try {
      await removeDurable(
        [join(this.#dirs.manifest, versionFileName(previous.version))],
        this.#dirs.manifest,
      );
      await this.#wal.releaseUpTo(next.sealedLsn);
    } catch (error) {
      this.#ctx.warn({
        code: 'CLEANUP_FAILED',
        message: `After manifest ${version}, removing superseded files failed (retried later): ${(error as Error).message}`,
      });
    }
  }

  async #writeSegment(job: SealJob): Promise<SegmentDescriptor> {
    const segment = job.segment as SealedSegment;
    const columns = job.columns as SegmentColumns;
    const memory = segment.loaded() as SegmentMemory;
    let deletedRows = 0;
    for (let row = 0; row < columns.rows; row++) deletedRows += columns.deleted[row] as number;
    const params = memory.params;
    const descriptor = await writeSegmentFiles(this.#dirs.segments, memory, columns, {
      id: segment.id,
      seq: segment.seq,
      dimension: params.dimension,
      metric: params.metric,
      m: params.m,
      efConstruction: params.efConstruction,
      seed: params.seed,
      rows: columns.rows,
      deletedRows,
      createdAtMs: job.createdAtMs,
    });
    memory.indexWritten(descriptor.hnsw.bytes);
    return descriptor;
  }

  /** Runs `write` after every manifest write queued before it, and before any queued after. */
  #manifestExclusive<T>(write: () => Promise<T>): Promise<T> {
    const turn = this.#manifestTurn.then(write);
    this.#manifestTurn = turn.catch(() => undefined);
    return turn;
  }

  // ---------------------------------------------------------------- compaction

  /**
   * Merges small sealed segments and rewrites those with many deleted rows, keeping only live rows
   * (see COMPACTION_DEFAULTS): seals what is pending, writes the new segments, then a new manifest,
   * and only once it is durable swaps them in and removes the old files; the object store drops what
   * its next manifest no longer names once that manifest is durable. Reads and writes go on meanwhile.
   */
  async compact(options?: CompactionOptions): Promise<CompactionResult> {
    this.#checkWritable();
    const resolved = resolveCompactionOptions(options);
    await this.flush();
    const run = this.#manifestExclusive(() => this.#compact(resolved));
    this.#inFlight.add(run);
    try {
      return await run;
    } finally {
      this.#inFlight.delete(run);
    }
  }

  async #compact(options: Readonly<Required<CompactionOptions>>): Promise<CompactionResult> {
    const sealed = this.#sealed.filter((segment) => segment.state === 'sealed');
    const groups = planCompaction(sealed, this.#ctx.segmentVectorsMax, options);
    const result: CompactionResult = {
      segmentsBefore: this.#sealed.length,
      segmentsAfter: this.#sealed.length,
      segmentsRewritten: 0,
      segmentsWritten: 0,
      rowsDropped: 0,
    };
    if (groups.length === 0 || this.#state !== 'open') return result;
    const version = this.#manifest.version + 1;
    const built: BuiltSegment[] = [];
    try {
      for (const group of groups) built.push(await this.#buildMerged(group, version));
      const previous = this.#manifest;
      const removed = new Set(built.flatMap((b) => b.old.map((segment) => segment.id)));
      const segments = [
        ...previous.segments.filter((descriptor) => !removed.has(descriptor.id)),
        ...built.map((b) => b.descriptor),
      ].sort((a, b) => a.seq - b.seq);
      const next: Manifest = {
        ...previous,
        version,
        segments,
        tombstoneFiles: await this.#tombstoneFilesStillNeeded(previous, removed),
        createdAtMs: this.#ctx.clock.now(),
      };
      await writeManifest(this.#dirs.manifest, next);
      this.#manifest = next;
    } finally {
      for (const b of built) this.#tiering.releaseAll(b.old);
    }
    for (const b of built) this.#swapIn(b);
    result.segmentsAfter = this.#sealed.length;
    result.segmentsRewritten = built.reduce((sum, b) => sum + b.old.length, 0);
    result.segmentsWritten = built.length;
    result.rowsDropped = built.reduce(
      (sum, b) => sum + b.old.reduce((n, s) => n + s.rows, 0) - b.origins.length,
      0,
    );
    this.#tiering.manifestWritten(this.#manifest);
    await this.#removeReplaced(built, version);
    return result;
  }

  /** Builds the merged segment of one group (its old segments are held in memory meanwhile). */
  async #buildMerged(group: readonly number[], version: number): Promise<BuiltSegment> {
    const old = group.map((seq) => this.#bySeq.get(seq) as SealedSegment);
    const sources: { seq: number; memory: SegmentMemory }[] = [];
    try {
      for (const segment of old) {
        sources.push({ seq: segment.seq, memory: await this.#tiering.acquire(segment, 'compact') });
      }
    } catch (error) {
      this.#tiering.releaseAll(old.slice(0, sources.length));
      throw error;
    }
    try {
      return await this.#writeMerged(old, sources, group[0] as number, version);
    } catch (error) {
      this.#tiering.releaseAll(old);
      throw error;
    }
  }

  async #writeMerged(
    old: readonly SealedSegment[],
    sources: readonly { seq: number; memory: SegmentMemory }[],
    seq: number,
    version: number,
  ): Promise<BuiltSegment> {
    const id = `${segmentIdFor(seq)}-${String(version).padStart(10, '0')}`;
    const { memory, columns, origins } = mergeSegments(this.#buildParams(seq), sources, (s, row) => {
      const segment = this.#bySeq.get(s) as SealedSegment;
      return !segment.isDeleted(row);
    });
    const descriptor = await writeSegmentFiles(this.#dirs.segments, memory, columns, {
      id,
      seq,
      dimension: this.#spec.dimension,
      metric: this.#spec.metric,
      m: this.#spec.hnsw.m,
      efConstruction: this.#spec.hnsw.efConstruction,
      seed: seq,
      rows: columns.rows,
      deletedRows: 0,
      createdAtMs: this.#ctx.clock.now(),
    });
    memory.indexWritten(descriptor.hnsw.bytes);
    return { old, memory, descriptor, origins };
  }

  /** Tombstone files that still name a segment the new manifest keeps. */
  async #tombstoneFilesStillNeeded(
    previous: Manifest,
    removed: ReadonlySet<string>,
  ): Promise<TombstoneFileRef[]> {
    const kept: TombstoneFileRef[] = [];
    for (const ref of previous.tombstoneFiles) {
      const bySegment = await readTombstoneFile(this.#dirs.tombstones, ref);
      if ([...bySegment.keys()].some((segmentId) => !removed.has(segmentId))) kept.push(ref);
    }
    return kept;
  }

  /**
   * Replaces a group's old segments with the merged one, now that a durable manifest names it: ids
   * move to their new rows, and rows deleted since the merge read them become its tombstones.
   */
  #swapIn({ old, memory, descriptor, origins }: BuiltSegment): void {
    const segment = SealedSegment.fromFrozen(descriptor.seq, descriptor.id, this.#dirs.segments, memory);
    segment.markSealed(descriptor);
    const newRow = new Map<number, number>();
    origins.forEach((origin, row) => {
      newRow.set(rowRef(origin.seq, origin.row), row);
    });
    const oldSeqs = new Set(old.map((s) => s.seq));
    const pending: Tombstone[] = [];
    for (const tombstone of this.#pendingTombstones) {
      if (!oldSeqs.has(tombstone.seq)) {
        pending.push(tombstone);
        continue;
      }
      const row = newRow.get(rowRef(tombstone.seq, tombstone.row));
      if (row !== undefined && segment.tombstone(row)) pending.push({ seq: segment.seq, row });
    }
    this.#pendingTombstones = pending;
    origins.forEach((origin, row) => {
      const id = memory.id(row);
      if (this.#ids.get(id) === rowRef(origin.seq, origin.row)) this.#ids.set(id, rowRef(segment.seq, row));
    });
    this.#tiering.unregister(old);
    this.#sealed = [...this.#sealed.filter((s) => !old.includes(s)), segment].sort((a, b) => a.seq - b.seq);
    for (const s of old) this.#bySeq.delete(s.seq);
    this.#bySeq.set(segment.seq, segment);
    this.#tiering.register(segment);
  }

  /** After the swap: the old manifest, the replaced segments' files and unneeded tombstone files go. */
  async #removeReplaced(built: readonly BuiltSegment[], version: number): Promise<void> {
    const files = [join(this.#dirs.manifest, versionFileName(version - 1))];
    for (const { old } of built) {
      for (const segment of old) {
        const descriptor = segment.descriptor as SegmentDescriptor;
        files.push(
          join(this.#dirs.segments, descriptor.arrow.name),
          join(this.#dirs.segments, descriptor.hnsw.name),
        );
      }
    }
    try {
      await removeDurable(files, this.#dirs.segments);
      const live = new Set(this.#manifest.tombstoneFiles.map((ref) => ref.name));
      const stale = (await readdir(this.#dirs.tombstones)).filter((name) => !live.has(name));
      await removeDurable(
        stale.map((name) => join(this.#dirs.tombstones, name)),
        this.#dirs.tombstones,
      );
      for (const { old } of built)
        for (const segment of old) await this.#tiering.remote.forgetSegment(segment.id);
    } catch (error) {
      this.#ctx.warn({
        code: 'CLEANUP_FAILED',
        message: `After compaction (manifest ${version}), removing replaced files failed (removed on the next open): ${(error as Error).message}`,
      });
    }
  }

  /** Tombstones of rows in segments the new manifest names go into one file for it. */
  async #writePendingTombstones(
    version: number,
    segments: readonly SegmentDescriptor[],
  ): Promise<{ ref: TombstoneFileRef | undefined; included: Set<Tombstone> }> {
    const named = new Map(segments.map((segment) => [segment.seq, segment.id]));
    const included = new Set(this.#pendingTombstones.filter((tombstone) => named.has(tombstone.seq)));
    if (included.size === 0) return { ref: undefined, included };
    const bySegment = new Map<string, number[]>();
    for (const { seq, row } of included) {
      const id = named.get(seq) as string;
      const rows = bySegment.get(id) ?? [];
      rows.push(row);
      bySegment.set(id, rows);
    }
    const ref = await writeTombstoneFile(this.#dirs.tombstones, version, bySegment);
    return { ref, included };
  }

  /**
   * Makes every write acknowledged so far part of a sealed segment (or tombstone file) named by a
   * durable manifest, and trims the WAL accordingly.
   */
  async flush(): Promise<void> {
    this.#checkUsable();
    await Promise.allSettled([...this.#inFlight]);
    this.#checkWritable();
    const coveredLsn = this.#sealQueue.at(-1)?.lsn ?? this.#manifest.sealedLsn;
    if (this.#active.rows > 0) {
      this.#freeze();
    } else if (this.#lastAppliedLsn > coveredLsn) {
      // Only deletes of sealed rows since the last seal: a manifest with their tombstones covers them.
      this.#sealQueue.push({
        segment: undefined,
        columns: undefined,
        lsn: this.#lastAppliedLsn,
        createdAtMs: 0,
      });
    }
    while (this.#sealQueue.length > 0) {
      this.#startSealer();
      await this.#sealRunner;
      this.#checkUsable();
      if (this.#sealQueue.length > 0 && this.#sealError !== undefined) throw this.#sealError;
    }
  }

  // ---------------------------------------------------------------- reads

  /** The document with this id, or undefined. The vector and metadata are copies. */
  async get(id: string): Promise<StoredDocument | undefined> {
    this.#checkUsable();
    validateId(id);
    // A warm or cold segment is promoted first; if the id moved meanwhile, look again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ref = this.#ids.get(id);
      if (ref === undefined) return undefined;
      const { segment, row } = this.#resolve(ref);
      if (segment instanceof ActiveSegment) {
        return { id, vector: segment.memory.vector(row), metadata: segment.memory.metadataCopy(row) };
      }
      const memory = await this.#tiering.acquire(segment, 'get');
      try {
        if (this.#ids.get(id) !== ref) continue;
        return { id, vector: memory.vector(row), metadata: memory.metadataCopy(row) };
      } finally {
        this.#tiering.release(segment);
      }
    }
    return undefined;
  }

  /** k nearest live documents, closest first, optionally filtered on metadata. */
  async search(vector: Float32Array | readonly number[], options: SearchOptions = {}): Promise<SearchHit[]> {
    this.#checkUsable();
    const query: SearchQuery = {
      array: validateQueryVector(vector, this.#spec.dimension, this.#spec.metric),
      typed: undefined,
      norm: 0,
      ...this.#searchOptions(options),
    };
    // Taken now: a seal during the promotions below turns this memory into a sealed segment's.
    const active = this.#active.memory;
    let hits: RowHit[] = [];
    let contributing = 0;
    let fallback = false;
    const searchIn = (memory: SegmentMemory): void => {
      if (memory.liveRows === 0) return;
      let rows: RowHit[];
      if (query.exact) {
        rows = exactScan(memory, query);
      } else if (query.predicate !== undefined && this.#prefersExact(memory, query.predicate, query.ef)) {
        fallback = true;
        rows = exactScan(memory, query);
      } else {
        rows = memory.annSearch(query.array, query.k, query.ef, query.predicate);
      }
      hits = hits.length === 0 ? rows : hits.concat(rows);
      contributing++;
    };
    // Warm and cold segments are promoted as the search reaches them (TierManager.forEachLoaded).
    await this.#tiering.forEachLoaded(this.#sealed, 'search', searchIn);
    searchIn(active);
    this.#searchCounts.total++;
    if (query.exact) this.#searchCounts.exact++;
    if (fallback) this.#searchCounts.exactFallbacks++;
    return mergeHits(hits, query.k, contributing > 1);
  }

  #prefersExact(memory: SegmentMemory, predicate: MetadataPredicate, ef: number): boolean {
    const estimated = memory.estimateMatches(predicate, SEARCH_DEFAULTS.filterSampleRows);
    return estimated < SEARCH_DEFAULTS.exactScanMatchesPerEf * ef;
  }

  #searchOptions(options: SearchOptions): {
    k: number;
    ef: number;
    predicate: MetadataPredicate | undefined;
    exact: boolean;
  } {
    const checked = checkOptionsObject('search options', options, ['k', 'ef', 'filter', 'exact']);
    const k = checkInteger('k', checked.k ?? SEARCH_DEFAULTS.k, 1, LIMITS.kMax);
    const ef = checkInteger('ef', checked.ef ?? this.#spec.hnsw.efSearch, 1, LIMITS.efMax);
    if (checked.exact !== undefined && typeof checked.exact !== 'boolean') {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`exact\` to be a boolean, got ${describeValue(checked.exact)}`,
        {
          details: { option: 'exact' },
        },
      );
    }
    return { k, ef, predicate: compileFilter(checked.filter), exact: checked.exact === true };
  }

  // ---------------------------------------------------------------- stats and lifecycle

  stats(): CollectionStats {
    this.#checkUsable();
    const segments: SegmentStats[] = [];
    const bytes = { vectors: 0, index: 0, metadata: 0, total: 0 };
    const tiers = { hot: emptyTier(), warm: emptyTier(), cold: emptyTier() };
    const add = (
      id: string,
      state: SegmentState,
      memory: SegmentMemory | undefined,
      filesBytes: number,
      rows: number,
      live: number,
      cold = false,
    ) => {
      const memoryBytes = memory?.bytes();
      if (memoryBytes !== undefined) {
        bytes.vectors += memoryBytes.vectors;
        bytes.index += memoryBytes.index;
        bytes.metadata += memoryBytes.metadata;
      }
      const size =
        memoryBytes === undefined
          ? filesBytes
          : memoryBytes.vectors + memoryBytes.index + memoryBytes.metadata;
      const tier: SegmentTier = memory !== undefined ? 'hot' : cold ? 'cold' : 'warm';
      segments.push({ id, state, tier, vectors: live, rows, bytes: size });
      tiers[tier].segments++;
      tiers[tier].vectors += live;
      tiers[tier].bytes += size;
    };
    for (const segment of this.#sealed) {
      add(
        segment.id,
        segment.state,
        segment.loaded(),
        segment.bytes().filesBytes,
        segment.rows,
        segment.liveRows,
        segment.tier === 'cold',
      );
    }
    add(this.#active.id, 'active', this.#active.memory, 0, this.#active.rows, this.#active.liveRows);
    bytes.total = bytes.vectors + bytes.index + bytes.metadata;
    return {
      tenant: this.tenant,
      name: this.name,
      dimension: this.#spec.dimension,
      metric: this.#spec.metric,
      vectors: this.#committed.vectors,
      bytes,
      quota: {
        vectorsMax: this.#spec.quota.vectorsMax,
        bytesMax: this.#spec.quota.bytesMax,
        vectors: this.#logical.vectors,
        bytes: this.#logical.bytes,
      },
      segments,
      tiers,
      wal: this.#wal.stats(),
      manifest: {
        version: this.#manifest.version,
        sealedLsn: this.#manifest.sealedLsn,
        tombstoneFiles: this.#manifest.tombstoneFiles.length,
      },
      pendingTombstones: this.#pendingTombstones.length,
      recovery: { ...this.#recovery },
      searches: { ...this.#searchCounts },
      seals: { ...this.#sealCounts, queued: this.#sealQueue.length },
      transitions: this.#tiering.transitions(),
      tiering: this.#tiering.stats(),
      uploads: this.#tiering.stats().uploads,
    };
  }

  // ---------------------------------------------------------------- tiers

  /**
   * Moves every sealed segment to `tier`, or only the sealed segments named in `options.segments`
   * (ids as `stats().segments` lists them): 'hot' loads them into memory, 'warm' keeps only their
   * files on local disk, 'cold' leaves them only in the object store. A pinned collection's segments,
   * segments in use or being sealed, and (for 'cold') segments not yet durable in the object store
   * stay where they are and are counted in `held`. The budgets apply again afterwards. An unknown
   * tier, option or segment id (the active segment included) throws INVALID_ARGUMENT and moves nothing.
   */
  async setTier(tier: 'hot' | 'warm' | 'cold', options?: SetTierOptions): Promise<SetTierResult> {
    this.#checkUsable();
    return this.#tiering.setTier(tier, options);
  }

  /** Loads every sealed segment and keeps them hot, out of the budgets' and idle timers' reach. */
  async pin(): Promise<void> {
    this.#checkUsable();
    await this.#tiering.pin();
  }

  /** Hands the segments back to the policy. */
  unpin(): void {
    this.#checkUsable();
    this.#tiering.unpin();
  }

  /**
   * Makes the sealed state durable in the object store now: uploads what the current manifest names
   * and writes a new manifest version there (the store also does this in the background after every
   * seal). Rejects with OBJECT_STORE, CIRCUIT_OPEN or MANIFEST_CONFLICT when it cannot.
   */
  async publish(): Promise<PublishOutcome> {
    this.#checkUsable();
    await this.#sealRunner;
    return this.#tiering.publish(this.#manifest);
  }

  /** Calls `listener` on every tier transition and failed promotion; returns the function that stops it. */
  onTierEvent(listener: TierEventListener): () => void {
    this.#checkUsable();
    return this.#tiering.listen(listener);
  }

  /** Sealed segments, oldest first (for tests and, later, the tiering policy). */
  sealedSegments(): readonly SealedSegment[] {
    return this.#sealed;
  }

  /** Documents and bytes this collection holds once accepted writes apply (for tenant quotas). */
  [collectionUsage](): Usage {
    return { ...this.#logical };
  }

  /** Stops accepting calls, lets accepted writes and a running seal finish, and closes the WAL. */
  async [closeCollection](state: 'closed' | 'dropped' = 'closed'): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = state;
    await Promise.allSettled([...this.#inFlight]);
    await this.#sealRunner;
    await this.#wal.close();
    await this.#tiering.close();
  }

  async [dropCollection](): Promise<void> {
    await this[closeCollection]('dropped');
  }
}

function emptyTier(): TierStats {
  return { segments: 0, vectors: 0, bytes: 0 };
}

/** A validated search: the query as hnswlib takes it, and its typed copy and norm once an exact scan needs them. */
interface SearchQuery {
  readonly array: number[];
  typed: Float32Array | undefined;
  norm: number;
  readonly k: number;
  readonly ef: number;
  readonly predicate: MetadataPredicate | undefined;
  readonly exact: boolean;
}

function exactScan(memory: SegmentMemory, query: SearchQuery): RowHit[] {
  if (query.typed === undefined) {
    query.typed = Float32Array.from(query.array);
    query.norm = norm(query.typed, 0, query.typed.length);
  }
  return memory.exactSearch(query.typed, query.norm, query.k, query.predicate);
}

/** Merges per-segment hits: closest first, ties by id, rows deleted meanwhile and repeats dropped. */
function mergeHits(hits: RowHit[], k: number, fromSeveralSegments: boolean): SearchHit[] {
  hits.sort(compareCandidates);
  const results: SearchHit[] = [];
  // Repeats can only come from two segments (an id moving while a warm segment loads).
  const seen = fromSeveralSegments ? new Set<string>() : undefined;
  for (const hit of hits) {
    if (results.length === k) break;
    if (hit.memory.isDeleted(hit.row)) continue;
    if (seen !== undefined) {
      if (seen.has(hit.id)) continue;
      seen.add(hit.id);
    }
    results.push({ id: hit.id, distance: hit.distance, metadata: hit.memory.metadata(hit.row) });
  }
  return results;
}
