/**
 * A bounded selection of the k closest candidates: a max-heap on (distance, id) holding at most k
 * entries, so exact scans over any number of rows use O(k) memory. Ties on distance are broken by id,
 * which makes exact results deterministic (the model-based tests depend on it).
 */

export interface Candidate {
  readonly distance: number;
  readonly id: string;
}

/** Orders candidates by distance, then id; the one total order used by every search path. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.distance !== b.distance) return a.distance < b.distance ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class TopK<T extends Candidate> {
  readonly #k: number;
  readonly #heap: T[] = [];

  constructor(k: number) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`TopK: k must be a positive integer, got ${k}`);
    this.#k = k;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The distance a new candidate must beat (or tie) to enter; Infinity while not full. */
  get threshold(): number {
    return this.#heap.length < this.#k ? Number.POSITIVE_INFINITY : (this.#heap[0] as T).distance;
  }

  /** Offers a candidate; `make` is called only when it enters, so rejected rows allocate nothing. */
  offer(distance: number, id: string, make: () => T): void {
    if (distance <= this.threshold && this.accepts(distance, id)) this.add(make());
  }

  /**
   * Whether a candidate at (distance, id) would enter: `add` it then. A scan over many rows uses this
   * pair instead of `offer`, which needs a closure per row (a context allocation per iteration).
   */
  accepts(distance: number, id: string): boolean {
    const heap = this.#heap;
    // Reached only by rows within the threshold: the object below is rare.
    if (heap.length < this.#k) return true;
    return compareCandidates({ distance, id }, heap[0] as T) < 0;
  }

  /** Adds a candidate `accepts` admitted, dropping the worst one when full. */
  add(candidate: T): void {
    const heap = this.#heap;
    if (heap.length < this.#k) {
      heap.push(candidate);
      this.#siftUp(heap.length - 1);
      return;
    }
    heap[0] = candidate;
    this.#siftDown(0);
  }

  /** The selected candidates, closest first. */
  sorted(): T[] {
    return [...this.#heap].sort(compareCandidates);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareCandidates(heap[i] as T, heap[parent] as T) <= 0) break;
      [heap[i], heap[parent]] = [heap[parent] as T, heap[i] as T];
      i = parent;
    }
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < heap.length && compareCandidates(heap[left] as T, heap[largest] as T) > 0) largest = left;
      if (right < heap.length && compareCandidates(heap[right] as T, heap[largest] as T) > 0) largest = right;
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest] as T, heap[i] as T];
      i = largest;
    }
  }
}
