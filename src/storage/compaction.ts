/**
 * Compaction of one collection's sealed segments. Small segments (fewer live rows than
 * `smallSegmentRatio` × segmentVectorsMax) are merged, and segments with many deleted rows (at least
 * `deletedRatioMin` of their rows) are rewritten, in groups of at most segmentVectorsMax live rows;
 * the rewrite keeps only live rows and builds a fresh HNSW graph over them.
 *
 * `planCompaction` and `mergeSegments` decide and build without I/O. `Compactor` runs a compaction in
 * its turn of the collection's manifest writes (so no seal interleaves): it writes the new segments'
 * files, then the new manifest, swaps the segments in the segment table once that manifest is durable
 * (rows deleted meanwhile become tombstones of the new segment), and only then removes the old files;
 * the object store deletes what its new manifest no longer names only after that manifest is durable
 * there. Reads and writes go on meanwhile. It must never remove a file a durable manifest names.
 */

import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { checkNumber } from '../errors.ts';
import type { Serial } from '../serial.ts';
import type { CollectionDirs } from './collection-dirs.ts';
import { removeDurable } from './durable-file.ts';
import { readdir } from './file-system.ts';
import {
  type Manifest,
  readTombstoneFile,
  type TombstoneFileRef,
  versionFileName,
  writeManifest,
} from './manifest.ts';
import type { HnswBuildParams } from './segment/hnsw-index.ts';
import type { SealedSegment } from './segment/sealed-segment.ts';
import { type SegmentDescriptor, segmentIdFor, writeSegmentFiles } from './segment/segment-file.ts';
import type { SegmentColumns, SegmentMemory } from './segment/segment-memory.ts';
import { SegmentMemory as Memory } from './segment/segment-memory.ts';
import type { RowOrigin, SegmentTable } from './segment-table.ts';
import type { StoreWarning } from './store-warning.ts';
import type { CollectionTiering } from './tiering/collection-tiering.ts';
import { checkOptionsObject } from './validation.ts';

export const COMPACTION_DEFAULTS = Object.freeze({
  /** A segment with fewer live rows than this fraction of `segmentVectorsMax` is merged with others. */
  smallSegmentRatio: 0.5,
  /** A segment with at least this fraction of its rows deleted is rewritten, even alone. */
  deletedRatioMin: 0.2,
});

export interface CompactionOptions {
  /** @default 0.5 */
  smallSegmentRatio?: number;
  /** @default 0.2 */
  deletedRatioMin?: number;
}

export interface CompactionResult {
  /** Sealed segments before and after. */
  segmentsBefore: number;
  segmentsAfter: number;
  /** Segments rewritten, and the segments written for them. */
  segmentsRewritten: number;
  segmentsWritten: number;
  /** Deleted rows dropped from the rewritten segments. */
  rowsDropped: number;
}

export interface CompactionCandidate {
  readonly seq: number;
  readonly rows: number;
  readonly liveRows: number;
}

export function resolveCompactionOptions(input: unknown): Readonly<Required<CompactionOptions>> {
  const given = checkOptionsObject('compact options', input ?? {}, Object.keys(COMPACTION_DEFAULTS));
  return Object.freeze({
    smallSegmentRatio: checkNumber(
      'smallSegmentRatio',
      given.smallSegmentRatio ?? COMPACTION_DEFAULTS.smallSegmentRatio,
      0,
      1,
    ),
    deletedRatioMin: checkNumber(
      'deletedRatioMin',
      given.deletedRatioMin ?? COMPACTION_DEFAULTS.deletedRatioMin,
      0,
      1,
    ),
  });
}

/** Groups of segments (by seq, in order) worth rewriting together. */
export function planCompaction(
  segments: readonly CompactionCandidate[],
  segmentVectorsMax: number,
  options: Readonly<Required<CompactionOptions>>,
): number[][] {
  const deletedHeavy = (s: CompactionCandidate) =>
    s.rows > 0 && (s.rows - s.liveRows) / s.rows >= options.deletedRatioMin && s.rows > s.liveRows;
  const candidates = segments.filter(
    (s) => s.liveRows < options.smallSegmentRatio * segmentVectorsMax || deletedHeavy(s),
  );
  const groups: CompactionCandidate[][] = [];
  let current: CompactionCandidate[] = [];
  let live = 0;
  for (const segment of candidates) {
    if (current.length > 0 && live + segment.liveRows > segmentVectorsMax) {
      groups.push(current);
      current = [];
      live = 0;
    }
    current.push(segment);
    live += segment.liveRows;
  }
  if (current.length > 0) groups.push(current);
  return groups
    .filter((group) => group.length > 1 || deletedHeavy(group[0] as CompactionCandidate))
    .map((group) => group.map((segment) => segment.seq));
}

/**
 * Builds one segment from the rows of `sources` that `isLive` accepts, in order: a new in-memory
 * segment (HNSW graph included) frozen for writing, its columns, and each new row's origin.
 */
export function mergeSegments(
  params: HnswBuildParams,
  sources: readonly { seq: number; memory: SegmentMemory }[],
  isLive: (seq: number, row: number) => boolean,
): { memory: SegmentMemory; columns: SegmentColumns; origins: RowOrigin[] } {
  let expected = 0;
  for (const { memory } of sources) expected += memory.liveRows;
  const merged = Memory.createEmpty(params, Math.max(1, expected));
  const origins: RowOrigin[] = [];
  for (const { seq, memory } of sources) {
    for (let row = 0; row < memory.rows; row++) {
      if (!isLive(seq, row)) continue;
      merged.append({
        id: memory.id(row),
        vector: memory.vector(row),
        metadataJson: JSON.stringify(memory.metadata(row)),
        bytes: memory.docBytes(row),
      });
      origins.push({ seq, row });
    }
  }
  return { memory: merged, columns: merged.freeze(), origins };
}

export interface CompactorOptions {
  readonly table: SegmentTable;
  readonly tiering: CollectionTiering;
  readonly dirs: CollectionDirs;
  readonly clock: Clock;
  readonly segmentVectorsMax: number;
  /** The collection's manifest writes (seals and compactions), one at a time. */
  readonly manifestWrites: Serial;
  /** False once the collection is closing: a compaction that has not started does nothing. */
  readonly isOpen: () => boolean;
  readonly warn: (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;
}

/** A merged segment written by compaction, waiting to replace `old`. */
interface BuiltSegment {
  readonly old: readonly SealedSegment[];
  readonly memory: SegmentMemory;
  readonly descriptor: SegmentDescriptor;
  readonly origins: readonly RowOrigin[];
}

export class Compactor {
  readonly #options: CompactorOptions;

  constructor(options: CompactorOptions) {
    this.#options = options;
  }

  /** Compacts the sealed segments in the next turn of the manifest writes. */
  run(options: Readonly<Required<CompactionOptions>>): Promise<CompactionResult> {
    return this.#options.manifestWrites.run(() => this.#compact(options));
  }

  async #compact(options: Readonly<Required<CompactionOptions>>): Promise<CompactionResult> {
    const { table, tiering } = this.#options;
    const sealed = table.sealed.filter((segment) => segment.state === 'sealed');
    const groups = planCompaction(sealed, this.#options.segmentVectorsMax, options);
    const result: CompactionResult = {
      segmentsBefore: table.sealed.length,
      segmentsAfter: table.sealed.length,
      segmentsRewritten: 0,
      segmentsWritten: 0,
      rowsDropped: 0,
    };
    if (groups.length === 0 || !this.#options.isOpen()) return result;
    const version = table.manifest.version + 1;
    const built: BuiltSegment[] = [];
    try {
      for (const group of groups) built.push(await this.#buildMerged(group, version));
      await this.#writeManifest(built, version);
    } finally {
      for (const b of built) tiering.releaseAll(b.old);
    }
    for (const b of built) {
      tiering.unregister(b.old);
      tiering.register(table.replaceSegments(b.old, b));
    }
    result.segmentsAfter = table.sealed.length;
    result.segmentsRewritten = built.reduce((sum, b) => sum + b.old.length, 0);
    result.segmentsWritten = built.length;
    result.rowsDropped = built.reduce(
      (sum, b) => sum + b.old.reduce((n, s) => n + s.rows, 0) - b.origins.length,
      0,
    );
    tiering.manifestWritten(table.manifest);
    await this.#removeReplaced(built, version);
    return result;
  }

  /** Writes the manifest that names the merged segments instead of the old ones. */
  async #writeManifest(built: readonly BuiltSegment[], version: number): Promise<void> {
    const table = this.#options.table;
    const previous = table.manifest;
    const removed = new Set(built.flatMap((b) => b.old.map((segment) => segment.id)));
    const segments = [
      ...previous.segments.filter((descriptor) => !removed.has(descriptor.id)),
      ...built.map((b) => b.descriptor),
    ].sort((a, b) => a.seq - b.seq);
    const next: Manifest = {
      ...previous,
      version,
      segments,
      tombstoneFiles: await this.#tombstoneFilesStillNeeded(previous, removed),
      createdAtMs: this.#options.clock.now(),
    };
    await writeManifest(this.#options.dirs.manifest, next);
    table.manifest = next;
  }

  /** Builds the merged segment of one group (its old segments are held in memory meanwhile). */
  async #buildMerged(group: readonly number[], version: number): Promise<BuiltSegment> {
    const { table, tiering } = this.#options;
    const old = group.map((seq) => table.sealedBySeq(seq));
    const sources: { seq: number; memory: SegmentMemory }[] = [];
    try {
      for (const segment of old) {
        sources.push({ seq: segment.seq, memory: await tiering.acquire(segment, 'compact') });
      }
    } catch (error) {
      tiering.releaseAll(old.slice(0, sources.length));
      throw error;
    }
    try {
      return await this.#writeMerged(old, sources, group[0] as number, version);
    } catch (error) {
      tiering.releaseAll(old);
      throw error;
    }
  }

  async #writeMerged(
    old: readonly SealedSegment[],
    sources: readonly { seq: number; memory: SegmentMemory }[],
    seq: number,
    version: number,
  ): Promise<BuiltSegment> {
    const table = this.#options.table;
    const id = `${segmentIdFor(seq)}-${String(version).padStart(10, '0')}`;
    const params = table.buildParams(seq);
    const { memory, columns, origins } = mergeSegments(
      params,
      sources,
      (s, row) => !table.sealedBySeq(s).isDeleted(row),
    );
    const descriptor = await writeSegmentFiles(this.#options.dirs.segments, memory, columns, {
      id,
      seq,
      dimension: params.dimension,
      metric: params.metric,
      m: params.m,
      efConstruction: params.efConstruction,
      seed: seq,
      rows: columns.rows,
      deletedRows: 0,
      createdAtMs: this.#options.clock.now(),
    });
    memory.indexWritten(descriptor.hnsw.bytes);
    return { old, memory, descriptor, origins };
  }

  /** Tombstone files that still name a segment the new manifest keeps. */
  async #tombstoneFilesStillNeeded(
    previous: Manifest,
    removed: ReadonlySet<string>,
  ): Promise<TombstoneFileRef[]> {
    const kept: TombstoneFileRef[] = [];
    for (const ref of previous.tombstoneFiles) {
      const bySegment = await readTombstoneFile(this.#options.dirs.tombstones, ref);
      if ([...bySegment.keys()].some((segmentId) => !removed.has(segmentId))) kept.push(ref);
    }
    return kept;
  }

  /** After the swap: the old manifest, the replaced segments' files and unneeded tombstone files go. */
  async #removeReplaced(built: readonly BuiltSegment[], version: number): Promise<void> {
    const { dirs, table, tiering } = this.#options;
    const files = [join(dirs.manifest, versionFileName(version - 1))];
    for (const { old } of built) {
      for (const segment of old) {
        const descriptor = segment.descriptor as SegmentDescriptor;
        files.push(join(dirs.segments, descriptor.arrow.name), join(dirs.segments, descriptor.hnsw.name));
      }
    }
    try {
      await removeDurable(files, dirs.segments);
      const live = new Set(table.manifest.tombstoneFiles.map((ref) => ref.name));
      const stale = (await readdir(dirs.tombstones)).filter((name) => !live.has(name));
      await removeDurable(
        stale.map((name) => join(dirs.tombstones, name)),
        dirs.tombstones,
      );
      for (const { old } of built) for (const segment of old) await tiering.remote.forgetSegment(segment.id);
    } catch (error) {
      this.#options.warn({
        code: 'CLEANUP_FAILED',
        message: `After compaction (manifest ${version}), removing replaced files failed (removed on the next open): ${(error as Error).message}`,
      });
    }
  }
}
