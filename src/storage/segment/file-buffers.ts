/**
 * Buffers that flat partitions' Arrow files are read into, used again once the partition they held
 * has left memory. A search on a collection far beyond its hot budget loads a few partition files
 * (~1 MB each) from local disk and evicts as many: with a fresh Buffer per load, V8 counts every
 * file as new external memory, and that growth alone started a full (mark-compact) collection every
 * dozen searches on a 1M store, each pausing a search for 20–50 ms to mark the id map. A reused
 * buffer is no new external memory.
 *
 * A buffer goes back to the pool only when nothing can read it any more: its segment was unloaded
 * and no search holds a hit from it (SegmentMemory's pins; see `SegmentMemory.retire`). The pool
 * keeps at most `bytesMax` of free buffers; a file takes the smallest free buffer that holds it and
 * that it fills to at least 80 % (partitions differ in size), or a new one; files under 64 KiB are
 * not pooled.
 */

const POOLED_BYTES_MIN = 64 * 1024;
/** Allocations are rounded up to this, so a buffer fits files a little larger than the first it held. */
const ROUND_BYTES = 64 * 1024;
/** A free buffer serves a file only if the file fills at least this share of it. */
const FILL_MIN = 0.8;

export class FileBufferPool {
  readonly bytesMax: number;
  /** Free buffers, smallest first. */
  readonly #free: ArrayBuffer[] = [];
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
    if (this.#freeBytes + buffer.byteLength > this.bytesMax) return;
    this.#free.splice(firstAtLeast(this.#free, buffer.byteLength), 0, buffer);
    this.#freeBytes += buffer.byteLength;
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
 * The process's pool: 32 MiB of free buffers covers the partitions a few concurrent searches load and
 * evict (~1 MB each at the default partition size); it is memory beyond the hot budget, like a load
 * in flight.
 */
export const fileBuffers = new FileBufferPool(32 * 1024 * 1024);
