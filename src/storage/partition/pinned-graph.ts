/**
 * One HNSW graph over every partitioned row of a pinned collection. Partitions exist so that a
 * search reads few of them when most are warm or cold; once everything is hot (pinned) that buys
 * nothing, and `nprobe` graph searches of a few thousand rows each cost about `nprobe` times one
 * search of a graph over all of them (an HNSW search's cost follows `ef`, hardly the graph's size).
 * So a pinned, partitioned collection builds this graph, on the HNSW build thread, and searches it
 * instead of the probed partitions.
 *
 * The graph is a snapshot: it names the rows of the partition segments of one routing index (labels
 * map to segment and row), and is valid while the manifest carries that same routing index. Rows
 * deleted since are skipped by reading more candidates (k plus the deletions since the build); once
 * too many are deleted, or compaction rewrites the partitions, the snapshot is stale and searches
 * use the partitions until a new one is built. It never writes a file but its own temporary one,
 * and never changes a segment.
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../random.ts';
import { buildIndexFile } from '../segment/hnsw-build-thread.ts';
import { type HnswBuildParams, HnswIndex } from '../segment/hnsw-index.ts';
import { hnswNativeBytes } from '../segment/hnsw-memory.ts';
import type { SealedSegment } from '../segment/sealed-segment.ts';
import { deletionsMarked, type RowHit, type SegmentMemory } from '../segment/segment-memory.ts';
import type { RoutingIndexJson } from './routing-index.ts';

/** A snapshot stops serving once this many of its rows were deleted (it reads k + that many). */
export const PINNED_GRAPH_DELETED_ROWS_MAX = 1_000;

interface Member {
  readonly segment: SealedSegment;
  readonly memory: SegmentMemory;
  /** Deleted rows of the segment when the graph was built. */
  readonly deletedAtBuild: number;
}

export class PinnedGraph {
  /** The routing index (as the manifest holds it) whose partition segments the graph holds. */
  readonly routing: RoutingIndexJson;
  readonly rows: number;
  readonly #index: HnswIndex;
  readonly #members: readonly Member[];
  /** Label → member index and row. */
  readonly #memberOf: Uint32Array;
  readonly #rowOf: Uint32Array;
  readonly #params: HnswBuildParams;
  /** Rows deleted since the build, as the latest `serves` counted them. */
  #deletedLast = 0;
  /** `deletionsMarked()` when `#deletedLast` was counted: no row was deleted anywhere since. */
  #countedAt = -1;

  private constructor(
    routing: RoutingIndexJson,
    index: HnswIndex,
    members: readonly Member[],
    memberOf: Uint32Array,
    rowOf: Uint32Array,
    params: HnswBuildParams,
  ) {
    this.routing = routing;
    this.#index = index;
    this.#members = members;
    this.#memberOf = memberOf;
    this.#rowOf = rowOf;
    this.rows = memberOf.length;
    this.#params = params;
  }

  /**
   * Builds the graph of the live rows of `segments` (loaded, pinned) on the build thread, through a
   * temporary file in `tmpDir`, named by `fileTag` so that concurrent builds never share it.
   */
  static async build(
    routing: RoutingIndexJson,
    segments: readonly SealedSegment[],
    params: HnswBuildParams,
    tmpDir: string,
    fileTag: string,
  ): Promise<PinnedGraph | undefined> {
    const members: Member[] = [];
    let rows = 0;
    for (const segment of segments) {
      const memory = segment.loaded();
      if (memory === undefined) return undefined;
      members.push({ segment, memory, deletedAtBuild: memory.rows - memory.liveRows });
      rows += memory.liveRows;
    }
    const { dimension } = params;
    const vectors = new Float32Array(rows * dimension);
    const memberOf = new Uint32Array(rows);
    const rowOf = new Uint32Array(rows);
    let label = 0;
    members.forEach(({ memory }, m) => {
      for (let row = 0; row < memory.rows; row++) {
        if (memory.isDeleted(row)) continue;
        memberOf[label] = m;
        rowOf[label] = row;
        label++;
      }
    });
    // Partition segments hold their rows cluster by cluster; inserting them in that order builds a
    // poorer graph (lower recall at the same ef) than a shuffled order, so labels are shuffled (seeded).
    const rng = new Rng(params.seed);
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      const [m, r] = [memberOf[i] as number, rowOf[i] as number];
      memberOf[i] = memberOf[j] as number;
      rowOf[i] = rowOf[j] as number;
      memberOf[j] = m;
      rowOf[j] = r;
    }
    for (let l = 0; l < rows; l++) {
      const { memory } = members[memberOf[l] as number] as Member;
      vectors.set(memory.vector(rowOf[l] as number), l * dimension);
    }
    const path = join(tmpDir, `pinned-graph-${fileTag}.tmp.hnsw`);
    try {
      await buildIndexFile(params, vectors, rows, path);
      const index = await HnswIndex.read(path, params.metric, dimension);
      return new PinnedGraph(routing, index, members, memberOf, rowOf, params);
    } finally {
      await rm(path, { force: true });
    }
  }

  /** Native memory of the graph (see hnsw-memory.ts). */
  get memoryBytes(): number {
    return hnswNativeBytes(this.#params, Math.max(1, this.rows), this.rows);
  }

  /**
   * Rows deleted since the build, or undefined when a member is no longer in memory (the snapshot
   * cannot serve).
   */
  #deletedSinceBuild(): number | undefined {
    let deleted = 0;
    for (const { segment, memory, deletedAtBuild } of this.#members) {
      if (segment.loaded() !== memory) return undefined;
      deleted += memory.rows - memory.liveRows - deletedAtBuild;
    }
    return deleted;
  }

  /** Whether searches can use the graph while the manifest carries `routing`. */
  serves(routing: RoutingIndexJson | undefined): boolean {
    if (routing !== this.routing) return false;
    // Counting walks every member segment: skipped while no row was deleted anywhere (a segment
    // reloaded meanwhile holds the same rows, so the snapshot's answers stay right).
    const marked = deletionsMarked();
    if (marked === this.#countedAt) return true;
    const deleted = this.#deletedSinceBuild();
    if (deleted === undefined || deleted > PINNED_GRAPH_DELETED_ROWS_MAX) return false;
    this.#deletedLast = deleted;
    this.#countedAt = marked;
    return true;
  }

  /** The k nearest live rows (deleted ones dropped), closest first; call only when `serves`. */
  search(query: number[], k: number, ef: number): RowHit[] {
    const wanted = Math.min(this.rows, k + this.#deletedLast);
    const { labels, distances } = this.#index.search(query, wanted, Math.max(ef, wanted));
    const hits: RowHit[] = [];
    for (let i = 0; i < labels.length && hits.length < k; i++) {
      const label = labels[i] as number;
      const { memory } = this.#members[this.#memberOf[label] as number] as Member;
      const row = this.#rowOf[label] as number;
      if (memory.isDeleted(row)) continue;
      hits.push({ memory, row, distance: distances[i] as number, id: memory.id(row) });
    }
    return hits;
  }
}

export interface PinnedGraphSource {
  readonly params: HnswBuildParams;
  /** Where the build's temporary file goes (the collection's segments directory). */
  readonly tmpDir: string;
  /** The routing index the newest manifest carries. */
  readonly routing: () => RoutingIndexJson | undefined;
  /** The sealed segments that a routing index assigns to partitions. */
  readonly partitionSegments: () => readonly SealedSegment[];
}

/** What `stats()` shows of the pinned graph. */
export interface PinnedGraphStats {
  /** Rows of the graph searches use now (0 while there is none or it is stale). */
  rows: number;
  bytes: number;
  builds: number;
  buildFailures: number;
  searches: number;
}

/**
 * The pinned graph's life: built when the collection is pinned, dropped when unpinned, and rebuilt
 * in the background (one build at a time) when a search finds it stale while still pinned.
 */
export class PinnedGraphHolder {
  readonly #source: PinnedGraphSource;
  #wanted = false;
  #graph: PinnedGraph | undefined;
  #building: Promise<void> | undefined;
  #builds = 0;
  #buildFailures = 0;
  #searches = 0;

  constructor(source: PinnedGraphSource) {
    this.#source = source;
  }

  /**
   * Builds the graph of the current partitions (nothing while the collection is not partitioned). A
   * failed build only counts in `buildFailures`: searches then read the partitions, as unpinned.
   */
  async pin(): Promise<void> {
    this.#wanted = true;
    await this.#building?.catch(() => undefined);
    if (this.#wanted && !this.#graph?.serves(this.#source.routing())) {
      await this.#startBuild().catch(() => undefined);
    }
  }

  unpin(): void {
    this.#wanted = false;
    this.#graph = undefined;
  }

  /** The graph to search, or undefined (then a stale one is rebuilt in the background). */
  serving(): PinnedGraph | undefined {
    if (!this.#wanted) return undefined;
    const routing = this.#source.routing();
    if (routing === undefined) return undefined;
    if (this.#graph?.serves(routing)) {
      this.#searches++;
      return this.#graph;
    }
    // A stale snapshot holds segments compaction replaced: let them go before the next is built.
    this.#graph = undefined;
    if (this.#building === undefined) this.#startBuild().catch(() => undefined);
    return undefined;
  }

  stats(): PinnedGraphStats {
    const graph = this.#graph?.serves(this.#source.routing()) ? this.#graph : undefined;
    return {
      rows: graph?.rows ?? 0,
      bytes: graph?.memoryBytes ?? 0,
      builds: this.#builds,
      buildFailures: this.#buildFailures,
      searches: this.#searches,
    };
  }

  #startBuild(): Promise<void> {
    const routing = this.#source.routing();
    if (routing === undefined) return Promise.resolve();
    const tag = String(++this.#builds);
    this.#building = PinnedGraph.build(
      routing,
      this.#source.partitionSegments(),
      this.#source.params,
      this.#source.tmpDir,
      `${process.pid}-${tag}`,
    )
      .then((graph) => {
        if (this.#wanted && graph !== undefined) this.#graph = graph;
      })
      .catch((error: unknown) => {
        this.#buildFailures++;
        throw error;
      })
      .finally(() => {
        this.#building = undefined;
      });
    return this.#building;
  }
}
