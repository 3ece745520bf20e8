/**
 * What the tiervec target knows about the documents it wrote: which ids are live (so updates,
 * deletes and reads pick real documents), which id each operation holds (so two writes never race
 * on one id and the expected final state is well defined), and, when a scenario asks for it, the
 * last acknowledged state of every id written during the run, which teardown reads back to count
 * acknowledged writes that were lost.
 *
 * A write that failed may or may not have been applied (a timeout after the WAL append, say), so its
 * id becomes `uncertain` and is left out of the check rather than guessed. Memory: one entry per id
 * written during the run, plus the live-id array; both bounded by the dataset and the run's writes.
 */

import type { Rng } from '../../random.ts';

/** The state teardown expects to read back. */
export type ExpectedState =
  | { state: 'present'; version: number }
  | { state: 'absent' }
  | { state: 'uncertain' };

/**
 * Live ids, with O(1) random pick and removal. An id taken for a write is out of the pool until the
 * write settles, so no other operation picks it meanwhile.
 */
export class IdPool {
  readonly #ids: string[] = [];
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.#ids.length;
  }

  add(id: string): void {
    if (this.#index.has(id)) return;
    this.#index.set(id, this.#ids.length);
    this.#ids.push(id);
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  /** A random live id, left in the pool (for reads). */
  peek(rng: Rng): string | undefined {
    if (this.#ids.length === 0) return undefined;
    return this.#ids[rng.nextInt(this.#ids.length)];
  }

  /** A random live id, taken out of the pool (for writes); give it back with `add`. */
  take(rng: Rng): string | undefined {
    if (this.#ids.length === 0) return undefined;
    const id = this.#ids[rng.nextInt(this.#ids.length)] as string;
    this.remove(id);
    return id;
  }

  remove(id: string): void {
    const at = this.#index.get(id);
    if (at === undefined) return;
    const last = this.#ids.pop() as string;
    this.#index.delete(id);
    if (last !== id) {
      this.#ids[at] = last;
      this.#index.set(last, at);
    }
  }
}

export interface LedgerSummary {
  /** Ids whose final state was acknowledged (present with a version, or absent). */
  checkable: number;
  /** Ids left out because a write to them failed without a clear outcome. */
  uncertain: number;
}

/** The last acknowledged state per id written during the run. */
export class WriteLedger {
  readonly #expected = new Map<string, ExpectedState>();

  /** An insert or update of `id` at `version` was acknowledged. */
  acknowledgedWrite(id: string, version: number): void {
    if (this.#expected.get(id)?.state === 'uncertain') return;
    this.#expected.set(id, { state: 'present', version });
  }

  /** A delete of `id` was acknowledged. */
  acknowledgedDelete(id: string): void {
    if (this.#expected.get(id)?.state === 'uncertain') return;
    this.#expected.set(id, { state: 'absent' });
  }

  /** A write to `id` failed: whether it was applied is unknown, so the id is not checked. */
  failedWrite(id: string): void {
    this.#expected.set(id, { state: 'uncertain' });
  }

  expected(id: string): ExpectedState | undefined {
    return this.#expected.get(id);
  }

  /** Every id with a definite expected state. */
  *checkable(): IterableIterator<[string, ExpectedState]> {
    for (const entry of this.#expected) if (entry[1].state !== 'uncertain') yield entry;
  }

  summary(): LedgerSummary {
    let uncertain = 0;
    for (const state of this.#expected.values()) if (state.state === 'uncertain') uncertain++;
    return { checkable: this.#expected.size - uncertain, uncertain };
  }
}
