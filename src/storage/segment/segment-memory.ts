/**
 * The in-memory form of one segment: its rows (ids, vectors, metadata, deleted flags, byte sizes) and
 * its HNSW graph, with the searches that run over them. The active segment appends to one; a sealed
 * segment that is hot holds one built from its files. Row numbers are HNSW labels.
 *
 * It never touches the disk except to write its own index file when asked, and it knows nothing of
 * ids outside itself: the collection decides which row is the live one for an id.
 */

import type { MetadataPredicate } from '../filter.ts';
import type { Metric } from '../metric.ts';
import { growTyped } from '../typed-arrays.ts';
import type { Metadata, ValidDocument } from '../validation.ts';
import { rowDistance } from './distance.ts';
import { fileBuffers } from './file-buffers.ts';
import { type HnswBuildParams, HnswIndex } from './hnsw-index.ts';
import { hnswNativeBytes } from './hnsw-memory.ts';
import { TopK } from './top-k.ts';
import { byteLengthAt, type StringColumn, stringAt, stringsOf, totalByteLengthOf } from './utf8-column.ts';

export interface RowHit {
  readonly memory: SegmentMemory;
  readonly row: number;
  readonly distance: number;
  readonly id: string;
}

/** The columns of a segment, as written to and read from its Arrow file. */
export interface SegmentColumns {
  readonly rows: number;
  readonly ids: readonly string[];
  /** rows × dimension float32 values, row-major. */
  readonly vectors: Float32Array;
  readonly metadataJson: readonly string[];
  /** 1 where the row was deleted before the segment was frozen. */
  readonly deleted: Uint8Array;
}

/**
 * Columns as read from a segment's Arrow file: ids and metadata may stay the file's UTF-8 bytes,
 * decoded per row when asked (`Utf8Column`).
 */
export interface FileColumns extends Omit<SegmentColumns, 'ids' | 'metadataJson'> {
  readonly ids: StringColumn;
  readonly metadataJson: StringColumn;
}

export interface SegmentBytes {
  vectors: number;
  metadata: number;
  index: number;
  /**
   * The rest of a flat partition's pooled file buffer (see file-buffers.ts): the Arrow file's framing
   * and the room a reused buffer has beyond the file. Zero for other segments.
   */
  buffers: number;
}

/** Everything a segment holds in memory. */
export function memoryTotal(bytes: SegmentBytes): number {
  return bytes.vectors + bytes.metadata + bytes.index + bytes.buffers;
}

const INITIAL_CAPACITY_MAX = 1_024;

/** Rows marked deleted in any SegmentMemory of this process: a cheap signal that counts may have changed. */
let rowsMarkedDeleted = 0;

/** See `rowsMarkedDeleted`: caches of per-segment deletion counts recount only when it moved. */
export function deletionsMarked(): number {
  return rowsMarkedDeleted;
}

export class SegmentMemory {
  readonly dimension: number;
  readonly metric: Metric;
  readonly #params: HnswBuildParams;
  /** Plain strings while appendable; a read-only segment keeps what its file gave (see FileColumns). */
  #ids: StringColumn;
  #vectors: Float32Array;
  #metadataJson: StringColumn;
  /** Parsed metadata by row, allocated at the first parse (see `metadata`). */
  #metadata: (Metadata | undefined)[] | undefined;
  /** Per row: id + vector + metadata bytes. A read-only segment computes it when first asked. */
  #docBytes: Uint32Array | undefined;
  #deleted: Uint8Array;
  #rows: number;
  #deletedCount: number;
  #metadataBytes: number;
  /** Undefined for a flat segment: searched by exact scan, no native index memory. */
  readonly #index: HnswIndex | undefined;
  #indexFileBytes: number | undefined;
  #appendable: boolean;
  /** Deletions made while the index is being written; applied to the graph once it is on disk. */
  #deferredDeletes: number[] | undefined;
  /** The pooled buffer its columns are views into (a flat partition's file; see file-buffers.ts). */
  #fileBytes: Uint8Array | undefined;
  /** Searches holding hits of it (see `pin`); its file buffer waits for them. */
  #pins = 0;
  #retired = false;
  /** Its file buffer went back to the pool: its ids, vectors and metadata are gone. */
  #released = false;

  private constructor(
    params: HnswBuildParams,
    index: HnswIndex | undefined,
    columns: FileColumns,
    capacity: number,
  ) {
    this.dimension = params.dimension;
    this.metric = params.metric;
    this.#params = params;
    this.#index = index;
    this.#rows = columns.rows;
    // A read-only segment owns the columns it was given (no copy: a search that loads warm
    // partitions pays this on every load); an appendable one allocates.
    const exact = capacity === columns.rows;
    this.#ids = exact ? columns.ids : stringsOf(columns.ids);
    this.#metadataJson = exact ? columns.metadataJson : stringsOf(columns.metadataJson);
    // Filled as rows' metadata is parsed: a segment loaded for a scan parses only its hits'.
    this.#metadata = undefined;
    this.#vectors = exact ? columns.vectors : new Float32Array(capacity * params.dimension);
    this.#deleted = exact ? columns.deleted : new Uint8Array(capacity);
    // A segment loaded for a scan never needs its rows' sizes (its sealed segment keeps them).
    this.#docBytes = exact ? undefined : new Uint32Array(capacity);
    this.#deletedCount = 0;
    for (let row = 0; row < columns.rows; row++) if (this.#deleted[row]) this.#deletedCount++;
    this.#metadataBytes =
      totalByteLengthOf(this.#ids, columns.rows) + totalByteLengthOf(this.#metadataJson, columns.rows);
    this.#appendable = false;
  }

  /** An empty, appendable segment (the active one). */
  static createEmpty(params: HnswBuildParams, expectedRows: number): SegmentMemory {
    const capacity = Math.max(1, Math.min(expectedRows, INITIAL_CAPACITY_MAX));
    const index = HnswIndex.create(params, capacity);
    const empty: SegmentColumns = {
      rows: 0,
      ids: [],
      vectors: new Float32Array(0),
      metadataJson: [],
      deleted: new Uint8Array(0),
    };
    const memory = new SegmentMemory(params, index, empty, capacity);
    memory.#appendable = true;
    return memory;
  }

  /**
   * A read-only segment from its files' contents. The index's deletion marks must match
   * `columns.deleted`; later deletions (tombstones) are applied with `markDeleted`. Without an index
   * the segment is flat: `annSearch` is not available and searches scan it exactly.
   */
  static fromColumns(
    params: HnswBuildParams,
    index: HnswIndex | undefined,
    columns: FileColumns,
    indexFileBytes: number,
    fileBytes?: Uint8Array,
  ): SegmentMemory {
    if (
      columns.vectors.length !== columns.rows * params.dimension ||
      columns.deleted.length !== columns.rows
    ) {
      throw new Error('SegmentMemory.fromColumns: column lengths do not match the row count');
    }
    const memory = new SegmentMemory(params, index, columns, columns.rows);
    memory.#indexFileBytes = indexFileBytes;
    memory.#fileBytes = fileBytes;
    return memory;
  }

  /**
   * A search read it and holds its hits until they are merged (ids and metadata of a flat partition
   * are read from its file buffer then): the buffer must not go back to the pool before `unpin`.
   */
  pin(): void {
    this.#pins++;
  }

  unpin(): void {
    this.#pins--;
    if (this.#pins < 0) throw new Error('SegmentMemory.unpin: unpinned more than pinned');
    if (this.#pins === 0 && this.#retired) this.#releaseFileBytes();
  }

  /**
   * Its segment unloaded it and will never read it again: a pooled file buffer goes back to the pool
   * once no search holds it pinned. Reading its rows afterwards is a bug and throws.
   */
  retire(): void {
    this.#retired = true;
    if (this.#pins === 0) this.#releaseFileBytes();
  }

  #releaseFileBytes(): void {
    const bytes = this.#fileBytes;
    if (bytes === undefined) return;
    this.#fileBytes = undefined;
    this.#released = true;
    this.#ids = [];
    this.#metadataJson = [];
    this.#vectors = new Float32Array(0);
    fileBuffers.give(bytes);
  }

  #checkReadable(): void {
    if (this.#released) throw new Error('SegmentMemory: read after its segment unloaded it');
  }

  get rows(): number {
    return this.#rows;
  }

  get liveRows(): number {
    return this.#rows - this.#deletedCount;
  }

  /** Size of the index file it was read from or wrote (undefined before the first write). */
  get indexFileBytes(): number | undefined {
    return this.#indexFileBytes;
  }

  /** It has an HNSW graph (false: a flat segment, searched by exact scan). */
  get indexed(): boolean {
    return this.#index !== undefined;
  }

  get params(): HnswBuildParams {
    return this.#params;
  }

  id(row: number): string {
    this.#checkReadable();
    return stringAt(this.#ids, row);
  }

  isDeleted(row: number): boolean {
    return this.#deleted[row] === 1;
  }

  docBytes(row: number): number {
    return this.#docBytesArray()[row] as number;
  }

  /** A copy of the row's vector. */
  vector(row: number): Float32Array {
    this.#checkReadable();
    const start = row * this.dimension;
    return this.#vectors.slice(start, start + this.dimension);
  }

  /** The row's metadata as a fresh object the caller may keep and mutate. */
  metadataCopy(row: number): Metadata {
    this.#checkReadable();
    return JSON.parse(stringAt(this.#metadataJson, row)) as Metadata;
  }

  /**
   * The row's metadata, parsed once, deep-frozen and shared: what filters read and search hits
   * return (a hit costs no parse, and no caller can change what another sees).
   */
  metadata(row: number): Metadata {
    let parsed = this.#metadata?.[row];
    if (parsed === undefined) {
      this.#checkReadable();
      parsed = deepFreeze(JSON.parse(stringAt(this.#metadataJson, row)) as Metadata);
      // Sized to the capacity: rows parsed out of order into a growing array would turn it into a
      // hash table (V8 does past a gap of 1,024), and every hit's lookup would pay for it.
      this.#metadata ??= new Array<Metadata | undefined>(this.#deleted.length);
      this.#metadata[row] = parsed;
    }
    return parsed;
  }

  /** Appends a document as a new row and returns the row number. */
  append(doc: ValidDocument): number {
    if (!this.#appendable) throw new Error('SegmentMemory.append: the segment is frozen');
    const row = this.#rows;
    if (row >= this.#deleted.length) this.#grow(this.#deleted.length * 2);
    (this.#index as HnswIndex).add(doc.vector, row);
    this.#vectors.set(doc.vector, row * this.dimension);
    (this.#ids as string[])[row] = doc.id;
    (this.#metadataJson as string[])[row] = doc.metadataJson;
    (this.#docBytes as Uint32Array)[row] = doc.bytes;
    this.#metadataBytes += doc.bytes - this.dimension * 4;
    this.#rows = row + 1;
    return row;
  }

  #grow(capacity: number): void {
    const vectors = new Float32Array(capacity * this.dimension);
    vectors.set(this.#vectors);
    this.#vectors = vectors;
    this.#docBytes = growTyped(this.#docBytes as Uint32Array, new Uint32Array(capacity));
    this.#deleted = growTyped(this.#deleted, new Uint8Array(capacity));
    const parsed = this.#metadata;
    if (parsed !== undefined) {
      this.#metadata = new Array<Metadata | undefined>(capacity);
      for (let row = 0; row < parsed.length; row++) this.#metadata[row] = parsed[row];
    }
  }

  /** Marks a row deleted; returns false when it already was. */
  markDeleted(row: number): boolean {
    if (row < 0 || row >= this.#rows) throw new Error(`SegmentMemory.markDeleted: row ${row} out of range`);
    if (this.#deleted[row] === 1) return false;
    this.#deleted[row] = 1;
    this.#deletedCount++;
    rowsMarkedDeleted++;
    if (this.#deferredDeletes !== undefined) this.#deferredDeletes.push(row);
    else this.#index?.markDeleted(row);
    return true;
  }

  /**
   * Stops appends and returns the columns as they are now (the deleted flags copied, so later
   * deletions stay out of the Arrow file). Until `indexWritten()`, deletions skip the graph so that
   * the index file matches those flags exactly.
   */
  freeze(): SegmentColumns {
    this.#appendable = false;
    this.#deferredDeletes = [];
    return {
      rows: this.#rows,
      ids: (this.#ids as string[]).slice(0, this.#rows),
      vectors: this.#vectors.subarray(0, this.#rows * this.dimension),
      metadataJson: (this.#metadataJson as string[]).slice(0, this.#rows),
      deleted: this.#deleted.slice(0, this.#rows),
    };
  }

  async writeIndex(path: string): Promise<void> {
    if (this.#index === undefined) throw new Error('SegmentMemory.writeIndex: a flat segment has no index');
    await this.#index.write(path);
  }

  /** The index file is on disk: apply the deletions that waited for it. */
  indexWritten(indexFileBytes: number): void {
    const deferred = this.#deferredDeletes ?? [];
    this.#deferredDeletes = undefined;
    for (const row of deferred) this.#index?.markDeleted(row);
    this.#indexFileBytes = indexFileBytes;
  }

  /** Approximate HNSW search; `query` is a plain array (see HnswIndex.search). */
  annSearch(query: number[], k: number, ef: number, predicate?: MetadataPredicate): RowHit[] {
    if (this.#index === undefined) throw new Error('SegmentMemory.annSearch: a flat segment has no index');
    const filter = this.#labelFilter(predicate);
    const { labels, distances } = this.#index.search(query, k, ef, filter);
    const hits: RowHit[] = [];
    for (let i = 0; i < labels.length; i++) {
      const row = labels[i] as number;
      if (this.#deleted[row] === 1) continue;
      hits.push({ memory: this, row, distance: distances[i] as number, id: stringAt(this.#ids, row) });
    }
    return hits;
  }

  #labelFilter(predicate: MetadataPredicate | undefined): ((label: number) => boolean) | undefined {
    const deleted = this.#deleted;
    const deferred = this.#deferredDeletes !== undefined && this.#deferredDeletes.length > 0;
    if (predicate !== undefined) {
      return deferred
        ? (label) => deleted[label] === 0 && predicate(this.metadata(label))
        : (label) => predicate(this.metadata(label));
    }
    return deferred ? (label) => deleted[label] === 0 : undefined;
  }

  /** Brute-force k-NN over live rows matching `predicate`: the reference HNSW is measured against. */
  exactSearch(query: Float32Array, queryNorm: number, k: number, predicate?: MetadataPredicate): RowHit[] {
    this.#checkReadable();
    const top = new TopK<RowHit>(k);
    const dimension = this.dimension;
    for (let row = 0; row < this.#rows; row++) {
      if (this.#deleted[row] === 1) continue;
      if (predicate !== undefined && !predicate(this.metadata(row))) continue;
      const d = rowDistance(this.metric, query, queryNorm, this.#vectors, row * dimension);
      // Most rows lose at once: skip the id lookup and the candidate closure for them.
      if (d > top.threshold) continue;
      const id = stringAt(this.#ids, row);
      if (top.accepts(d, id)) top.add({ memory: this, row, distance: d, id });
    }
    return top.sorted();
  }

  /**
   * Estimated number of live rows matching `predicate`, from an evenly spaced sample of at most
   * `samplesMax` rows (deterministic, so the same query takes the same path every time).
   */
  estimateMatches(predicate: MetadataPredicate, samplesMax: number): number {
    if (this.#rows === 0) return 0;
    const samples = Math.min(samplesMax, this.#rows);
    const step = this.#rows / samples;
    let matches = 0;
    for (let i = 0; i < samples; i++) {
      const row = Math.floor(i * step);
      if (this.#deleted[row] === 0 && predicate(this.metadata(row))) matches++;
    }
    return (matches / samples) * this.#rows;
  }

  bytes(): SegmentBytes {
    const vectors = this.#rows * this.dimension * 4;
    const file = this.#fileBytes;
    return {
      vectors,
      metadata: this.#metadataBytes,
      buffers: file === undefined ? 0 : Math.max(0, file.buffer.byteLength - vectors - this.#metadataBytes),
      // hnswlib's native memory (its fixed cost included), not the index file's size: the hot budget
      // must bound what the process really holds. A flat segment has none.
      index: this.#index === undefined ? 0 : hnswNativeBytes(this.#params, this.#index.capacity, this.#rows),
    };
  }

  /** Per-row deleted flags and document sizes, which a sealed segment keeps while unloaded. */
  residentState(): { deleted: Uint8Array; docBytes: Uint32Array } {
    return { deleted: this.#deleted, docBytes: this.#docBytesArray() };
  }

  #docBytesArray(): Uint32Array {
    if (this.#docBytes === undefined) {
      this.#checkReadable();
      const docBytes = new Uint32Array(this.#rows);
      const vectorBytes = this.dimension * 4;
      for (let row = 0; row < this.#rows; row++) {
        docBytes[row] = byteLengthAt(this.#ids, row) + byteLengthAt(this.#metadataJson, row) + vectorBytes;
      }
      this.#docBytes = docBytes;
    }
    return this.#docBytes;
  }
}

/** Freezes a parsed JSON value and everything in it; iterative, as metadata depth is bounded anyway. */
function deepFreeze<T extends object>(root: T): T {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const value = stack.pop() as object;
    Object.freeze(value);
    for (const child of Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return root;
}
