/**
 * The decisions of re-partitioning, without I/O: whether a collection's sealed rows are many enough
 * to train centroids, the training itself (a seeded sample of live rows, k-means with the
 * collection's metric), the assignment of live rows to their nearest partition, and the routing
 * index's per-partition information after a rewrite. compaction.ts does the writing.
 *
 * Training and assignment take seconds of CPU on a large collection: they run in the caller's time
 * slices (`TimeSlicer`), so compaction never holds the event loop for long.
 *
 * It only reads segment memory; it must never change a segment or choose anything without the seed.
 */

import { runSliced, type SteppedWork, type TimeSlicer } from '../../time-slicer.ts';
import type { Metric } from '../metric.ts';
import type { SegmentDescriptor } from '../segment/segment-file.ts';
import type { SegmentMemory } from '../segment/segment-memory.ts';
import type { RowOrigin } from '../segment-table.ts';
import { normaliseRows, sampleIndices, trainCentroidsSliced } from './kmeans.ts';
import { PARTITION_DEFAULTS } from './partition-defaults.ts';
import { type PartitionInfo, RoutingIndex } from './routing-index.ts';

export interface PartitionSource {
  readonly seq: number;
  readonly memory: SegmentMemory;
}

export interface PartitionTraining {
  readonly dimension: number;
  readonly metric: Metric;
  readonly targetPartitionRows: number;
}

/** Partitions for `liveRows` rows: about one per `targetPartitionRows`, at least 2. */
export function partitionCount(liveRows: number, targetPartitionRows: number): number {
  const wanted = Math.round(liveRows / targetPartitionRows);
  return Math.max(2, Math.min(PARTITION_DEFAULTS.partitionsMax, wanted, liveRows));
}

/** Every live row of `sources`, in order. */
function liveOrigins(
  sources: readonly PartitionSource[],
  isLive: (seq: number, row: number) => boolean,
): RowOrigin[] {
  const origins: RowOrigin[] = [];
  for (const { seq, memory } of sources) {
    for (let row = 0; row < memory.rows; row++) if (isLive(seq, row)) origins.push({ seq, row });
  }
  return origins;
}

/** Trains centroids on a seeded sample of the live rows; the partitions are empty until assigned. */
export async function trainRouting(
  sources: readonly PartitionSource[],
  isLive: (seq: number, row: number) => boolean,
  training: PartitionTraining,
  slicer: TimeSlicer,
): Promise<RoutingIndex> {
  const { dimension, metric } = training;
  const origins = liveOrigins(sources, isLive);
  const memoryOf = new Map(sources.map((s) => [s.seq, s.memory]));
  const picked = sampleIndices(
    origins.length,
    PARTITION_DEFAULTS.trainingSampleRowsMax,
    PARTITION_DEFAULTS.seed,
  );
  const rows = new Float32Array(picked.length * dimension);
  picked.forEach((index, i) => {
    const { seq, row } = origins[index] as RowOrigin;
    rows.set((memoryOf.get(seq) as SegmentMemory).vector(row), i * dimension);
  });
  const spherical = metric === 'cosine';
  if (spherical) normaliseRows(rows, dimension);
  const k = partitionCount(origins.length, training.targetPartitionRows);
  const centroids = await trainCentroidsSliced(
    rows,
    {
      dimension,
      k,
      iterationsMax: PARTITION_DEFAULTS.iterationsMax,
      seed: PARTITION_DEFAULTS.seed,
      spherical,
    },
    slicer,
  );
  const empty: PartitionInfo[] = Array.from({ length: k }, () => ({ rows: 0, bytes: 0, segmentIds: [] }));
  return new RoutingIndex(dimension, metric, centroids, empty);
}

/**
 * The live rows of `sources` grouped by nearest partition, each group in chunks of at most
 * `chunkRowsMax`, with the partition's radius over those rows (see PartitionInfo.radius).
 */
export function assignRows(
  routing: RoutingIndex,
  sources: readonly PartitionSource[],
  isLive: (seq: number, row: number) => boolean,
  chunkRowsMax: number,
  slicer: TimeSlicer,
): Promise<AssignedChunk[]> {
  return runSliced(assignmentSteps(routing, sources, isLive, chunkRowsMax), slicer);
}

export interface AssignedChunk {
  readonly partition: number;
  readonly rows: RowOrigin[];
  readonly radius: number | undefined;
}

/** See `assignRows`: pauses every 32 rows (each costs a distance to every centroid). */
function* assignmentSteps(
  routing: RoutingIndex,
  sources: readonly PartitionSource[],
  isLive: (seq: number, row: number) => boolean,
  chunkRowsMax: number,
): SteppedWork<AssignedChunk[]> {
  const byPartition: RowOrigin[][] = Array.from({ length: routing.count }, () => []);
  const radii: (number | undefined)[] = Array.from({ length: routing.count }, () => 0);
  for (const { seq, memory } of sources) {
    for (let row = 0; row < memory.rows; row++) {
      if (!isLive(seq, row)) continue;
      const vector = memory.vector(row);
      let sum = 0;
      for (const x of vector) sum += x * x;
      const vectorNorm = Math.sqrt(sum);
      const p = routing.assign(vector, vectorNorm);
      (byPartition[p] as RowOrigin[]).push({ seq, row });
      const distance = routing.euclideanTo(vector, vectorNorm, p);
      const radius = radii[p];
      // A zero vector has no direction under cosine: its partition's radius stays unknown.
      const known =
        distance !== undefined && Number.isFinite(distance) && (routing.metric !== 'cosine' || sum > 0);
      radii[p] = radius === undefined || !known ? undefined : Math.max(radius, distance);
      if (row % 32 === 0) yield;
    }
  }
  const chunks: AssignedChunk[] = [];
  byPartition.forEach((rows, partition) => {
    for (let start = 0; start < rows.length; start += chunkRowsMax) {
      chunks.push({ partition, rows: rows.slice(start, start + chunkRowsMax), radius: radii[partition] });
    }
  });
  return chunks;
}

/**
 * The routing index after a rewrite: `removed` segments leave their partitions, `added` ones join
 * theirs, and each partition's rows and bytes are summed from the descriptors the manifest names.
 * A partition's radius stays an upper bound: the largest of its old radius (if it keeps a segment,
 * or gains one rewritten from its own rows) and the radii of rows newly assigned to it (`assigned`);
 * unknown as soon as one of those is.
 */
export function updatePartitions(
  routing: RoutingIndex,
  segments: readonly SegmentDescriptor[],
  removed: ReadonlySet<string>,
  added: readonly { id: string; partition: number; assigned?: { radius: number | undefined } }[],
): RoutingIndex {
  const descriptors = new Map(segments.map((d) => [d.id, d]));
  const ids = routing.partitions.map((p) => p.segmentIds.filter((id) => !removed.has(id)));
  const radii = routing.partitions.map((p, i) => (ids[i]?.length === 0 ? 0 : p.radius));
  for (const { id, partition, assigned } of added) {
    (ids[partition] as string[]).push(id);
    const joining = assigned === undefined ? routing.partitions[partition]?.radius : assigned.radius;
    const current = radii[partition];
    radii[partition] =
      current === undefined || joining === undefined ? undefined : Math.max(current, joining);
  }
  const partitions = ids.map((segmentIds, p) => {
    let rows = 0;
    let bytes = 0;
    for (const id of segmentIds) {
      const d = descriptors.get(id);
      if (d === undefined) continue;
      rows += d.rows - d.deletedRows;
      bytes += d.arrow.bytes + d.hnsw.bytes;
    }
    const radius = radii[p];
    return { rows, bytes, segmentIds, ...(radius === undefined ? {} : { radius }) };
  });
  return routing.withPartitions(partitions);
}

/** Segments grouped by partition (unpartitioned ones under -1), so that merges stay within a partition. */
export function groupByPartition<S extends { readonly id: string }>(
  segments: readonly S[],
  routing: RoutingIndex | undefined,
): Map<number, S[]> {
  const groups = new Map<number, S[]>();
  for (const segment of segments) {
    const p = routing?.partitionOf(segment.id) ?? -1;
    const members = groups.get(p) ?? [];
    members.push(segment);
    groups.set(p, members);
  }
  return groups;
}
