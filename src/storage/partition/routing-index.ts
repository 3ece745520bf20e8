/**
 * The routing index of a partitioned collection: the centroids, and per partition its live row
 * count, bytes and segment ids. It is small (partitions × dimension floats plus a few numbers per
 * partition), kept in memory for as long as the collection is open, and stored inside every manifest
 * (field `routing`), so opening a collection from the object store has it without downloading any
 * partition. Centroids are serialised as base64 of their little-endian Float32 bytes, so a round trip
 * is exact.
 *
 * Routing uses the collection's metric: squared distance for l2, dot product for ip, and dot product
 * with the normalised query for cosine (its centroids are normalised). With a partition's radius it
 * also gives a lower bound of the distance from a query to any of the partition's rows (the triangle
 * inequality), which lets a search skip partitions that cannot hold a nearer row than those it has.
 * It does no I/O and must never name a segment that the manifest carrying it does not name.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import type { Metric } from '../metric.ts';

export const ROUTING_FORMAT = 'tiervec.routing';
const ROUTING_FORMAT_VERSION = 1;

export interface PartitionInfo {
  /** Live rows when the partition's segments were last written. */
  readonly rows: number;
  /** Bytes of its segments' files. */
  readonly bytes: number;
  readonly segmentIds: readonly string[];
  /**
   * The largest Euclidean distance (between normalised vectors for cosine) from the centroid of any
   * row written to the partition, an upper bound while rows only leave it. Absent when unknown (a
   * routing index written before it existed, or metric ip): a search then never skips the partition.
   */
  readonly radius?: number;
}

/** The routing index as stored in a manifest. */
export interface RoutingIndexJson {
  readonly format: typeof ROUTING_FORMAT;
  readonly formatVersion: number;
  readonly dimension: number;
  readonly metric: Metric;
  /** Base64 of the centroids' Float32 bytes (partitions × dimension, little-endian). */
  readonly centroids: string;
  readonly partitions: readonly PartitionInfo[];
}

/** True when a segment of `rows` rows that a routing index names loads flat (no HNSW index). */
export function isFlatPartitionSegment(
  routing: Pick<RoutingIndexJson, 'partitions'> | undefined,
  segmentId: string,
  rows: number,
  flatScanRowsMax: number,
): boolean {
  if (routing === undefined || rows > flatScanRowsMax) return false;
  return routing.partitions.some((partition) => partition.segmentIds.includes(segmentId));
}

export class RoutingIndex {
  readonly dimension: number;
  readonly metric: Metric;
  readonly centroids: Float32Array;
  readonly partitions: readonly PartitionInfo[];
  readonly #bySegment = new Map<string, number>();

  constructor(
    dimension: number,
    metric: Metric,
    centroids: Float32Array,
    partitions: readonly PartitionInfo[],
  ) {
    if (centroids.length !== partitions.length * dimension || partitions.length === 0) {
      throw new Error('RoutingIndex: centroids do not match the partitions');
    }
    this.dimension = dimension;
    this.metric = metric;
    this.centroids = centroids;
    this.partitions = partitions;
    partitions.forEach((partition, p) => {
      for (const id of partition.segmentIds) this.#bySegment.set(id, p);
    });
  }

  get count(): number {
    return this.partitions.length;
  }

  /** The partition a segment belongs to, or undefined when it is not partitioned yet. */
  partitionOf(segmentId: string): number | undefined {
    return this.#bySegment.get(segmentId);
  }

  /** Bytes of the centroids held in memory. */
  get memoryBytes(): number {
    return this.centroids.byteLength;
  }

  /** Routing score of partition `p` for `vector` (lower is nearer); `vectorNorm` matters for cosine only. */
  score(vector: Float32Array, vectorNorm: number, p: number): number {
    const offset = p * this.dimension;
    let sum = 0;
    if (this.metric === 'l2') {
      for (let i = 0; i < this.dimension; i++) {
        const d = (vector[i] as number) - (this.centroids[offset + i] as number);
        sum += d * d;
      }
      return sum;
    }
    for (let i = 0; i < this.dimension; i++)
      sum += (vector[i] as number) * (this.centroids[offset + i] as number);
    return this.metric === 'ip' ? -sum : -sum / (vectorNorm === 0 ? 1 : vectorNorm);
  }

  /**
   * Euclidean distance from `vector` to the centroid of partition `p`: between normalised vectors for
   * cosine, undefined for ip (no triangle inequality holds for a dot product).
   */
  euclideanTo(vector: Float32Array, vectorNorm: number, p: number): number | undefined {
    if (this.metric === 'ip') return undefined;
    const score = this.score(vector, vectorNorm, p);
    // l2 scores are squared distances; cosine scores are −cos, and |a − b|² = 2 − 2 cos for unit vectors.
    return Math.sqrt(Math.max(0, this.metric === 'l2' ? score : 2 + 2 * score));
  }

  /**
   * A lower bound of the distance (in the collection's metric, as searches report it) from `vector`
   * to any row of partition `p`, or 0 when none is known.
   */
  lowerBound(vector: Float32Array, vectorNorm: number, p: number): number {
    const radius = this.partitions[p]?.radius;
    const toCentroid = this.euclideanTo(vector, vectorNorm, p);
    if (radius === undefined || toCentroid === undefined) return 0;
    // Slack for float rounding: a bound must never exceed a distance that exists.
    const euclidean = Math.max(0, toCentroid - radius - 1e-6 * (1 + toCentroid));
    return this.metric === 'l2' ? euclidean * euclidean : (euclidean * euclidean) / 2;
  }

  /** The partition nearest to `vector`. */
  assign(vector: Float32Array, vectorNorm: number): number {
    let best = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let p = 0; p < this.partitions.length; p++) {
      const score = this.score(vector, vectorNorm, p);
      if (score < bestScore) {
        bestScore = score;
        best = p;
      }
    }
    return best;
  }

  /** The `nprobe` partitions nearest to `vector`, nearest first. */
  nearest(vector: Float32Array, vectorNorm: number, nprobe: number): number[] {
    const scored = this.partitions.map((_, p) => ({ p, score: this.score(vector, vectorNorm, p) }));
    scored.sort((a, b) => a.score - b.score || a.p - b.p);
    return scored.slice(0, Math.min(nprobe, scored.length)).map((entry) => entry.p);
  }

  /** The same centroids with new per-partition information. */
  withPartitions(partitions: readonly PartitionInfo[]): RoutingIndex {
    return new RoutingIndex(this.dimension, this.metric, this.centroids, partitions);
  }

  /**
   * Partition `p` split in two: its centroid becomes the first of `halves` (2 × dimension floats)
   * and the second is appended as partition `count`. Both start with `p`'s information; the rewrite
   * that moves `p`'s rows (updatePartitions) drops `p`'s segments from both and adds the new ones.
   */
  withSplit(p: number, halves: Float32Array): RoutingIndex {
    this.#checkPartition(p);
    if (halves.length !== 2 * this.dimension)
      throw new Error('RoutingIndex.withSplit: expected two centroids');
    const centroids = new Float32Array(this.centroids.length + this.dimension);
    centroids.set(this.centroids);
    centroids.set(halves.subarray(0, this.dimension), p * this.dimension);
    centroids.set(halves.subarray(this.dimension), this.centroids.length);
    // Both halves have new centroids: the old radius bounds nothing about them (unknown until rows
    // are assigned to them, see updatePartitions).
    const { radius: _old, ...split } = this.partitions[p] as PartitionInfo;
    const partitions = this.partitions.map((info, i) => (i === p ? split : info));
    partitions.push(split);
    return new RoutingIndex(this.dimension, this.metric, centroids, partitions);
  }

  /**
   * Partition `p` removed (merged away): the partitions after it move down by one, centroid and
   * information together, so every segment id keeps its partition's centroid.
   */
  withoutPartition(p: number): RoutingIndex {
    this.#checkPartition(p);
    if (this.count < 2) throw new Error('RoutingIndex.withoutPartition: the last partition stays');
    const d = this.dimension;
    const centroids = new Float32Array(this.centroids.length - d);
    centroids.set(this.centroids.subarray(0, p * d));
    centroids.set(this.centroids.subarray((p + 1) * d), p * d);
    const partitions = this.partitions.filter((_, i) => i !== p);
    return new RoutingIndex(this.dimension, this.metric, centroids, partitions);
  }

  #checkPartition(p: number): void {
    if (!Number.isInteger(p) || p < 0 || p >= this.count) throw new Error(`RoutingIndex: no partition ${p}`);
  }

  toJSON(): RoutingIndexJson {
    const bytes = Buffer.from(this.centroids.buffer, this.centroids.byteOffset, this.centroids.byteLength);
    return {
      format: ROUTING_FORMAT,
      formatVersion: ROUTING_FORMAT_VERSION,
      dimension: this.dimension,
      metric: this.metric,
      centroids: bytes.toString('base64'),
      partitions: this.partitions.map((p) => ({
        rows: p.rows,
        bytes: p.bytes,
        segmentIds: [...p.segmentIds],
        ...(p.radius === undefined ? {} : { radius: p.radius }),
      })),
    };
  }

  /** Parses a stored routing index; CORRUPT_DATA when it is not one of this dimension. */
  static fromJSON(json: RoutingIndexJson, dimension: number): RoutingIndex {
    const corrupt = (what: string) =>
      new TierVecError(ErrorCode.CORRUPT_DATA, `Routing index in the manifest ${what}`);
    if (json?.format !== ROUTING_FORMAT || json.formatVersion !== ROUTING_FORMAT_VERSION) {
      throw corrupt(`has format ${String(json?.format)} v${String(json?.formatVersion)}`);
    }
    if (json.dimension !== dimension) throw corrupt(`has dimension ${json.dimension}; expected ${dimension}`);
    if (!Array.isArray(json.partitions) || typeof json.centroids !== 'string') {
      throw corrupt('lacks its centroids or partitions');
    }
    const badRadius = json.partitions.findIndex(
      (p) =>
        p?.radius !== undefined && !(typeof p.radius === 'number' && p.radius >= 0 && p.radius < Infinity),
    );
    if (badRadius >= 0)
      throw corrupt(`gives partition ${badRadius} a radius that is not a finite number ≥ 0`);
    const bytes = Buffer.from(json.centroids, 'base64');
    if (bytes.length !== json.partitions.length * dimension * 4 || bytes.length === 0) {
      throw corrupt(`has ${bytes.length} centroid bytes for ${json.partitions.length} partitions`);
    }
    const centroids = new Float32Array(bytes.length / 4);
    new Uint8Array(centroids.buffer).set(bytes);
    return new RoutingIndex(dimension, json.metric, centroids, json.partitions);
  }
}
