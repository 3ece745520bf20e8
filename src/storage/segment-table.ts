/**
 * A collection's segment table: the state every part of a collection shares. It holds the newest
 * durable local manifest, the active segment, the sealed segments (oldest first), the id map (each
 * live id → the segment and row of its one live row), the committed usage (documents and bytes of
 * applied writes), and the tombstones of sealed rows that no manifest names yet.
 *
 * The write path puts and removes rows here, recovery loads sealed segments into it, the seal
 * pipeline freezes the active segment and advances the manifest, compaction replaces segments, and
 * the search path reads it. This module does no I/O and knows nothing of tiers: callers register and
 * unregister segments with the tiering layer themselves. It must never leave an id pointing at a row
 * that is deleted, or at a segment it no longer holds.
 */

import type { Clock } from '../clock.ts';
import type { CollectionSpec } from './collection-spec.ts';
import { IdMap } from './id-map.ts';
import type { Manifest } from './manifest.ts';
import type { Usage } from './quota.ts';
import { ActiveSegment } from './segment/active-segment.ts';
import type { HnswBuildParams } from './segment/hnsw-index.ts';
import { SealedSegment } from './segment/sealed-segment.ts';
import { type SegmentDescriptor, segmentIdFor } from './segment/segment-file.ts';
import type { SegmentColumns, SegmentMemory } from './segment/segment-memory.ts';
import type { ValidDocument } from './validation.ts';

export type Segment = ActiveSegment | SealedSegment;

/**
 * A deleted row of a sealed segment, waiting for a manifest to name it in a tombstone file; `lsn` is
 * the write that deleted it, so that only a manifest whose `sealedLsn` covers that write names it.
 */
export interface Tombstone {
  readonly seq: number;
  readonly row: number;
  readonly lsn: number;
}

/** Where a row of a merged segment came from (compaction). */
export interface RowOrigin {
  readonly seq: number;
  readonly row: number;
}

/** A segment built by compaction from rows of older ones: its memory, descriptor and each row's origin. */
export interface BuiltRows {
  readonly memory: SegmentMemory;
  readonly descriptor: SegmentDescriptor;
  readonly origins: readonly RowOrigin[];
}

/** The active segment as it was frozen: now a sealed segment still loaded, and its columns to write. */
export interface FrozenSegment {
  readonly segment: SealedSegment;
  readonly columns: SegmentColumns;
  readonly createdAtMs: number;
}

export interface SegmentTableOptions {
  readonly spec: CollectionSpec;
  /** The manifest the collection opened with. */
  readonly manifest: Manifest;
  /** Where sealed segments' files go. */
  readonly segmentsDir: string;
  readonly segmentVectorsMax: number;
  readonly clock: Clock;
}

const TWO_POW_32 = 2 ** 32;
/** Rows and seqs small enough to share one small integer (V8 keeps it unboxed: see `rowRef`). */
const SMALL_ROW_BITS = 16;
const SMALL_ROWS = 2 ** SMALL_ROW_BITS;
const SMALL_SEQS = 2 ** 14;

/**
 * A row's reference in the id map: its segment's seq and its row, in one number. Below seq 16,384 and
 * row 65,536 it is `seq × 2^16 + row`, under 2^30, which V8 stores unboxed; beyond, `(seq + 1) × 2^32
 * + row` (at least 2^32, so the two forms never meet). With every reference a boxed double, a million
 * ids held a million more heap objects that every full garbage collection had to mark.
 */
export function rowRef(seq: number, row: number): number {
  return seq < SMALL_SEQS && row < SMALL_ROWS ? seq * SMALL_ROWS + row : (seq + 1) * TWO_POW_32 + row;
}

/** The seq and row of a `rowRef`. */
export function rowRefParts(ref: number): { seq: number; row: number } {
  if (ref < TWO_POW_32) return { seq: Math.floor(ref / SMALL_ROWS), row: ref % SMALL_ROWS };
  const seq = Math.floor(ref / TWO_POW_32) - 1;
  return { seq, row: ref - (seq + 1) * TWO_POW_32 };
}

export class SegmentTable {
  /** The newest manifest durable on local disk (the seal pipeline and compaction advance it). */
  manifest: Manifest;
  #active: ActiveSegment;
  #sealed: SealedSegment[] = [];
  readonly #bySeq = new Map<number, Segment>();
  /** id → rowRef of its one live row (off the JS heap: see id-map.ts). */
  readonly #ids = new IdMap();
  readonly #committed: Usage = { vectors: 0, bytes: 0 };
  #pendingTombstones: Tombstone[] = [];
  #reservedSeqTop = 0;
  readonly #options: SegmentTableOptions;

  constructor(options: SegmentTableOptions) {
    this.#options = options;
    this.manifest = options.manifest;
    this.#active = this.#newActive(options.manifest.nextSegmentSeq);
  }

  get active(): ActiveSegment {
    return this.#active;
  }

  /** Sealed segments, oldest first. */
  get sealed(): readonly SealedSegment[] {
    return this.#sealed;
  }

  /** Documents and bytes of the applied writes. */
  get committed(): Readonly<Usage> {
    return this.#committed;
  }

  get pendingTombstones(): readonly Tombstone[] {
    return this.#pendingTombstones;
  }

  /** The HNSW parameters of segment `seq` (its seq seeds the graph). */
  buildParams(seq: number): HnswBuildParams {
    const { dimension, metric, hnsw } = this.#options.spec;
    return { dimension, metric, m: hnsw.m, efConstruction: hnsw.efConstruction, seed: seq };
  }

  /** The rowRef of the id's live row, or undefined. */
  refOf(id: string): number | undefined {
    return this.#ids.get(id);
  }

  /** Bytes of the id's live document (id + vector + metadata JSON), or undefined when it has none. */
  docBytesOf(id: string): number | undefined {
    const ref = this.#ids.get(id);
    if (ref === undefined) return undefined;
    const { segment, row } = this.resolve(ref);
    return segment.docBytes(row);
  }

  resolve(ref: number): { segment: Segment; row: number } {
    const { seq, row } = rowRefParts(ref);
    const segment = this.#bySeq.get(seq);
    if (segment === undefined) throw new Error(`SegmentTable: no segment ${seq} for a live id`);
    return { segment, row };
  }

  /** The sealed segment with this seq (compaction names its groups by seq). */
  sealedBySeq(seq: number): SealedSegment {
    const segment = this.#bySeq.get(seq);
    if (!(segment instanceof SealedSegment)) throw new Error(`SegmentTable: no sealed segment ${seq}`);
    return segment;
  }

  /**
   * True when a sealed row is live in the state the manifest covers: not deleted, or deleted by a
   * write after the manifest's `sealedLsn` (its tombstone still pending). Compaction keeps such rows,
   * so a manifest it writes (with the same `sealedLsn`) still holds them.
   */
  isLiveInManifest(seq: number, row: number): boolean {
    if (!this.sealedBySeq(seq).isDeleted(row)) return true;
    return this.#pendingTombstones.some((tombstone) => tombstone.seq === seq && tombstone.row === row);
  }

  /** Adds a sealed segment read on open; `idOf` names each of its rows. */
  addLoaded(segment: SealedSegment, idOf: (row: number) => string): void {
    this.#sealed.push(segment);
    this.#bySeq.set(segment.seq, segment);
    for (let row = 0; row < segment.rows; row++) {
      if (segment.isDeleted(row)) continue;
      this.#ids.set(idOf(row), rowRef(segment.seq, row));
      this.#committed.vectors++;
      this.#committed.bytes += segment.docBytes(row);
    }
  }

  /** Appends a document (write `lsn`) to the active segment; its previous live row, if any, is removed. */
  put(doc: ValidDocument, lsn: number): void {
    this.removeLive(doc.id, lsn);
    const row = this.#active.append(doc);
    this.#ids.set(doc.id, rowRef(this.#active.seq, row));
    this.#committed.vectors++;
    this.#committed.bytes += doc.bytes;
  }

  /** Deletes the id's live row, if any, by write `lsn` (a sealed row's deletion waits for a tombstone file). */
  removeLive(id: string, lsn: number): void {
    const ref = this.#ids.get(id);
    if (ref === undefined) return;
    const { segment, row } = this.resolve(ref);
    segment.tombstone(row);
    if (segment instanceof SealedSegment) this.#pendingTombstones.push({ seq: segment.seq, row, lsn });
    this.#committed.vectors--;
    this.#committed.bytes -= segment.docBytes(row);
    this.#ids.delete(id);
  }

  /** Freezes a non-empty active segment into a sealing one (still searchable) and starts the next. */
  freezeActive(): FrozenSegment | undefined {
    const active = this.#active;
    if (active.rows === 0) return undefined;
    const { segment, columns } = active.freeze(this.#options.segmentsDir);
    this.#sealed.push(segment);
    this.#bySeq.set(segment.seq, segment);
    this.#active = this.#newActive(Math.max(active.seq, this.#reservedSeqTop) + 1);
    return { segment, columns, createdAtMs: active.createdAtMs };
  }

  /** Forgets the tombstones a durable manifest now names. */
  dropTombstones(written: ReadonlySet<Tombstone>): void {
    this.#pendingTombstones = this.#pendingTombstones.filter((tombstone) => !written.has(tombstone));
  }

  /**
   * Reserves `count` fresh segment sequence numbers for segments compaction writes (partitions), and
   * returns the first; the next active segment starts after them. The manifest that names those
   * segments must carry `nextSegmentSeq` of at least `reservedSeqTop + 1`.
   */
  reserveSeqs(count: number): number {
    const first = Math.max(this.#active.seq, this.#reservedSeqTop) + 1;
    this.#reservedSeqTop = first + count - 1;
    return first;
  }

  /** The highest sequence number reserved so far (0 when none). */
  get reservedSeqTop(): number {
    return this.#reservedSeqTop;
  }

  /**
   * Replaces `old` with the segments built from their rows, now that a durable manifest names them:
   * ids move to their new rows, and rows deleted since the build read them become their tombstones.
   */
  replaceSegments(old: readonly SealedSegment[], built: readonly BuiltRows[]): SealedSegment[] {
    const created = built.map(({ memory, descriptor }) => {
      const segment = SealedSegment.fromFrozen(
        descriptor.seq,
        descriptor.id,
        this.#options.segmentsDir,
        memory,
      );
      segment.markSealed(descriptor);
      return segment;
    });
    const newRow = new Map<number, { segment: SealedSegment; row: number }>();
    built.forEach(({ origins }, i) => {
      const segment = created[i] as SealedSegment;
      origins.forEach((origin, row) => {
        newRow.set(rowRef(origin.seq, origin.row), { segment, row });
      });
    });
    const oldSeqs = new Set(old.map((s) => s.seq));
    const pending: Tombstone[] = [];
    for (const tombstone of this.#pendingTombstones) {
      if (!oldSeqs.has(tombstone.seq)) {
        pending.push(tombstone);
        continue;
      }
      const moved = newRow.get(rowRef(tombstone.seq, tombstone.row));
      if (moved?.segment.tombstone(moved.row)) {
        pending.push({ seq: moved.segment.seq, row: moved.row, lsn: tombstone.lsn });
      }
    }
    this.#pendingTombstones = pending;
    built.forEach(({ memory, origins }, i) => {
      const seq = (created[i] as SealedSegment).seq;
      origins.forEach((origin, row) => {
        const id = memory.id(row);
        if (this.#ids.get(id) === rowRef(origin.seq, origin.row)) this.#ids.set(id, rowRef(seq, row));
      });
    });
    this.#sealed = [...this.#sealed.filter((s) => !old.includes(s)), ...created].sort(
      (a, b) => a.seq - b.seq,
    );
    for (const s of old) this.#bySeq.delete(s.seq);
    for (const segment of created) this.#bySeq.set(segment.seq, segment);
    return created;
  }

  #newActive(seq: number): ActiveSegment {
    const { segmentVectorsMax, clock } = this.#options;
    const segment = new ActiveSegment(
      seq,
      segmentIdFor(seq),
      this.buildParams(seq),
      segmentVectorsMax,
      clock.now(),
    );
    this.#bySeq.set(seq, segment);
    return segment;
  }
}
