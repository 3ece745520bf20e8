/**
 * The writes a collection has accepted but not yet applied: an overlay of their effect on ids, the
 * queue of them in LSN order, and the usage the collection will have once they are all applied.
 * Validation (duplicate ids, quotas, delete counts) reads this, so it judges a write against the
 * collection as it will be, even under concurrency. Readers never do: `get` and `search` see only
 * applied writes.
 *
 * This module must never apply a write itself; the collection applies them, in LSN order, once durable.
 */

import type { Usage } from './quota.ts';
import type { WalOperation } from './wal/wal-record.ts';

interface Pending {
  readonly lsn: number;
  readonly op: WalOperation;
}

function idsOf(op: WalOperation): readonly string[] {
  return op.kind === 'delete' ? op.ids : op.docs.map((doc) => doc.id);
}

export class PendingWrites {
  /** id → its bytes once every accepted write is applied (undefined: deleted). */
  readonly #overlay = new Map<string, { lsn: number; bytes: number | undefined }>();
  #queue: Pending[] = [];
  readonly #usage: Usage = { vectors: 0, bytes: 0 };
  readonly #committed: () => Usage;

  /** `committed` gives the usage of what is applied (the segment table's). */
  constructor(committed: () => Usage) {
    this.#committed = committed;
  }

  /** Usage once every accepted write is applied (what quotas check). */
  get usage(): Usage {
    return this.#usage;
  }

  /** The id's bytes once every accepted write is applied: `applied(id)` when no write is pending for it. */
  bytesOf(id: string, applied: (id: string) => number | undefined): number | undefined {
    const pending = this.#overlay.get(id);
    return pending !== undefined ? pending.bytes : applied(id);
  }

  /** Records an accepted write; called in LSN order. */
  accept(
    lsn: number,
    op: WalOperation,
    changes: readonly { id: string; bytes: number | undefined }[],
    usage: Usage,
  ): void {
    for (const change of changes) this.#overlay.set(change.id, { lsn, bytes: change.bytes });
    this.#usage.vectors += usage.vectors;
    this.#usage.bytes += usage.bytes;
    this.#queue.push({ lsn, op });
  }

  /** Forgets a write that failed before it was applied: its effect on ids and usage. */
  rollBack(lsn: number): void {
    const index = this.#queue.findIndex((entry) => entry.lsn === lsn);
    const [entry] = index < 0 ? [] : this.#queue.splice(index, 1);
    if (entry === undefined) return;
    for (const id of idsOf(entry.op)) {
      if (this.#overlay.get(id)?.lsn !== lsn) continue;
      this.#overlay.delete(id);
      // An earlier pending write of the same id is what the id holds now.
      const earlier = this.#queue.findLast((other) => idsOf(other.op).includes(id));
      const doc = earlier?.op.kind === 'delete' ? undefined : earlier?.op.docs.find((d) => d.id === id);
      if (earlier !== undefined) this.#overlay.set(id, { lsn: earlier.lsn, bytes: doc?.bytes });
    }
    this.sync();
  }

  /** Hands every pending write up to `lsn` to `apply`, in LSN order, and forgets it. */
  applyUpTo(lsn: number, apply: (lsn: number, op: WalOperation) => void): void {
    let applied = 0;
    for (const entry of this.#queue) {
      if (entry.lsn > lsn) break;
      apply(entry.lsn, entry.op);
      for (const id of idsOf(entry.op))
        if (this.#overlay.get(id)?.lsn === entry.lsn) this.#overlay.delete(id);
      applied++;
    }
    if (applied > 0) this.#queue = this.#queue.slice(applied);
    this.sync();
  }

  /** With nothing pending, the usage is exactly what is applied. */
  sync(): void {
    if (this.#queue.length > 0) return;
    const committed = this.#committed();
    this.#usage.vectors = committed.vectors;
    this.#usage.bytes = committed.bytes;
  }
}
