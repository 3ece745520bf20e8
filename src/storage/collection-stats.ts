/**
 * What `collection.stats()` reports, and the per-segment and per-tier part of it, read from the
 * segment table: each segment's state, tier, live and total rows and bytes (memory when hot, files
 * otherwise), summed per tier. It only reads; it must never load, move or change a segment.
 */

import type { RecoveryStats } from './collection-recovery.ts';
import type { CollectionSpec } from './collection-spec.ts';
import { partitionLiveRows } from './partition/partition-rebalance.ts';
import type { PinnedGraphStats } from './partition/pinned-graph.ts';
import type { RoutingIndex } from './partition/routing-index.ts';
import type { Usage } from './quota.ts';
import type { SealStats } from './seal-pipeline.ts';
import type { SearchCounts } from './search-path.ts';
import type { SegmentTier } from './segment/sealed-segment.ts';
import { memoryTotal, type SegmentMemory } from './segment/segment-memory.ts';
import type { SegmentTable } from './segment-table.ts';
import type { CollectionTiering, TieringStats } from './tiering/collection-tiering.ts';
import type { TransitionStats } from './tiering/tier-accounting.ts';
import type { WalStats } from './wal/wal.ts';

export type SegmentState = 'active' | 'sealing' | 'sealed';

export interface SegmentStats {
  id: string;
  state: SegmentState;
  tier: SegmentTier;
  /** Live documents. */
  vectors: number;
  /** Rows including deleted ones. */
  rows: number;
  /** Memory when hot, files when warm. */
  bytes: number;
}

export interface TierStats {
  segments: number;
  vectors: number;
  bytes: number;
}

export interface CollectionStats {
  tenant: string;
  name: string;
  dimension: number;
  metric: CollectionSpec['metric'];
  vectors: number;
  /** In memory: `buffers` is the part of flat partitions' pooled file buffers beyond their vectors and metadata. */
  bytes: { vectors: number; index: number; metadata: number; buffers: number; total: number };
  quota: { vectorsMax: number | undefined; bytesMax: number | undefined; vectors: number; bytes: number };
  segments: SegmentStats[];
  tiers: Record<'hot' | 'warm' | 'cold', TierStats>;
  wal: WalStats;
  manifest: { version: number; sealedLsn: number; tombstoneFiles: number };
  pendingTombstones: number;
  recovery: RecoveryStats;
  searches: SearchCounts;
  seals: SealStats;
  /** Tier transitions: counts per kind, with bytes moved, time taken and promotion latency nested. */
  transitions: TransitionStats;
  /** Pinning, failed promotions, publishing to the object store, and the store's uploader. */
  tiering: TieringStats;
  /** The store's uploader (shared by every collection): queue, in flight, dead letters, breaker. */
  uploads: TieringStats['uploads'];
  partitions: PartitionStats;
}

/** The partitioned layout: none until compaction first trains centroids (see partition/). */
export interface PartitionStats {
  /** Partitions (0 while the collection is not partitioned). */
  count: number;
  /** Memory of the routing index's centroids. */
  routingBytes: number;
  /** Sealed segments not assigned to a partition yet (every search reads them). */
  unpartitionedSegments: number;
  /**
   * Per partition: live rows and file bytes when its segments were written, its segments, and its
   * live rows now (deletes since included: what compaction's split and merge thresholds judge).
   */
  partitions: { rows: number; bytes: number; segments: number; liveRows: number }[];
  /** The graph over every partition's rows that a pinned collection searches (partition/pinned-graph.ts). */
  pinnedGraph: PinnedGraphStats;
}

export interface CollectionStatsSources {
  readonly spec: CollectionSpec;
  readonly table: SegmentTable;
  /** Documents and bytes once every accepted write applies (what quotas judge). */
  readonly logical: Readonly<Usage>;
  readonly wal: WalStats;
  readonly recovery: RecoveryStats;
  readonly searches: SearchCounts;
  readonly seals: SealStats;
  readonly tiering: CollectionTiering;
  readonly routing: RoutingIndex | undefined;
  readonly pinnedGraph: PinnedGraphStats;
}

export function collectionStats(sources: CollectionStatsSources): CollectionStats {
  const { spec, table, logical } = sources;
  const tiering = sources.tiering.stats();
  return {
    tenant: spec.tenant,
    name: spec.name,
    dimension: spec.dimension,
    metric: spec.metric,
    vectors: table.committed.vectors,
    quota: {
      vectorsMax: spec.quota.vectorsMax,
      bytesMax: spec.quota.bytesMax,
      vectors: logical.vectors,
      bytes: logical.bytes,
    },
    ...segmentStats(table),
    wal: sources.wal,
    pendingTombstones: table.pendingTombstones.length,
    recovery: { ...sources.recovery },
    searches: sources.searches,
    seals: sources.seals,
    transitions: sources.tiering.transitions(),
    tiering,
    uploads: tiering.uploads,
    partitions: partitionStats(table, sources.routing, sources.pinnedGraph),
  };
}

function partitionStats(
  table: SegmentTable,
  routing: RoutingIndex | undefined,
  pinnedGraph: PinnedGraphStats,
): PartitionStats {
  const unpartitionedSegments = table.sealed.filter((s) => routing?.partitionOf(s.id) === undefined).length;
  if (routing === undefined) {
    return { count: 0, routingBytes: 0, unpartitionedSegments, partitions: [], pinnedGraph };
  }
  const liveRows = partitionLiveRows(routing, table.sealed);
  return {
    pinnedGraph,
    count: routing.count,
    routingBytes: routing.memoryBytes,
    unpartitionedSegments,
    partitions: routing.partitions.map((p, i) => ({
      rows: p.rows,
      bytes: p.bytes,
      segments: p.segmentIds.length,
      liveRows: liveRows[i] as number,
    })),
  };
}

/** Every segment of the table (sealed ones first, then the active one), with byte and tier totals. */
function segmentStats(
  table: SegmentTable,
): Pick<CollectionStats, 'segments' | 'bytes' | 'tiers'> & { manifest: CollectionStats['manifest'] } {
  const segments: SegmentStats[] = [];
  const bytes = { vectors: 0, index: 0, metadata: 0, buffers: 0, total: 0 };
  const tiers = { hot: emptyTier(), warm: emptyTier(), cold: emptyTier() };
  const add = (
    id: string,
    state: SegmentState,
    memory: SegmentMemory | undefined,
    filesBytes: number,
    rows: number,
    live: number,
    cold = false,
  ) => {
    const memoryBytes = memory?.bytes();
    if (memoryBytes !== undefined) {
      bytes.vectors += memoryBytes.vectors;
      bytes.index += memoryBytes.index;
      bytes.metadata += memoryBytes.metadata;
      bytes.buffers += memoryBytes.buffers;
    }
    const size = memoryBytes === undefined ? filesBytes : memoryTotal(memoryBytes);
    const tier: SegmentTier = memory !== undefined ? 'hot' : cold ? 'cold' : 'warm';
    segments.push({ id, state, tier, vectors: live, rows, bytes: size });
    tiers[tier].segments++;
    tiers[tier].vectors += live;
    tiers[tier].bytes += size;
  };
  for (const segment of table.sealed) {
    const filesBytes = segment.bytes().filesBytes;
    const cold = segment.tier === 'cold';
    add(segment.id, segment.state, segment.loaded(), filesBytes, segment.rows, segment.liveRows, cold);
  }
  const active = table.active;
  add(active.id, 'active', active.memory, 0, active.rows, active.liveRows);
  bytes.total = bytes.vectors + bytes.index + bytes.metadata + bytes.buffers;
  const { version, sealedLsn, tombstoneFiles } = table.manifest;
  return { segments, bytes, tiers, manifest: { version, sealedLsn, tombstoneFiles: tombstoneFiles.length } };
}

function emptyTier(): TierStats {
  return { segments: 0, vectors: 0, bytes: 0 };
}
