/**
 * A collection's id → row reference map, kept off the JS heap. A `Map<string, number>` of a million
 * ids is a million strings and a hash table that every full garbage collection marks: ~50 ms on this
 * machine, a pause that lands on whichever search is running. Here the ids are UTF-8 bytes in one
 * buffer and the table is typed arrays, which the collector does not look into.
 *
 * Open addressing with linear probing: `#slots` (a power of two, at most half used, deleted slots
 * counted) holds entry numbers; an entry is its key's place in `#keys`, its hash and its reference.
 * Entries of deleted ids are reused; the key bytes they leave behind are reclaimed when the table is
 * rebuilt (when it grows, or when the garbage is half the key bytes).
 */

import { LIMITS } from './limits.ts';
import { growTyped } from './typed-arrays.ts';

const EMPTY = -1;
const DELETED = -2;
const SLOTS_MIN = 16;

export class IdMap {
  #slots = new Int32Array(SLOTS_MIN).fill(EMPTY);
  /** Slots not EMPTY (live and DELETED). */
  #slotsUsed = 0;
  #size = 0;
  #hash = new Uint32Array(8);
  #keyStart = new Uint32Array(8);
  #keyLength = new Uint16Array(8);
  #ref = new Float64Array(8);
  /** Entries handed out so far (the high-water mark); deleted ones wait in `#freeEntries`. */
  #entries = 0;
  #freeEntries: number[] = [];
  #keys = new Uint8Array(1024);
  #keysUsed = 0;
  #keysGarbage = 0;
  /** The id being looked up, as UTF-8; ids are at most LIMITS.idBytesMax bytes. */
  readonly #scratch = Buffer.allocUnsafeSlow(LIMITS.idBytesMax * 4);

  get size(): number {
    return this.#size;
  }

  get(id: string): number | undefined {
    const length = this.#encode(id);
    if (length < 0) return undefined;
    const slot = this.#find(length, hashBytes(this.#scratch, length));
    return slot < 0 ? undefined : (this.#ref[this.#slots[slot] as number] as number);
  }

  set(id: string, ref: number): void {
    const length = this.#encode(id);
    if (length < 0) throw new Error(`IdMap.set: an id longer than ${LIMITS.idBytesMax} bytes`);
    const hash = hashBytes(this.#scratch, length);
    const found = this.#find(length, hash);
    if (found >= 0) {
      this.#ref[this.#slots[found] as number] = ref;
      return;
    }
    const slot = -found - 1;
    const entry = this.#freeEntries.pop() ?? this.#newEntry();
    this.#hash[entry] = hash;
    this.#keyStart[entry] = this.#appendKey(length);
    this.#keyLength[entry] = length;
    this.#ref[entry] = ref;
    if (this.#slots[slot] === EMPTY) this.#slotsUsed++;
    this.#slots[slot] = entry;
    this.#size++;
    if (this.#slotsUsed * 2 > this.#slots.length) this.#rebuild();
  }

  delete(id: string): boolean {
    const length = this.#encode(id);
    if (length < 0) return false;
    const slot = this.#find(length, hashBytes(this.#scratch, length));
    if (slot < 0) return false;
    const entry = this.#slots[slot] as number;
    this.#slots[slot] = DELETED;
    this.#freeEntries.push(entry);
    this.#keysGarbage += this.#keyLength[entry] as number;
    this.#size--;
    if (this.#keysGarbage > 64 * 1024 && this.#keysGarbage * 2 > this.#keysUsed) this.#rebuild();
    return true;
  }

  /** Bytes of its typed arrays (what it holds outside the JS heap's objects). */
  bytes(): number {
    return (
      this.#slots.byteLength +
      this.#hash.byteLength +
      this.#keyStart.byteLength +
      this.#keyLength.byteLength +
      this.#ref.byteLength +
      this.#keys.byteLength
    );
  }

  /** UTF-8 of `id` into the scratch buffer: its length, or -1 when longer than an id may be. */
  #encode(id: string): number {
    // A string of more than idBytesMax UTF-16 units is longer than idBytesMax bytes; below that
    // it fits the scratch buffer (at most 3 bytes per unit).
    if (id.length > LIMITS.idBytesMax) return -1;
    const length = this.#scratch.write(id, 0, 'utf8');
    return length > LIMITS.idBytesMax ? -1 : length;
  }

  /** The slot of the key in the scratch buffer; when absent, -(the slot to insert it at) - 1. */
  #find(length: number, hash: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = hash & mask;
    let firstDeleted = -1;
    for (;;) {
      const entry = slots[slot] as number;
      if (entry === EMPTY) return -(firstDeleted >= 0 ? firstDeleted : slot) - 1;
      if (entry === DELETED) {
        if (firstDeleted < 0) firstDeleted = slot;
      } else if (
        this.#hash[entry] === hash &&
        this.#keyLength[entry] === length &&
        this.#keyEquals(entry, length)
      ) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  #keyEquals(entry: number, length: number): boolean {
    const keys = this.#keys;
    const scratch = this.#scratch;
    const start = this.#keyStart[entry] as number;
    for (let i = 0; i < length; i++) if (keys[start + i] !== scratch[i]) return false;
    return true;
  }

  #newEntry(): number {
    const entry = this.#entries++;
    if (entry === this.#ref.length) {
      const capacity = this.#ref.length * 2;
      this.#hash = growTyped(this.#hash, new Uint32Array(capacity));
      this.#keyStart = growTyped(this.#keyStart, new Uint32Array(capacity));
      this.#keyLength = growTyped(this.#keyLength, new Uint16Array(capacity));
      this.#ref = growTyped(this.#ref, new Float64Array(capacity));
    }
    return entry;
  }

  /** Appends the scratch buffer's key to `#keys` and returns where it starts. */
  #appendKey(length: number): number {
    if (this.#keysUsed + length > this.#keys.length) {
      this.#keys = growTyped(
        this.#keys,
        new Uint8Array(Math.max(this.#keys.length * 2, this.#keysUsed + length)),
      );
    }
    const start = this.#keysUsed;
    this.#keys.set(this.#scratch.subarray(0, length), start);
    this.#keysUsed += length;
    return start;
  }

  /**
   * Rebuilds the table for its live entries: slots sized so that they are at most a quarter used,
   * entries renumbered densely and their keys copied into a fresh buffer without the garbage.
   */
  #rebuild(): void {
    let capacity = SLOTS_MIN;
    while (capacity < this.#size * 4) capacity *= 2;
    const slots = new Int32Array(capacity).fill(EMPTY);
    const entryCapacity = Math.max(8, this.#size * 2);
    const hash = new Uint32Array(entryCapacity);
    const keyStart = new Uint32Array(entryCapacity);
    const keyLength = new Uint16Array(entryCapacity);
    const ref = new Float64Array(entryCapacity);
    const keys = new Uint8Array(Math.max(1024, (this.#keysUsed - this.#keysGarbage) * 2));
    const mask = capacity - 1;
    let entries = 0;
    let keysUsed = 0;
    for (const old of this.#slots) {
      if (old < 0) continue;
      const entry = entries++;
      const length = this.#keyLength[old] as number;
      const start = this.#keyStart[old] as number;
      keys.set(this.#keys.subarray(start, start + length), keysUsed);
      hash[entry] = this.#hash[old] as number;
      keyStart[entry] = keysUsed;
      keyLength[entry] = length;
      ref[entry] = this.#ref[old] as number;
      keysUsed += length;
      let slot = (hash[entry] as number) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.#slots = slots;
    this.#slotsUsed = entries;
    this.#hash = hash;
    this.#keyStart = keyStart;
    this.#keyLength = keyLength;
    this.#ref = ref;
    this.#entries = entries;
    this.#freeEntries = [];
    this.#keys = keys;
    this.#keysUsed = keysUsed;
    this.#keysGarbage = 0;
  }
}

/** FNV-1a over the first `length` bytes. */
function hashBytes(bytes: Uint8Array, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}
