/**
 * Compaction of one collection's sealed segments. Small segments (fewer live rows than
 * `smallSegmentRatio` × segmentVectorsMax) are merged, and segments with many deleted rows (at least
 * `deletedRatioMin` of their rows) are rewritten, in groups of at most segmentVectorsMax live rows;
 * the rewrite keeps only live rows and builds a fresh HNSW graph over them.
 *
 * `planCompaction` (compaction-plan.ts) decides without I/O, and `writeBuiltSegment` (segment/segment-build.ts) builds the
 * new segments' graphs on a worker thread, so foreground operations keep running during a build.
 * `Compactor` runs a compaction in its turn of the collection's manifest writes (so no seal interleaves): it writes the new segments'
 * files, then the new manifest, swaps the segments in the segment table once that manifest is durable
 * (rows deleted meanwhile become tombstones of the new segment), and only then removes the old files;
 * the object store deletes what its new manifest no longer names only after that manifest is durable
 * there. Reads and writes go on meanwhile. It must never remove a file a durable manifest names.
 *
 * Compaction also keeps the partitioned layout (partition/): once `partitionRowsMin` live rows are
 * sealed it trains centroids and rewrites the sealed segments into per-partition segments; later
 * runs assign the rows of segments sealed since then to the existing partitions. Merges of small
 * segments stay within one partition. Then it splits partitions grown past `splitRowsRatio` ×
 * `targetPartitionRows` live rows and merges those shrunk below `mergeRowsRatio` × it into their
 * neighbours (partition/partition-rebalance.ts decides), each step a rewrite of that partition's rows
 * with the same safety. The routing index travels in the same manifest write.
 */

import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Serial } from '../serial.ts';
import { TimeSlicer } from '../time-slicer.ts';
import type { CollectionDirs } from './collection-dirs.ts';
import type { CollectionSpec } from './collection-spec.ts';
import type { CompactionOptions, CompactionResult, PartitioningStats } from './compaction-plan.ts';
import { planCompaction } from './compaction-plan.ts';
import { removeDurable } from './durable-file.ts';
import { readdir } from './file-system.ts';
import {
  type Manifest,
  readTombstoneFile,
  type TombstoneFileRef,
  versionFileName,
  writeManifest,
} from './manifest.ts';
import { PARTITION_DEFAULTS } from './partition/partition-defaults.ts';
import { assignRows, groupByPartition, trainRouting, updatePartitions } from './partition/partition-plan.ts';
import type { RebalanceStats } from './partition/partition-rebalance.ts';
import { nextRebalanceStep, partitionLiveRows, splitRouting } from './partition/partition-rebalance.ts';
import { RoutingIndex } from './partition/routing-index.ts';
import type { SealedSegment } from './segment/sealed-segment.ts';
import { writeBuiltSegment } from './segment/segment-build.ts';
import { type SegmentDescriptor, segmentIdFor } from './segment/segment-file.ts';
import type { SegmentMemory } from './segment/segment-memory.ts';
import type { BuiltRows, RowOrigin, SegmentTable } from './segment-table.ts';
import type { StoreWarning } from './store-warning.ts';
import type { CollectionTiering } from './tiering/collection-tiering.ts';

export interface CompactorOptions {
  readonly spec: CollectionSpec;
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

/** Segment written by compaction from rows of older ones, and the partition it belongs to (if any). */
interface BuiltSegment extends BuiltRows {
  readonly partition: number | undefined;
  /** Set when its rows were newly assigned to the partition: their radius (see PartitionInfo.radius). */
  readonly assigned?: { radius: number | undefined };
}

/** Old segments and the segments written to replace them. */
interface BuiltGroup {
  readonly old: readonly SealedSegment[];
  readonly built: readonly BuiltSegment[];
}

type Sources = readonly { seq: number; memory: SegmentMemory }[];

export class Compactor {
  readonly #options: CompactorOptions;

  constructor(options: CompactorOptions) {
    this.#options = options;
  }

  /** Compacts the sealed segments in the next turn of the manifest writes. */
  run(options: Readonly<Required<CompactionOptions>>): Promise<CompactionResult> {
    return this.#options.manifestWrites.run(() => this.#compact(options));
  }

  /** The routing index of the newest local manifest, or undefined before the first partitioning. */
  routing(): RoutingIndex | undefined {
    const json = this.#options.table.manifest.routing;
    return json === undefined ? undefined : RoutingIndex.fromJSON(json, this.#options.spec.dimension);
  }

  async #compact(options: Readonly<Required<CompactionOptions>>): Promise<CompactionResult> {
    const { table } = this.#options;
    const result: CompactionResult = {
      segmentsBefore: table.sealed.length,
      segmentsAfter: table.sealed.length,
      segmentsRewritten: 0,
      segmentsWritten: 0,
      rowsDropped: 0,
    };
    if (!this.#options.isOpen()) return result;
    const partitioned = await this.#partition(options);
    if (partitioned !== undefined) {
      this.#count(result, [partitioned.group]);
      result.partitioning = partitioned.stats;
    }
    const rebalanced = await this.#rebalance(options);
    if (rebalanced !== undefined) {
      this.#count(result, rebalanced.groups);
      result.rebalancing = rebalanced.stats;
    }
    const routing = this.routing();
    const sealed = table.sealed.filter((segment) => segment.state === 'sealed');
    const groups: number[][] = [];
    for (const members of groupByPartition(sealed, routing).values()) {
      groups.push(...planCompaction(members, this.#options.segmentVectorsMax, options));
    }
    if (groups.length > 0) {
      const version = table.manifest.version + 1;
      const built: BuiltGroup[] = [];
      try {
        for (const group of groups) {
          const old = group.map((seq) => table.sealedBySeq(seq));
          const partition = routing?.partitionOf((old[0] as SealedSegment).id);
          built.push(
            await this.#withSources(old, (sources) =>
              this.#writeRows(sources, liveRowsOf(table, sources), group[0] as number, version, partition),
            ),
          );
        }
      } catch (error) {
        for (const group of built) this.#options.tiering.releaseAll(group.old);
        throw error;
      }
      await this.#replace(built, version, routing);
      this.#count(result, built);
    }
    result.segmentsAfter = table.sealed.length;
    return result;
  }

  #count(result: CompactionResult, groups: readonly BuiltGroup[]): void {
    for (const { old, built } of groups) {
      result.segmentsRewritten += old.length;
      result.segmentsWritten += built.length;
      const before = old.reduce((n, s) => n + s.rows, 0);
      result.rowsDropped += before - built.reduce((n, b) => n + b.origins.length, 0);
    }
  }

  /**
   * Trains centroids once enough sealed rows exist, or assigns the rows of not-yet-partitioned
   * sealed segments to the existing partitions: each partition's rows become segments of their own.
   */
  async #partition(
    options: Readonly<Required<CompactionOptions>>,
  ): Promise<{ group: BuiltGroup; stats: PartitioningStats } | undefined> {
    const { table, spec } = this.#options;
    const existing = this.routing();
    const old = table.sealed.filter(
      (segment) => segment.state === 'sealed' && existing?.partitionOf(segment.id) === undefined,
    );
    const liveRows = old.reduce((n, segment) => n + segment.liveRows, 0);
    if (liveRows === 0 || (existing === undefined && liveRows < options.partitionRowsMin)) return undefined;
    const { group, routing } = (await this.#rewriteIntoPartitions(
      old,
      (sources, isLive) =>
        existing ??
        trainRouting(
          sources,
          isLive,
          {
            dimension: spec.dimension,
            metric: spec.metric,
            targetPartitionRows: options.targetPartitionRows,
          },
          new TimeSlicer(this.#options.clock),
        ),
    )) as { group: BuiltGroup; routing: RoutingIndex };
    const stats: PartitioningStats = {
      trained: existing === undefined,
      partitions: routing.count,
      segmentsPartitioned: old.length,
      rowsAssigned: group.built.reduce((n, b) => n + b.origins.length, 0),
    };
    return { group, stats };
  }

  /**
   * Splits oversized partitions and merges tiny ones (see partition-rebalance.ts), one step at a
   * time, each its own rewrite and manifest, at most `rebalanceStepsMax` per compaction.
   */
  async #rebalance(
    options: Readonly<Required<CompactionOptions>>,
  ): Promise<{ groups: BuiltGroup[]; stats: RebalanceStats } | undefined> {
    const { table } = this.#options;
    const stats: RebalanceStats = { splits: 0, merges: 0, rowsMoved: 0, partitions: 0 };
    const groups: BuiltGroup[] = [];
    // Unsplittable partitions, by their first segment (indices shift when a partition is merged away).
    const unsplittable = new Set<string>();
    for (let step = 0; step < PARTITION_DEFAULTS.rebalanceStepsMax && this.#options.isOpen(); step++) {
      const routing = this.routing();
      if (routing === undefined) return undefined;
      const sealed = table.sealed.filter((segment) => segment.state === 'sealed');
      const skipped = new Set(
        routing.partitions.flatMap((p, i) => (unsplittable.has(p.segmentIds[0] ?? '') ? [i] : [])),
      );
      const next = nextRebalanceStep(
        partitionLiveRows(routing, sealed),
        options.targetPartitionRows,
        skipped,
      );
      if (next === undefined) break;
      const old = sealed.filter((segment) => routing.partitionOf(segment.id) === next.partition);
      const done = await this.#rewriteIntoPartitions(old, (sources, isLive) =>
        next.kind === 'merge'
          ? routing.withoutPartition(next.partition)
          : splitRouting(routing, next.partition, sources, isLive, options.targetPartitionRows),
      );
      if (done === undefined) {
        unsplittable.add(routing.partitions[next.partition]?.segmentIds[0] ?? '');
        continue;
      }
      groups.push(done.group);
      if (next.kind === 'split') stats.splits++;
      else stats.merges++;
      stats.rowsMoved += done.group.built.reduce((n, b) => n + b.origins.length, 0);
      stats.partitions = done.routing.count;
    }
    return groups.length === 0 ? undefined : { groups, stats };
  }

  /**
   * Rewrites the live rows of `old` into the partitions of the routing index `derive` gives for
   * them (each row to its nearest centroid, each partition's rows in segments of their own) and
   * writes the manifest carrying that index. Nothing is written when `derive` gives none.
   */
  async #rewriteIntoPartitions(
    old: readonly SealedSegment[],
    derive: (
      sources: Sources,
      isLive: (seq: number, row: number) => boolean,
    ) => RoutingIndex | undefined | Promise<RoutingIndex | undefined>,
  ): Promise<{ group: BuiltGroup; routing: RoutingIndex } | undefined> {
    const { table, tiering, segmentVectorsMax } = this.#options;
    const version = table.manifest.version + 1;
    const isLive = (seq: number, row: number) => table.isLiveInManifest(seq, row);
    const derived: { routing?: RoutingIndex } = {};
    const group = await this.#withSources(old, async (sources) => {
      derived.routing = await derive(sources, isLive);
      if (derived.routing === undefined) return { old, built: [] };
      const slicer = new TimeSlicer(this.#options.clock);
      const chunks = await assignRows(derived.routing, sources, isLive, segmentVectorsMax, slicer);
      const firstSeq = table.reserveSeqs(chunks.length);
      const built: BuiltSegment[] = [];
      for (const [i, chunk] of chunks.entries()) {
        const written = await this.#writeRows(sources, chunk.rows, firstSeq + i, version, chunk.partition);
        built.push(...written.built.map((b) => ({ ...b, assigned: { radius: chunk.radius } })));
      }
      return { old, built };
    });
    if (derived.routing === undefined) {
      tiering.releaseAll(old);
      return undefined;
    }
    await this.#replace([group], version, derived.routing);
    return { group, routing: derived.routing };
  }

  /** Runs `build` with the memory of `old` held (promoted if warm or cold), releasing it on failure. */
  async #withSources(
    old: readonly SealedSegment[],
    build: (sources: Sources) => Promise<BuiltGroup>,
  ): Promise<BuiltGroup> {
    const { tiering } = this.#options;
    const sources: { seq: number; memory: SegmentMemory }[] = [];
    try {
      for (const segment of old) {
        sources.push({ seq: segment.seq, memory: await tiering.acquire(segment, 'compact') });
      }
      return await build(sources);
    } catch (error) {
      tiering.releaseAll(old.slice(0, sources.length));
      throw error;
    }
  }

  /** Writes one segment holding `rows` (in order) of `sources`. */
  async #writeRows(
    sources: Sources,
    rows: readonly RowOrigin[],
    seq: number,
    version: number,
    partition: number | undefined,
  ): Promise<BuiltGroup> {
    const table = this.#options.table;
    const id = `${segmentIdFor(seq)}-${String(version).padStart(10, '0')}`;
    const params = table.buildParams(seq);
    const { memory, descriptor } = await writeBuiltSegment(
      this.#options.dirs.segments,
      params,
      sources,
      rows,
      {
        id,
        seq,
        dimension: params.dimension,
        metric: params.metric,
        m: params.m,
        efConstruction: params.efConstruction,
        seed: seq,
        createdAtMs: this.#options.clock.now(),
      },
      this.#options.clock,
    );
    const old = sources.map((s) => table.sealedBySeq(s.seq));
    return { old, built: [{ memory, descriptor, origins: rows, partition }] };
  }

  /**
   * Writes the manifest that names the built segments instead of the old ones, swaps them in the
   * segment table once it is durable, and then removes what it no longer names.
   */
  async #replace(
    groups: readonly BuiltGroup[],
    version: number,
    routing: RoutingIndex | undefined,
  ): Promise<void> {
    const { table, tiering } = this.#options;
    const old = [...new Set(groups.flatMap((g) => g.old))];
    const built = groups.flatMap((g) => g.built);
    try {
      await this.#writeManifest(old, built, version, routing);
    } finally {
      tiering.releaseAll(old);
    }
    tiering.unregister(old);
    for (const segment of table.replaceSegments(old, built)) tiering.register(segment);
    tiering.manifestWritten(table.manifest);
    await this.#removeReplaced(old, version);
  }

  async #writeManifest(
    old: readonly SealedSegment[],
    built: readonly BuiltSegment[],
    version: number,
    routing: RoutingIndex | undefined,
  ): Promise<void> {
    const table = this.#options.table;
    const previous = table.manifest;
    const removed = new Set(old.map((segment) => segment.id));
    const segments = [
      ...previous.segments.filter((descriptor) => !removed.has(descriptor.id)),
      ...built.map((b) => b.descriptor),
    ].sort((a, b) => a.seq - b.seq);
    const added = built.flatMap((b) =>
      b.partition === undefined
        ? []
        : [{ id: b.descriptor.id, partition: b.partition, assigned: b.assigned }],
    );
    const next: Manifest = {
      ...previous,
      version,
      nextSegmentSeq: Math.max(previous.nextSegmentSeq, table.reservedSeqTop + 1),
      segments,
      tombstoneFiles: await this.#tombstoneFilesStillNeeded(previous, removed),
      createdAtMs: this.#options.clock.now(),
      ...(routing === undefined
        ? {}
        : { routing: updatePartitions(routing, segments, removed, added).toJSON() }),
    };
    await writeManifest(this.#options.dirs.manifest, next);
    table.manifest = next;
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
  async #removeReplaced(old: readonly SealedSegment[], version: number): Promise<void> {
    const { dirs, table, tiering } = this.#options;
    const files = [join(dirs.manifest, versionFileName(version - 1))];
    for (const segment of old) {
      const descriptor = segment.descriptor as SegmentDescriptor;
      files.push(join(dirs.segments, descriptor.arrow.name), join(dirs.segments, descriptor.hnsw.name));
    }
    try {
      await removeDurable(files, dirs.segments);
      const live = new Set(table.manifest.tombstoneFiles.map((ref) => ref.name));
      const stale = (await readdir(dirs.tombstones)).filter((name) => !live.has(name));
      await removeDurable(
        stale.map((name) => join(dirs.tombstones, name)),
        dirs.tombstones,
      );
      for (const segment of old) await tiering.remote.forgetSegment(segment.id);
    } catch (error) {
      this.#options.warn({
        code: 'CLEANUP_FAILED',
        message: `After compaction (manifest ${version}), removing replaced files failed (removed on the next open): ${(error as Error).message}`,
      });
    }
  }
}

/** The rows of `sources` live in the state the manifest covers (see SegmentTable.isLiveInManifest), in order. */
function liveRowsOf(table: SegmentTable, sources: Sources): RowOrigin[] {
  const rows: RowOrigin[] = [];
  for (const { seq, memory } of sources) {
    for (let row = 0; row < memory.rows; row++) if (table.isLiveInManifest(seq, row)) rows.push({ seq, row });
  }
  return rows;
}
