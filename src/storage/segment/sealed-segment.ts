/**
 * A sealed segment: immutable files plus the few bytes per row that must stay in memory whatever its
 * tier (deleted flags and document sizes, so deletes, overwrites and quota accounting never need the
 * files). Loading and unloading are first-class: `load()` builds the in-memory form from the files
 * (concurrent callers share one load), `unload()` drops it. A hot segment is loaded; a warm one is
 * files on local disk only; a cold one is only in the object store (the tiering layer downloads its
 * files and marks it local before loading it, and deletes them before marking it cold).
 *
 * Rows deleted after the segment was frozen are tombstones: recorded here, re-applied on every load,
 * and made durable by the collection (WAL, then tombstone files named by the manifest). The segment
 * never writes its own files after sealing.
 */

import { hnswNativeBytes } from './hnsw-memory.ts';
import { readSegmentFiles, type SegmentDescriptor, type VerifiedSegmentFiles } from './segment-file.ts';
import { memoryTotal, type SegmentBytes, type SegmentMemory } from './segment-memory.ts';

export type SealedState = 'sealing' | 'sealed';
export type SegmentTier = 'hot' | 'warm' | 'cold';

export class SealedSegment {
  readonly seq: number;
  readonly id: string;
  readonly dir: string;
  readonly rows: number;
  #state: SealedState;
  #descriptor: SegmentDescriptor | undefined;
  #memory: SegmentMemory | undefined;
  #loading: Promise<SegmentMemory> | undefined;
  #deleted: Uint8Array;
  readonly #docBytes: Uint32Array;
  readonly #tombstones = new Set<number>();
  #deletedCount: number;
  #loads = 0;
  /** Its files are on local disk (false: cold, only in the object store). */
  #local = true;
  /** Loads without its HNSW index and is searched by exact scan (a small partition). */
  #flat = false;

  private constructor(
    seq: number,
    id: string,
    dir: string,
    rows: number,
    resident: { deleted: Uint8Array; docBytes: Uint32Array },
    memory: SegmentMemory | undefined,
    state: SealedState,
  ) {
    this.seq = seq;
    this.id = id;
    this.dir = dir;
    this.rows = rows;
    this.#state = state;
    this.#memory = memory;
    this.#deleted = resident.deleted;
    this.#docBytes = resident.docBytes;
    let deleted = 0;
    for (let row = 0; row < rows; row++) deleted += resident.deleted[row] as number;
    this.#deletedCount = deleted;
  }

  static #fromMemory(seq: number, id: string, dir: string, memory: SegmentMemory, state: SealedState) {
    return new SealedSegment(seq, id, dir, memory.rows, memory.residentState(), memory, state);
  }

  /** A segment just frozen from the active one; it stays loaded until its files are written. */
  static fromFrozen(seq: number, id: string, dir: string, memory: SegmentMemory): SealedSegment {
    return SealedSegment.#fromMemory(seq, id, dir, memory, 'sealing');
  }

  /** Opens a sealed segment from its files and applies its persisted tombstones. */
  static async open(
    dir: string,
    descriptor: SegmentDescriptor,
    tombstones: readonly number[],
    options: { flat: boolean } = { flat: false },
  ): Promise<SealedSegment> {
    const memory = await readSegmentFiles(dir, descriptor, undefined, { index: !options.flat });
    const segment = SealedSegment.#fromMemory(descriptor.seq, descriptor.id, dir, memory, 'sealed');
    segment.#descriptor = descriptor;
    segment.#flat = options.flat;
    segment.#loads = 1;
    for (const row of tombstones) segment.tombstone(row);
    return segment;
  }

  /**
   * A cold segment: its files are only in the object store. `resident` holds each row's deleted flag
   * (as frozen) and document size; `tombstones` are the rows deleted since.
   */
  static cold(
    dir: string,
    descriptor: SegmentDescriptor,
    resident: { deleted: Uint8Array; docBytes: Uint32Array },
    tombstones: readonly number[],
  ): SealedSegment {
    if (resident.deleted.length !== descriptor.rows || resident.docBytes.length !== descriptor.rows) {
      throw new Error(`SealedSegment.cold: resident state of ${descriptor.id} does not match its rows`);
    }
    const segment = new SealedSegment(
      descriptor.seq,
      descriptor.id,
      dir,
      descriptor.rows,
      { deleted: resident.deleted.slice(), docBytes: resident.docBytes },
      undefined,
      'sealed',
    );
    segment.#descriptor = descriptor;
    segment.#local = false;
    for (const row of tombstones) segment.tombstone(row);
    return segment;
  }

  get flat(): boolean {
    return this.#flat;
  }

  /**
   * From the next load on, loads without (flat) or with its HNSW index. Small partitions are flat:
   * reading an hnswlib index costs tens of milliseconds and 2.7 MB of native memory whatever its
   * size, while scanning a few thousand rows costs well under one millisecond.
   */
  setFlat(flat: boolean): void {
    this.#flat = flat;
  }

  get state(): SealedState {
    return this.#state;
  }

  get tier(): SegmentTier {
    if (this.#memory !== undefined) return 'hot';
    return this.#local ? 'warm' : 'cold';
  }

  /** Its files are on local disk now (downloaded). */
  markLocal(): void {
    this.#local = true;
  }

  /** Its files were removed from local disk; only the object store has them. */
  markCold(): void {
    if (this.#memory !== undefined || this.#state !== 'sealed') {
      throw new Error(`SealedSegment ${this.id}: only an unloaded, sealed segment can go cold`);
    }
    this.#local = false;
  }

  get descriptor(): SegmentDescriptor | undefined {
    return this.#descriptor;
  }

  get liveRows(): number {
    return this.rows - this.#deletedCount;
  }

  /** How many times the files were read into memory. */
  get loads(): number {
    return this.#loads;
  }

  /** The files are durable and named by a manifest; from now on the segment may be unloaded. */
  markSealed(descriptor: SegmentDescriptor): void {
    this.#descriptor = descriptor;
    this.#state = 'sealed';
  }

  /** The in-memory form if loaded, without waiting. */
  loaded(): SegmentMemory | undefined {
    return this.#memory;
  }

  /**
   * The in-memory form, reading the files when the segment is not loaded (`verified`: the files were
   * just downloaded and checked, and the Arrow file's bytes are at hand).
   */
  load(verified?: VerifiedSegmentFiles): Promise<SegmentMemory> {
    if (this.#memory !== undefined) return Promise.resolve(this.#memory);
    this.#loading ??= this.#readFiles(verified).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #readFiles(verified: VerifiedSegmentFiles | undefined): Promise<SegmentMemory> {
    const descriptor = this.#descriptor;
    if (descriptor === undefined) throw new Error(`SealedSegment ${this.id}: no descriptor to load from`);
    if (!this.#local) throw new Error(`SealedSegment ${this.id}: cold; download its files before loading`);
    const memory = await readSegmentFiles(this.dir, descriptor, verified, { index: !this.#flat });
    // Tombstones made while unloaded live in the resident flags; replay them onto the fresh copy.
    for (const row of this.#tombstones) memory.markDeleted(row);
    const resident = memory.residentState();
    this.#deleted = resident.deleted;
    this.#memory = memory;
    this.#loads++;
    return memory;
  }

  /** Drops the in-memory form; returns false while the segment is still being sealed. */
  unload(): boolean {
    if (this.#state !== 'sealed') return false;
    this.#memory?.retire();
    this.#memory = undefined;
    return true;
  }

  isDeleted(row: number): boolean {
    return this.#deleted[row] === 1;
  }

  docBytes(row: number): number {
    return this.#docBytes[row] as number;
  }

  /** Records a deletion of a row; returns false when the row was already deleted. */
  tombstone(row: number): boolean {
    if (row < 0 || row >= this.rows) throw new Error(`SealedSegment ${this.id}: row ${row} out of range`);
    if (this.#deleted[row] === 1) return false;
    if (this.#memory !== undefined) this.#memory.markDeleted(row);
    else this.#deleted[row] = 1;
    this.#tombstones.add(row);
    this.#deletedCount++;
    return true;
  }

  /**
   * Bytes it holds in memory once loaded, without loading it (a warm-up plans by it): exact when
   * loaded; otherwise its vectors, ids and metadata from the resident document sizes, plus the
   * modelled HNSW memory unless it loads flat. The model takes the index's capacity to be its rows
   * (the capacity is only known once the index file is read), so a segment frozen with spare slots
   * costs 48 bytes per spare slot more than this says.
   */
  memoryBytesExpected(): number {
    const loaded = this.#memory?.bytes();
    if (loaded !== undefined) return memoryTotal(loaded);
    let bytes = 0;
    for (let row = 0; row < this.rows; row++) bytes += this.#docBytes[row] as number;
    const descriptor = this.#descriptor;
    if (this.#flat || descriptor === undefined) return bytes;
    return bytes + hnswNativeBytes(descriptor, this.rows, this.rows);
  }

  /** Bytes in memory when loaded (vectors, metadata, index) and the size of its files on disk. */
  bytes(): { memory: SegmentBytes | undefined; filesBytes: number } {
    const descriptor = this.#descriptor;
    return {
      memory: this.#memory?.bytes(),
      filesBytes: descriptor === undefined ? 0 : descriptor.arrow.bytes + descriptor.hnsw.bytes,
    };
  }
}
