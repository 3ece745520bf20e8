/**
 * Buffers that flat partitions' Arrow files are read into, used again once the partition they held
 * has left memory. A search on a collection far beyond its hot budget loads a few partition files
 * (~1 MB each) from local disk and evicts as many: with a fresh Buffer per load, V8 counts every
 * file as new external memory, and that growth alone started a full (mark-compact) collection every
 * dozen searches on a 1M store, each pausing a search for 20–50 ms to mark the id map. A fresh
 * buffer also costs its first write a page fault per 4 KiB page (a 1 MB file read into one took
 * 5–10 ms on the 2-core test machine, against ~0.5 ms into a reused one). A reused buffer is neither.
 *
 * A buffer goes back to the pool only when nothing can read it any more: its segment was unloaded
 * and no search holds a hit from it (SegmentMemory's pins; see `SegmentMemory.retire`). A file takes
 * the smallest free buffer that holds it and that it fills to at least half (partitions differ in
 * size), or a new one; files under 64 KiB are not pooled. The pool keeps at most `bytesMax` of free
 * buffers: one given back to a full pool pushes out the buffers that have been free the longest, so
 * the sizes it keeps follow the files being read. The part of a buffer its file does not fill is
 * counted in the hot tier's bytes (`SegmentMemory.bytes().buffers`).
 */

const POOLED_BYTES_MIN = 64 * 1024;
/** Allocations are rounded up to this, so a buffer fits files a little larger than the first it held. */
const ROUND_BYTES = 64 * 1024;
/**
 * A free buffer serves a file only if the file fills at least this share of it. At 0.8, a 1M store's
 * warm searches (files of 139 KB to 2.3 MB) allocated a fresh buffer for one load in seven; at 0.5,
 * one in thirty.
 */
const FILL_MIN = 0.5;

export class FileBufferPool {
  readonly bytesMax: number;
  /** Free buffers, smallest first. */
  readonly #free: ArrayBuffer[] = [];
  /** When each free buffer was given back (the pool pushes out the oldest first). */
  readonly #givenAt = new WeakMap<ArrayBuffer, number>();
  #gives = 0;
  #freeBytes = 0;
  #reused = 0;
  #allocated = 0;

  constructor(bytesMax: number) {
    this.bytesMax = bytesMax;
  }

  /**
   * A view of exactly `bytes` bytes: over the smallest free buffer that holds them and is not more
   * than 1 / FILL_MIN times larger, or over a new one. The buffer always has at least one byte more
   * than the view, so a read can tell a file of `bytes` bytes from a longer one in one call.
   */
  take(bytes: number): Uint8Array {
    if (bytes < POOLED_BYTES_MIN) return new Uint8Array(new ArrayBuffer(bytes + 1), 0, bytes);
    const free = this.#free;
    const i = firstAtLeast(free, bytes + 1);
    const fit = free[i];
    if (fit !== undefined && bytes >= fit.byteLength * FILL_MIN) {
      free.splice(i, 1);
      this.#freeBytes -= fit.byteLength;
      this.#reused++;
      return new Uint8Array(fit, 0, bytes);
    }
    this.#allocated++;
    return new Uint8Array(new ArrayBuffer(Math.ceil((bytes + 1) / ROUND_BYTES) * ROUND_BYTES), 0, bytes);
  }

  /** Returns the buffer behind `view` (from `take`); nothing may read or write it afterwards. */
  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < POOLED_BYTES_MIN) return;
    if (buffer.byteLength > this.bytesMax) return;
    while (this.#freeBytes + buffer.byteLength > this.bytesMax) this.#dropOldest();
    this.#free.splice(firstAtLeast(this.#free, buffer.byteLength), 0, buffer);
    this.#givenAt.set(buffer, ++this.#gives);
    this.#freeBytes += buffer.byteLength;
  }

  /** Lets go of the buffer free the longest (the garbage collector frees it). */
  #dropOldest(): void {
    const free = this.#free;
    let oldest = 0;
    for (let i = 1; i < free.length; i++) {
      if (this.#age(free[i] as ArrayBuffer) < this.#age(free[oldest] as ArrayBuffer)) oldest = i;
    }
    const [dropped] = free.splice(oldest, 1);
    this.#freeBytes -= (dropped as ArrayBuffer).byteLength;
  }

  #age(buffer: ArrayBuffer): number {
    return this.#givenAt.get(buffer) ?? 0;
  }

  /** Free bytes held, buffers handed out again, and buffers allocated (for tests and stats). */
  counts(): { freeBytes: number; reused: number; allocated: number } {
    return { freeBytes: this.#freeBytes, reused: this.#reused, allocated: this.#allocated };
  }
}

/** The index of the first buffer of at least `bytes` bytes in `sorted` (its length if none). */
function firstAtLeast(sorted: readonly ArrayBuffer[], bytes: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as ArrayBuffer).byteLength < bytes) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The process's pool: 64 MiB of free buffers covers the partitions a few concurrent searches load and
 * evict (~1 MB each at the default partition size) in the sizes they come in; it is memory beyond
 * the hot budget, like a load in flight.
 */
export const fileBuffers = new FileBufferPool(64 * 1024 * 1024);
