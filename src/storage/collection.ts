/**
 * One collection: its public API and its write path (validate → WAL → apply → acknowledge). The rest
 * lives in rooms of its own, wired together here with explicit dependencies:
 *   segment-table.ts        the shared state: manifest, active and sealed segments, id map
 *   collection-recovery.ts  open: manifest, leftovers, sealed segments, WAL replay
 *   seal-pipeline.ts        freeze, write segment + tombstones + manifest, trim the WAL, publish
 *   compaction.ts           merge small segments and rewrite those with many deleted rows
 *   search-path.ts          search across segments and merge the hits
 *   collection-stats.ts     what `stats()` reports
 *   pending-writes.ts       accepted writes not yet applied, and the usage they will bring
 *
 * Writes are validated against the collection as it will be once every accepted write is applied:
 * writes that are in the WAL queue but not yet durable are tracked in an overlay (pending-writes.ts), so a duplicate id,
 * a quota or a delete count is judged correctly even under concurrency. A write is applied to the
 * in-memory segments only once the WAL reports it durable, in LSN order, and readers see only
 * applied writes: `get` and `search` never return something that a crash could take back.
 *
 * This module must never acknowledge a write before the WAL has it.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { Serial } from '../serial.ts';
import type { CollectionContext } from './collection-context.ts';
import { type CollectionDirs, collectionDirs } from './collection-dirs.ts';
import * as recovery from './collection-recovery.ts';
import type { CollectionSpec } from './collection-spec.ts';
import { type CollectionStats, collectionStats } from './collection-stats.ts';
import { Compactor } from './compaction.ts';
import {
  type CompactionOptions,
  type CompactionResult,
  resolveCompactionOptions,
} from './compaction-plan.ts';
import { partitionsHot, type WarmOptions } from './partition/warm-target.ts';
import { PendingWrites } from './pending-writes.ts';
import { checkLimit, type Usage } from './quota.ts';
import type { PublishOutcome } from './remote/collection-remote.ts';
import { SealPipeline } from './seal-pipeline.ts';
import { type SearchHit, type SearchOptions, SearchPath, type StoredDocument } from './search-path.ts';
import type { SealedSegment } from './segment/sealed-segment.ts';
import { SegmentTable } from './segment-table.ts';
import type { CollectionTiering } from './tiering/collection-tiering.ts';
import type { TierEventListener } from './tiering/tier-accounting.ts';
import type { SetTierResult } from './tiering/tier-manager.ts';
import type { WarmOutcome } from './tiering/warm-segments.ts';
import { type DocumentInput, validateDocuments, validateId, validateIds } from './validation.ts';
import type { Wal } from './wal/wal.ts';
import { encodeOperation, type WalOperation } from './wal/wal-record.ts';

export interface SetTierOptions {
  /** Ids of the sealed segments to move; when absent, every sealed segment moves. */
  segments?: readonly string[];
}

/** What `warm()` did: the partitions it covered and where their segments are once it returns. */
export interface WarmResult extends WarmOutcome {
  /** Partitions covered, most wanted first (empty when the collection is not partitioned). */
  partitions: number[];
  /** Of those, the partitions whose every segment is in memory. */
  partitionsHot: number[];
}

/** Lifecycle hooks for the store only (not exported from the package). */
export const closeCollection: unique symbol = Symbol('closeCollection');
export const dropCollection: unique symbol = Symbol('dropCollection');
export const collectionUsage: unique symbol = Symbol('collectionUsage');

export class Collection {
  readonly #ctx: CollectionContext;
  readonly #spec: CollectionSpec;
  readonly #dirs: CollectionDirs;
  /** Seals and compactions write manifests one at a time, in turn. */
  readonly #manifestWrites = new Serial();
  #wal!: Wal;
  #tiering!: CollectionTiering;
  #table!: SegmentTable;
  #seals!: SealPipeline;
  #compactor!: Compactor;
  #search!: SearchPath;
  /** Accepted writes not yet durable, in LSN order; applied once the WAL has them. */
  readonly #pending = new PendingWrites(() => this.#table.committed);
  #nextLsn = 1;
  #lastAppliedLsn = 0;
  readonly #inFlight = new Set<Promise<unknown>>();
  #state: 'open' | 'closed' | 'dropped' = 'open';
  #recovery!: recovery.RecoveryStats;

  private constructor(ctx: CollectionContext, spec: CollectionSpec) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#dirs = collectionDirs(ctx.dir);
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

  async #open(): Promise<void> {
    const ctx = this.#ctx;
    const spec = this.#spec;
    const dirs = this.#dirs;
    const manifest = await recovery.openManifest(dirs, spec, ctx.warn);
    const tiering = await recovery.openTiering(ctx, spec);
    const table = new SegmentTable({ ...ctx, spec, manifest, segmentsDir: dirs.segments });
    await recovery.loadSealedSegments(table, tiering, dirs);
    const { wal, replay } = await recovery.openWal(ctx, dirs.wal, manifest.sealedLsn);
    this.#assemble(tiering, table, wal);
    this.#lastAppliedLsn = manifest.sealedLsn;
    const apply = (lsn: number, op: WalOperation) => this.#applyOp(lsn, op);
    const { remoteWal } = tiering;
    const replayed = await recovery.replayWal({ wal, replay, table, spec, remoteWal, apply, warn: ctx.warn });
    this.#nextLsn = replayed.nextLsn;
    this.#recovery = replayed.stats;
    this.#pending.sync();
    // The object store learns of the collection (and of seals it missed) in the background.
    tiering.manifestWritten(table.manifest);
  }

  /** Builds the parts that share the segment table: seal pipeline, compactor and search path. */
  #assemble(tiering: CollectionTiering, table: SegmentTable, wal: Wal): void {
    const { clock, warn, segmentVectorsMax } = this.#ctx;
    const shared = { table, tiering, dirs: this.#dirs, clock, warn, manifestWrites: this.#manifestWrites };
    this.#tiering = tiering;
    this.#table = table;
    this.#wal = wal;
    this.#seals = new SealPipeline({ ...shared, wal, name: this.name });
    this.#compactor = new Compactor({
      ...shared,
      spec: this.#spec,
      segmentVectorsMax,
      isOpen: () => this.#state === 'open',
    });
    this.#search = new SearchPath({ spec: this.#spec, table, tiering, tmpDir: this.#dirs.segments });
  }

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
    let bytes = 0;
    for (const value of existing.values()) bytes -= value;
    // Every requested id is logged, also those not visible now: a write of one of them whose outcome
    // was indeterminate may still reach the log (its batch stored though its answer was lost), and
    // replay in write order must then apply this acknowledged delete after it.
    await this.#submit(
      { kind: 'delete', ids: list },
      list.map((id) => ({ id, bytes: undefined })),
      -existing.size,
      bytes,
    );
    return existing.size;
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
    this.#ctx.writeGuard?.();
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
    return this.#pending.bytesOf(id, (applied) => this.#table.docBytesOf(applied));
  }

  #checkQuota(vectors: number, bytes: number): void {
    const scope = `collection ${describeValue(this.name)}`;
    checkLimit(
      scope,
      'vectorsMax',
      this.#spec.quota.vectorsMax,
      this.#pending.usage.vectors,
      vectors,
      'vectors',
    );
    checkLimit(scope, 'bytesMax', this.#spec.quota.bytesMax, this.#pending.usage.bytes, bytes, 'bytes');
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
    this.#pending.accept(lsn, op, changes, { vectors, bytes });
    await this.#tracked(this.#appendDurably(lsn, body, op));
  }

  /** Settles as `work` does; close and flush wait for it meanwhile. */
  async #tracked<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    try {
      return await work;
    } finally {
      this.#inFlight.delete(work);
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
      const remote = remoteWal.append(lsn, op, this.#tiering.ensurePublished(this.#table.manifest));
      remote.catch(() => undefined);
      await remoteWal.settledThrough(lsn);
      await remote.catch((error: unknown) => {
        this.#pending.rollBack(lsn);
        throw error;
      });
    }
    await this.#wal.append(lsn, body);
    this.#applyUpTo(lsn);
  }

  #applyUpTo(lsn: number): void {
    this.#pending.applyUpTo(lsn, (entryLsn, op) => this.#applyOp(entryLsn, op));
  }

  /** Applies one durable write to the segments (live and during replay). Never fails on valid input. */
  #applyOp(lsn: number, op: WalOperation): void {
    const table = this.#table;
    if (op.kind === 'delete') {
      for (const id of op.ids) table.removeLive(id, lsn);
    } else {
      // A write never straddles two segments, so a segment's sealed LSN is always a record boundary.
      const max = this.#ctx.segmentVectorsMax;
      if (table.active.rows > 0 && table.active.rows + op.docs.length > max)
        this.#seals.freeze(this.#lastAppliedLsn);
      for (const doc of op.docs) table.put(doc, lsn);
    }
    this.#lastAppliedLsn = lsn;
    if (table.active.rows >= this.#ctx.segmentVectorsMax) this.#seals.freeze(lsn);
  }

  /**
   * Makes every write acknowledged so far part of a sealed segment (or tombstone file) named by a
   * durable manifest, and trims the WAL accordingly.
   */
  async flush(): Promise<void> {
    this.#checkUsable();
    await Promise.allSettled([...this.#inFlight]);
    this.#checkWritable();
    await this.#seals.flush(this.#lastAppliedLsn, () => this.#checkUsable());
  }

  /**
   * Merges small sealed segments and rewrites those with many deleted rows, keeping only live rows
   * (see COMPACTION_DEFAULTS and compaction.ts): seals what is pending first. Reads and writes go on
   * meanwhile.
   */
  async compact(options?: CompactionOptions): Promise<CompactionResult> {
    this.#checkWritable();
    const resolved = resolveCompactionOptions(options);
    await this.flush();
    return this.#tracked(this.#compactor.run(resolved));
  }

  /** The document with this id, or undefined. The vector and metadata are copies. */
  async get(id: string): Promise<StoredDocument | undefined> {
    this.#checkUsable();
    validateId(id);
    return this.#search.get(id);
  }

  /** k nearest live documents, closest first, optionally filtered on metadata (see search-path.ts). */
  async search(vector: Float32Array | readonly number[], options: SearchOptions = {}): Promise<SearchHit[]> {
    this.#checkUsable();
    return this.#search.search(vector, options);
  }

  /** Live documents: those whose writes are acknowledged, as `get` and `search` see them. */
  count(): number {
    this.#checkUsable();
    return this.#table.committed.vectors;
  }

  stats(): CollectionStats {
    this.#checkUsable();
    return collectionStats({
      spec: this.#spec,
      table: this.#table,
      logical: this.#pending.usage,
      wal: this.#wal.stats(),
      recovery: this.#recovery,
      searches: this.#search.counts(),
      seals: this.#seals.stats(),
      tiering: this.#tiering,
      routing: this.#search.routing(),
      pinnedGraph: this.#search.pinnedGraph.stats(),
    });
  }

  /**
   * Moves every sealed segment, or those named in `options.segments`, to `tier` (hot: in memory; warm:
   * local files only; cold: object store only). Pinned, in-use, being-sealed and (for cold) unpublished
   * segments stay and count in `held`. Unknown tier, option or id: INVALID_ARGUMENT, nothing moves.
   */
  async setTier(tier: 'hot' | 'warm' | 'cold', options?: SetTierOptions): Promise<SetTierResult> {
    this.#checkUsable();
    return this.#tiering.setTier(tier, options);
  }

  /**
   * Loads every sealed segment and keeps them hot, out of the budgets' and idle timers' reach. A
   * partitioned collection also builds one graph over every partition's rows (the pinned graph,
   * see partition/pinned-graph.ts), which searches use instead of probing partitions; it resolves
   * once that graph is built. Small partitions stay flat (their rows are in that graph, so their own
   * graphs would double the memory; while the pinned graph is rebuilt they are scanned exactly):
   * those in memory with a graph left by compaction are reloaded without it.
   */
  async pin(): Promise<void> {
    this.#checkUsable();
    const reload = this.#search.flatPartitions();
    if (reload.length > 0) await this.#tiering.setTier('warm', { segments: reload });
    await this.#tiering.pin();
    await this.#search.pinnedGraph.pin();
  }

  /**
   * Pre-loads before traffic: brings the segments of the given `partitions`, of the partitions the
   * given `queries` would probe (`nprobe` each, plus the not-yet-partitioned segments), or of `all`,
   * to local disk, and into memory as far as `hotBytesMax` allows, most wanted first; the rest stays
   * warm (or, beyond `warmBytesMax`, cold). On a collection not yet partitioned, `queries` and `all`
   * cover every sealed segment. Bad options: INVALID_ARGUMENT (DIMENSION_MISMATCH, INVALID_VECTOR for
   * a query), nothing moved. A failed download or load rejects with its typed error; an aborted
   * `signal` starts nothing more and rejects with its reason.
   */
  async warm(options: WarmOptions): Promise<WarmResult> {
    this.#checkUsable();
    const target = this.#search.warmTarget(options);
    const outcome = await this.#tracked(this.#tiering.warm(target.segments, target.signal));
    return { partitions: [...target.partitions], partitionsHot: partitionsHot(target), ...outcome };
  }

  /** Hands the segments back to the policy and drops the pinned graph. */
  unpin(): void {
    this.#checkUsable();
    this.#search.pinnedGraph.unpin();
    this.#tiering.unpin();
  }

  /**
   * Makes the sealed state durable in the object store now (also done in the background after every
   * seal). Rejects with OBJECT_STORE, CIRCUIT_OPEN or MANIFEST_CONFLICT when it cannot.
   */
  async publish(): Promise<PublishOutcome> {
    this.#checkUsable();
    return this.#seals.publish();
  }

  /** Calls `listener` on every tier transition and failed promotion; returns the function that stops it. */
  onTierEvent(listener: TierEventListener): () => void {
    this.#checkUsable();
    return this.#tiering.listen(listener);
  }

  /** Sealed segments, oldest first (for tests and, later, the tiering policy). */
  sealedSegments(): readonly SealedSegment[] {
    return this.#table.sealed;
  }

  /** Documents and bytes this collection holds once accepted writes apply (for tenant quotas). */
  [collectionUsage](): Usage {
    return { ...this.#pending.usage };
  }

  /** Stops accepting calls, lets accepted writes finish, seals a large active segment, closes the WAL. */
  async [closeCollection](state: 'closed' | 'dropped' = 'closed'): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = state;
    if (state === 'dropped') this.#seals.stop();
    await Promise.allSettled([...this.#inFlight]);
    // A reopen then loads the active rows' index instead of rebuilding it (see SEAL_DEFAULTS).
    if (state === 'closed') await this.#seals.sealOnClose(this.#lastAppliedLsn);
    this.#seals.stop();
    await this.#seals.settled();
    await this.#wal.close();
    await this.#tiering.close();
  }

  async [dropCollection](): Promise<void> {
    await this[closeCollection]('dropped');
  }
}
