/**
 * The read path of one collection. Search checks a query and its options, searches every sealed segment
 * (warm and cold ones are promoted as the search reaches them) and then the active segment, each by
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
import { ActiveSegment } from './segment/active-segment.ts';
import { norm } from './segment/distance.ts';
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
}

export interface SearchPathOptions {
  readonly spec: CollectionSpec;
  readonly table: SegmentTable;
  readonly tiering: CollectionTiering;
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
}

export class SearchPath {
  readonly #options: SearchPathOptions;
  readonly #counts: SearchCounts = { total: 0, exact: 0, exactFallbacks: 0 };

  constructor(options: SearchPathOptions) {
    this.#options = options;
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
    // Taken now: a seal during the promotions below turns this memory into a sealed segment's.
    const active = table.active.memory;
    let hits: RowHit[] = [];
    let contributing = 0;
    let fallback = false;
    const searchIn = (memory: SegmentMemory): void => {
      if (memory.liveRows === 0) return;
      let rows: RowHit[];
      if (query.exact) {
        rows = exactScan(memory, query);
      } else if (query.predicate !== undefined && prefersExact(memory, query.predicate, query.ef)) {
        fallback = true;
        rows = exactScan(memory, query);
      } else {
        rows = memory.annSearch(query.array, query.k, query.ef, query.predicate);
      }
      hits = hits.length === 0 ? rows : hits.concat(rows);
      contributing++;
    };
    // Warm and cold segments are promoted as the search reaches them (TierManager.forEachLoaded).
    await tiering.forEachLoaded(table.sealed, 'search', searchIn);
    searchIn(active);
    this.#counts.total++;
    if (query.exact) this.#counts.exact++;
    if (fallback) this.#counts.exactFallbacks++;
    return mergeHits(hits, query.k, contributing > 1);
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
    return { ...this.#counts };
  }

  #resolveOptions(options: SearchOptions): Pick<SearchQuery, 'k' | 'ef' | 'predicate' | 'exact'> {
    const checked = checkOptionsObject('search options', options, ['k', 'ef', 'filter', 'exact']);
    const k = checkInteger('k', checked.k ?? SEARCH_DEFAULTS.k, 1, LIMITS.kMax);
    const ef = checkInteger('ef', checked.ef ?? this.#options.spec.hnsw.efSearch, 1, LIMITS.efMax);
    if (checked.exact !== undefined && typeof checked.exact !== 'boolean') {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`exact\` to be a boolean, got ${describeValue(checked.exact)}`,
        { details: { option: 'exact' } },
      );
    }
    return { k, ef, predicate: compileFilter(checked.filter), exact: checked.exact === true };
  }
}

function prefersExact(memory: SegmentMemory, predicate: MetadataPredicate, ef: number): boolean {
  const estimated = memory.estimateMatches(predicate, SEARCH_DEFAULTS.filterSampleRows);
  return estimated < SEARCH_DEFAULTS.exactScanMatchesPerEf * ef;
}

function exactScan(memory: SegmentMemory, query: SearchQuery): RowHit[] {
  if (query.typed === undefined) {
    query.typed = Float32Array.from(query.array);
    query.norm = norm(query.typed, 0, query.typed.length);
  }
  return memory.exactSearch(query.typed, query.norm, query.k, query.predicate);
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
