/**
 * The active segment: the one mutable segment of a collection, where every write lands. It appends
 * rows to an in-memory HNSW graph, marks overwritten and deleted rows, and at `freeze()` becomes a
 * sealed segment whose files the collection then writes. It never touches the disk.
 */

import type { ValidDocument } from '../validation.ts';
import type { HnswBuildParams } from './hnsw-index.ts';
import { SealedSegment } from './sealed-segment.ts';
import type { SegmentColumns } from './segment-memory.ts';
import { SegmentMemory } from './segment-memory.ts';

export class ActiveSegment {
  readonly seq: number;
  readonly id: string;
  readonly memory: SegmentMemory;
  readonly createdAtMs: number;

  constructor(seq: number, id: string, params: HnswBuildParams, expectedRows: number, createdAtMs: number) {
    this.seq = seq;
    this.id = id;
    this.memory = SegmentMemory.createEmpty(params, expectedRows);
    this.createdAtMs = createdAtMs;
  }

  get rows(): number {
    return this.memory.rows;
  }

  get liveRows(): number {
    return this.memory.liveRows;
  }

  append(doc: ValidDocument): number {
    return this.memory.append(doc);
  }

  isDeleted(row: number): boolean {
    return this.memory.isDeleted(row);
  }

  docBytes(row: number): number {
    return this.memory.docBytes(row);
  }

  tombstone(row: number): boolean {
    return this.memory.markDeleted(row);
  }

  /** Ends appends: returns the sealing segment (still loaded) and the columns to write. */
  freeze(dir: string): { segment: SealedSegment; columns: SegmentColumns } {
    const columns = this.memory.freeze();
    return { segment: SealedSegment.fromFrozen(this.seq, this.id, dir, this.memory), columns };
  }
}
