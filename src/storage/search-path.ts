/**
 * The read path of one collection. Search checks a query and its options, picks the sealed segments to
 * read (once the collection is partitioned, those of the `nprobe` partitions nearest to the query by
 * the routing index, plus every not-yet-partitioned one; all of them for `exact: true`, and the rest
 * too when a filter leaves fewer than k hits in the probed ones), searches
 * them (warm and cold ones are promoted as the search reaches them) and then the active segment, each by
 * HNSW or by an exact scan (when asked, or when a filter matches too few rows for HNSW to find them),
 * and merges the per-segment hits into the k closest live documents. `get` reads one document by id
 * (promoting its segment if it is warm or cold).
 *
 * It only reads the segment table; it must never return a row that is deleted by the time the
 * results are merged, nor the same id twice.
 */

import { checkInteger, describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { CollectionSpec } from './collection-spec.ts';
import { compileFilter, type MetadataFilter, type MetadataPredicate } from './filter.ts';
import { LIMITS } from './limits.ts';
import { PARTITION_DEFAULTS } from './partition/partition-defaults.ts';
import { PinnedGraphHolder } from './partition/pinned-graph.ts';
import { RoutingIndex, type RoutingIndexJson } from './partition/routing-index.ts';
import { checkWarmOptions, type WarmTarget, warmTarget } from './partition/warm-target.ts';
import { ActiveSegment } from './segment/active-segment.ts';
import { norm } from './segment/distance.ts';
import type { SealedSegment } from './segment/sealed-segment.ts';
import type { RowHit, SegmentMemory } from './segment/segment-memory.ts';
import { compareCandidates } from './segment/top-k.ts';
import type { SegmentTable } from './segment-table.ts';
import type { CollectionTiering } from './tiering/collection-tiering.ts';
import { checkOptionsObject, type Metadata, validateQueryVector } from './validation.ts';

export const SEARCH_DEFAULTS = Object.freeze({
  /** Results per search. */
  k: 10,
  /** Rows sampled per segment to estimate how many match a filter. */
  filterSampleRows: 256,
  /**
   * A filtered search scans a segment exactly when fewer than this many × ef rows are estimated to
   * match: HNSW then visits about ef / selectivity nodes of ~2m neighbours each, more than a scan.
   */
  exactScanMatchesPerEf: 32,
});

export interface SearchOptions {
  /** Results wanted. @default 10 */
  k?: number;
  /** HNSW candidate list size. @default the collection's `hnsw.efSearch` */
  ef?: number;
  filter?: MetadataFilter;
  /** Brute-force k-NN over every live row instead of HNSW. @default false */
  exact?: boolean;
  /**
   * Partitions probed once the collection is partitioned (nearest centroids first); ignored with
   * `exact: true`. @default PARTITION_DEFAULTS.nprobe (8)
   */
  nprobe?: number;
}

export interface StoredDocument {
  id: string;
  vector: Float32Array;
  metadata: Metadata;
}

export interface SearchHit {
  id: string;
  /** Lower is closer: squared L2, 1 − inner product, or 1 − cosine similarity. */
  distance: number;
  /** Read-only (deep-frozen and shared between searches); `get()` returns a mutable copy. */
  metadata: Readonly<Metadata>;
}

export interface SearchCounts {
  total: number;
  exact: number;
  /** Segments scanned exactly because a filter matched too few rows for HNSW. */
  exactFallbacks: number;
  /** Partitions probed and sealed segments read, summed over all searches. */
  partitionsProbed: number;
  /**
   * Partitions among the `nprobe` nearest that searches skipped: their lower bound (centroid distance
   * minus radius) was above the k-th distance already found, so none of their rows could be nearer.
   */
  partitionsSkipped: number;
  segmentsRead: number;
  /** The same for the latest search. */
  last: { partitionsProbed: number; partitionsSkipped: number; segmentsRead: number };
}

/**
 * The sealed segments a search reads, in two stages: `first` (every unpartitioned segment and the
 * nearest partition), then those of `later` partitions whose lower bound does not exceed the k-th
 * distance the first stage found.
 */
interface ReadPlan {
  readonly first: readonly SealedSegment[];
  readonly firstPartitions: number;
  readonly later: readonly { readonly bound: number; readonly segments: readonly SealedSegment[] }[];
}

/**
 * The sealed segments by partition and the unpartitioned ones, for the segment list and routing index
 * they were taken from (kept until the list is replaced or appended to, or the routing index changes).
 */
interface SegmentGroups {
  readonly sealed: readonly SealedSegment[];
  readonly length: number;
  readonly routing: RoutingIndex;
  readonly byPartition: ReadonlyMap<number, readonly SealedSegment[]>;
  readonly unpartitioned: readonly SealedSegment[];
}

export interface SearchPathOptions {
  readonly spec: CollectionSpec;
  readonly table: SegmentTable;
  readonly tiering: CollectionTiering;
  /** Where the pinned graph's build writes its temporary file (the segments directory). */
  readonly tmpDir: string;
}

/** A validated search: the query as hnswlib takes it, and its typed copy and norm once an exact scan needs them. */
interface SearchQuery {
  readonly array: number[];
  typed: Float32Array | undefined;
  norm: number;
  readonly k: number;
  readonly ef: number;
  readonly predicate: MetadataPredicate | undefined;
  readonly exact: boolean;
  readonly nprobe: number;
}

export class SearchPath {
  readonly #options: SearchPathOptions;
  readonly #counts: SearchCounts = {
    total: 0,
    exact: 0,
    exactFallbacks: 0,
    partitionsProbed: 0,
    partitionsSkipped: 0,
    segmentsRead: 0,
    last: { partitionsProbed: 0, partitionsSkipped: 0, segmentsRead: 0 },
  };
  /** See SegmentGroups: a search would otherwise look up every sealed segment's partition. */
  #groups: SegmentGroups | undefined;
  /** The routing index decoded from the manifest field it came from. */
  #routing: { json: RoutingIndexJson; index: RoutingIndex } | undefined;

  readonly #pinnedGraph: PinnedGraphHolder;

  constructor(options: SearchPathOptions) {
    this.#options = options;
    const { spec, table } = options;
    this.#pinnedGraph = new PinnedGraphHolder({
      params: {
        metric: spec.metric,
        dimension: spec.dimension,
        m: spec.hnsw.m,
        efConstruction: spec.hnsw.efConstruction,
        seed: PARTITION_DEFAULTS.seed,
      },
      tmpDir: options.tmpDir,
      routing: () => table.manifest.routing,
      partitionSegments: () => {
        const routing = this.routing();
        return table.sealed.filter((segment) => routing?.partitionOf(segment.id) !== undefined);
      },
    });
  }

  /** The pinned graph's life (see partition/pinned-graph.ts): Collection.pin and unpin drive it. */
  get pinnedGraph(): PinnedGraphHolder {
    return this.#pinnedGraph;
  }

  /** k nearest live documents, closest first, optionally filtered on metadata. */
  async search(vector: Float32Array | readonly number[], options: SearchOptions): Promise<SearchHit[]> {
    const { spec, table, tiering } = this.#options;
    const query: SearchQuery = {
      array: validateQueryVector(vector, spec.dimension, spec.metric),
      typed: undefined,
      norm: 0,
      ...this.#resolveOptions(options),
    };
    const run = new SegmentReads(query);
    // Taken now: a seal during the promotions below turns this memory into a sealed segment's.
    const active = table.active.memory;
    try {
      const graph = query.exact || query.predicate !== undefined ? undefined : this.#pinnedGraph.serving();
      if (graph !== undefined) run.addPinned(graph.search(query.array, query.k, query.ef));
      const plan = this.#plan(query, graph !== undefined);
      let segments = plan.first;
      let partitionsProbed = plan.firstPartitions;
      // Warm and cold segments are promoted as the search reaches them (TierManager.forEachLoaded).
      // With the pinned graph serving there are often none left to read: no await then.
      if (segments.length > 0)
        await tiering.forEachLoaded(segments, 'search', (memory, segment) => run.read(memory, segment));
      run.read(active);
      let partitionsSkipped = 0;
      if (plan.later.length > 0) {
        const kth = kthDistance(mergeHits(run.hits, query.k, true), query.k);
        const wanted = plan.later.filter((partition) => partition.bound <= kth);
        partitionsSkipped = plan.later.length - wanted.length;
        partitionsProbed += wanted.length;
        const more = wanted.flatMap((partition) => partition.segments);
        await tiering.forEachLoaded(more, 'search', (memory, segment) => run.read(memory, segment));
        segments = [...segments, ...more];
      }
      let results = mergeHits(run.hits, query.k, run.contributing > 1);
      if (
        query.predicate !== undefined &&
        results.length < query.k &&
        segments.length < table.sealed.length
      ) {
        // The filter matches fewer than k rows in the probed partitions: the others are read too, so
        // a filtered search never misses matching rows because of partitioning.
        const seen = new Set(segments);
        const rest = table.sealed.filter((segment) => !seen.has(segment));
        await tiering.forEachLoaded(rest, 'search', (memory, segment) => run.read(memory, segment));
        segments = [...segments, ...rest];
        partitionsProbed = this.routing()?.count ?? partitionsProbed;
        partitionsSkipped = 0;
        results = mergeHits(run.hits, query.k, true);
      }
      this.#counts.total++;
      this.#counts.partitionsProbed += partitionsProbed;
      this.#counts.partitionsSkipped += partitionsSkipped;
      this.#counts.segmentsRead += segments.length;
      this.#counts.last = { partitionsProbed, partitionsSkipped, segmentsRead: segments.length };
      if (query.exact) this.#counts.exact++;
      if (run.fallback) this.#counts.exactFallbacks++;
      return results;
    } finally {
      run.unpin();
    }
  }

  /** The document with this (validated) id, or undefined. The vector and metadata are copies. */
  async get(id: string): Promise<StoredDocument | undefined> {
    const { table, tiering } = this.#options;
    // A warm or cold segment is promoted first; if the id moved meanwhile, look again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ref = table.refOf(id);
      if (ref === undefined) return undefined;
      const { segment, row } = table.resolve(ref);
      if (segment instanceof ActiveSegment) {
        return { id, vector: segment.memory.vector(row), metadata: segment.memory.metadataCopy(row) };
      }
      const memory = await tiering.acquire(segment, 'get');
      try {
        if (table.refOf(id) !== ref) continue;
        return { id, vector: memory.vector(row), metadata: memory.metadataCopy(row) };
      } finally {
        tiering.release(segment);
      }
    }
    return undefined;
  }

  counts(): SearchCounts {
    return { ...this.#counts, last: { ...this.#counts.last } };
  }

  /** The routing index of the newest manifest, or undefined while the collection is not partitioned. */
  routing(): RoutingIndex | undefined {
    const json = this.#options.table.manifest.routing;
    if (json === undefined) return undefined;
    if (this.#routing?.json !== json) {
      this.#routing = { json, index: RoutingIndex.fromJSON(json, this.#options.spec.dimension) };
    }
    return this.#routing.index;
  }

  /**
   * The sealed segments a search reads: every unpartitioned one, and those of the `nprobe` partitions
   * nearest to the query (all of them for `exact: true`). When the nearest partition is cold, every
   * probed partition is read in one stage (their downloads run in parallel); otherwise the nearest
   * is read first, and the others only if their bound allows.
   */
  #plan(query: SearchQuery, pinnedGraph: boolean): ReadPlan {
    const sealed = this.#options.table.sealed;
    const routing = this.routing();
    if (routing === undefined || query.exact) return { first: sealed, firstPartitions: 0, later: [] };
    const groups = this.#groupsOf(sealed, routing);
    // The pinned graph holds every partition's rows: only the unpartitioned segments remain.
    if (pinnedGraph) return { first: groups.unpartitioned, firstPartitions: 0, later: [] };
    const typed = typedQuery(query);
    const order = routing.nearest(typed, query.norm, query.nprobe);
    const first: SealedSegment[] = [...groups.unpartitioned];
    const byPartition = groups.byPartition;
    const nearestCold = (byPartition.get(order[0] as number) ?? []).some((s) => s.tier === 'cold');
    const later: { bound: number; segments: readonly SealedSegment[] }[] = [];
    order.forEach((p, i) => {
      const segments = byPartition.get(p) ?? [];
      const bound = i === 0 || nearestCold ? 0 : routing.lowerBound(typed, query.norm, p);
      if (bound === 0) first.push(...segments);
      else later.push({ bound, segments });
    });
    return { first, firstPartitions: order.length - later.length, later };
  }

  /** The sealed segments by partition, regrouped when the segment list or the routing index changed. */
  #groupsOf(sealed: readonly SealedSegment[], routing: RoutingIndex): SegmentGroups {
    const cache = this.#groups;
    if (cache?.sealed === sealed && cache.length === sealed.length && cache.routing === routing) return cache;
    const byPartition = new Map<number, SealedSegment[]>();
    const unpartitioned: SealedSegment[] = [];
    for (const segment of sealed) {
      const p = routing.partitionOf(segment.id);
      if (p === undefined) {
        unpartitioned.push(segment);
        continue;
      }
      // Partitions written by compaction since the last grouping become flat from their next load.
      segment.setFlat(this.#flatPartition(segment));
      let segments = byPartition.get(p);
      if (segments === undefined) {
        segments = [];
        byPartition.set(p, segments);
      }
      segments.push(segment);
    }
    this.#groups = { sealed, length: sealed.length, routing, byPartition, unpartitioned };
    return this.#groups;
  }

  /**
   * The sealed segments a `warm()` hint covers, most wanted first (see warm-target.ts); its partition
   * segments are set to load as a search would load them. Bad options throw before anything changes.
   */
  warmTarget(options: unknown): WarmTarget {
    const { spec, table } = this.#options;
    const routing = this.routing();
    const target = warmTarget(checkWarmOptions(options, spec, routing), table.sealed, routing);
    for (const segments of target.partitionSegments) {
      for (const segment of segments) segment.setFlat(this.#flatPartition(segment));
    }
    return target;
  }

  /**
   * Sets every partition segment to load as a search would (small ones flat), before a pin, and
   * returns the ids of flat ones in memory with a graph (left by compaction) to be reloaded without.
   */
  flatPartitions(): string[] {
    const routing = this.routing();
    if (routing === undefined) return [];
    const reload: string[] = [];
    for (const segment of this.#options.table.sealed) {
      if (routing.partitionOf(segment.id) === undefined) continue;
      const flat = this.#flatPartition(segment);
      segment.setFlat(flat);
      if (flat && segment.loaded()?.indexed === true) reload.push(segment.id);
    }
    return reload;
  }

  #flatPartition(segment: SealedSegment): boolean {
    return segment.rows <= PARTITION_DEFAULTS.flatScanRowsMax;
  }

  #resolveOptions(options: SearchOptions): Pick<SearchQuery, 'k' | 'ef' | 'predicate' | 'exact' | 'nprobe'> {
    const checked = checkOptionsObject('search options', options, ['k', 'ef', 'filter', 'exact', 'nprobe']);
    const nprobe = checkInteger(
      'nprobe',
      checked.nprobe ?? PARTITION_DEFAULTS.nprobe,
      1,
      PARTITION_DEFAULTS.nprobeMax,
    );
    const k = checkInteger('k', checked.k ?? SEARCH_DEFAULTS.k, 1, LIMITS.kMax);
    const ef = checkInteger('ef', checked.ef ?? this.#options.spec.hnsw.efSearch, 1, LIMITS.efMax);
    if (checked.exact !== undefined && typeof checked.exact !== 'boolean') {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`exact\` to be a boolean, got ${describeValue(checked.exact)}`,
        { details: { option: 'exact' } },
      );
    }
    return { k, ef, predicate: compileFilter(checked.filter), exact: checked.exact === true, nprobe };
  }
}

/**
 * One search's hits from the segments it reads (a class, so a search creates no closures for it).
 * Every memory it read stays pinned until `unpin`: hits are merged (ids and metadata read) after
 * later segments were awaited, and a flat partition's file buffer must not be reused before.
 */
class SegmentReads {
  hits: RowHit[] = [];
  contributing = 0;
  /** A filter matched so few rows of a segment that it was scanned exactly. */
  fallback = false;
  readonly #query: SearchQuery;
  readonly #pinned: SegmentMemory[] = [];

  constructor(query: SearchQuery) {
    this.#query = query;
  }

  add(rows: RowHit[]): void {
    this.hits = this.hits.length === 0 ? rows : this.hits.concat(rows);
    this.contributing++;
  }

  /** Hits from memories not read through `read` (the pinned graph's): pins each hit's memory. */
  addPinned(rows: RowHit[]): void {
    for (const hit of rows) this.#pin(hit.memory);
    this.add(rows);
  }

  #pin(memory: SegmentMemory): void {
    memory.pin();
    this.#pinned.push(memory);
  }

  unpin(): void {
    for (const memory of this.#pinned) memory.unpin();
    this.#pinned.length = 0;
  }

  read(memory: SegmentMemory, segment?: SealedSegment): void {
    if (memory.liveRows === 0) return;
    this.#pin(memory);
    const query = this.#query;
    if (query.exact || !memory.indexed || segment?.flat === true) {
      // A flat segment (a small partition) is scanned exactly, even while a graph built by
      // compaction is still in memory, so its answers do not depend on its tier.
      this.add(exactScan(memory, query));
    } else if (query.predicate !== undefined && prefersExact(memory, query.predicate, query.ef)) {
      this.fallback = true;
      this.add(exactScan(memory, query));
    } else {
      this.add(memory.annSearch(query.array, query.k, query.ef, query.predicate));
    }
  }
}

function prefersExact(memory: SegmentMemory, predicate: MetadataPredicate, ef: number): boolean {
  const estimated = memory.estimateMatches(predicate, SEARCH_DEFAULTS.filterSampleRows);
  return estimated < SEARCH_DEFAULTS.exactScanMatchesPerEf * ef;
}

function typedQuery(query: SearchQuery): Float32Array {
  if (query.typed === undefined) {
    query.typed = Float32Array.from(query.array);
    query.norm = norm(query.typed, 0, query.typed.length);
  }
  return query.typed;
}

function exactScan(memory: SegmentMemory, query: SearchQuery): RowHit[] {
  return memory.exactSearch(typedQuery(query), query.norm, query.k, query.predicate);
}

/** The k-th distance of merged results, or Infinity while there are fewer than k. */
function kthDistance(results: readonly SearchHit[], k: number): number {
  return results.length < k ? Number.POSITIVE_INFINITY : (results[k - 1] as SearchHit).distance;
}

/** Merges per-segment hits: closest first, ties by id, rows deleted meanwhile and repeats dropped. */
function mergeHits(hits: RowHit[], k: number, fromSeveralSegments: boolean): SearchHit[] {
  hits.sort(compareCandidates);
  const results: SearchHit[] = [];
  // Repeats can only come from two segments (an id moving while a warm segment loads).
  const seen = fromSeveralSegments ? new Set<string>() : undefined;
  for (const hit of hits) {
    if (results.length === k) break;
    if (hit.memory.isDeleted(hit.row)) continue;
    if (seen !== undefined) {
      if (seen.has(hit.id)) continue;
      seen.add(hit.id);
    }
    results.push({ id: hit.id, distance: hit.distance, metadata: hit.memory.metadata(hit.row) });
  }
  return results;
}
