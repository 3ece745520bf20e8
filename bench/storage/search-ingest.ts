/**
 * Store ingest and search against raw hnswlib-node, measured in the same run on the same data.
 *
 * - Build: raw `addPoint` over every vector (the baseline) vs tiervec `insert` in batches with `fsync`
 *   durability (validation, WAL write + fsync per batch, apply) into one segment, so both build the
 *   same graph with the same parameters and seed; and tiervec with `buffered` durability at the
 *   default `segmentVectorsMax` (the shipped configuration, several segments).
 * - Search: QPS and recall@10 at ef 64 and 128 for raw hnswlib and for both stores; recall is against
 *   exact k-NN from hnswlib's brute-force index. The single-segment store searches the same graph as
 *   raw, so its ratio is tiervec's overhead at equal recall.
 *
 * Targets (ratios, never absolute times): search QPS ≥ 0.9 × raw at equal recall; insert ≥ 0.8 × raw
 * build rate. Run: `npx tsx bench/storage/search-ingest.ts`; size with BENCH_VECTORS, BENCH_DIMENSION,
 * BENCH_QUERIES, BENCH_BATCH, BENCH_SEED, BENCH_CLUSTER_STDDEV. The functions are exported for the
 * bench runner.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import hnswlib from 'hnswlib-node';
import { VectorGenerator } from '../../src/datasets/vector-generator.ts';
import type { Collection } from '../../src/storage/collection.ts';
import { COLLECTION_DEFAULTS } from '../../src/storage/collection-spec.ts';
import type { Metric } from '../../src/storage/metric.ts';
import { openStore } from '../../src/storage/store.ts';
import { STORE_DEFAULTS } from '../../src/storage/store-options.ts';

export interface SearchIngestOptions {
  vectors: number;
  dimension: number;
  queries: number;
  batchSize: number;
  seed: number;
  clusterStdDev: number;
  metric: Metric;
  efs: readonly number[];
  k: number;
  /** Timed passes over the queries per measurement (after one untimed pass). */
  passes: number;
}

export const SEARCH_INGEST_DEFAULTS: Readonly<SearchIngestOptions> = Object.freeze({
  vectors: 100_000,
  dimension: 128,
  queries: 1_000,
  batchSize: 1_000,
  seed: 42,
  clusterStdDev: 1.0,
  metric: 'cosine',
  efs: [64, 128],
  k: 10,
  passes: 3,
});

export interface BuildFigure {
  name: string;
  /** Vectors per second of wall-clock time (what a writer sees, fsync waits included). */
  vectorsPerS: number;
  /** Vectors per second of this process's CPU time. */
  vectorsPerCpuS: number;
  seconds: number;
  /** Seconds of the final flush (seal) after the last acknowledged insert, for stores. */
  flushSeconds?: number;
  segments?: number;
}

export interface SearchFigure {
  name: string;
  ef: number;
  /** Queries per second of wall-clock time. */
  qps: number;
  /** Queries per second of this process's CPU time: steadier than wall time on a shared machine. */
  qpsPerCpuS: number;
  recall: number;
}

export interface SearchIngestResult {
  options: SearchIngestOptions;
  builds: BuildFigure[];
  searches: SearchFigure[];
  ratios: { name: string; value: number; target: number; met: boolean }[];
}

interface Dataset {
  vectors: Float32Array[];
  queries: Float32Array[];
  truth: Set<number>[];
}

/** Seeded clustered vectors and queries, and exact top-k from hnswlib's brute-force index. */
export function makeDataset(options: SearchIngestOptions): Dataset {
  const generator = new VectorGenerator({
    seed: options.seed,
    dimension: options.dimension,
    clusterStdDev: options.clusterStdDev,
  });
  const vectors = generator.take(options.vectors);
  const queries = generator.take(options.queries);
  const exact = new hnswlib.BruteforceSearch(options.metric, options.dimension);
  exact.initIndex(options.vectors);
  vectors.forEach((vector, label) => {
    exact.addPoint(Array.from(vector), label);
  });
  const truth = queries.map((query) => new Set(exact.searchKnn(Array.from(query), options.k).neighbors));
  return { vectors, queries, truth };
}

function seconds(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Raw hnswlib-node: one index, addPoint per vector (converting each to a plain array, as tiervec must). */
export function measureRawBuild(
  dataset: Dataset,
  options: SearchIngestOptions,
): { figure: BuildFigure; index: InstanceType<typeof hnswlib.HierarchicalNSW> } {
  const { m, efConstruction } = COLLECTION_DEFAULTS.hnsw;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const index = new hnswlib.HierarchicalNSW(options.metric, options.dimension);
  // Seed 1: the same level generator seed tiervec gives its first segment.
  index.initIndex(options.vectors, m, efConstruction, 1);
  dataset.vectors.forEach((vector, label) => {
    index.addPoint(Array.from(vector), label);
  });
  const elapsed = seconds(start);
  const figure = {
    name: 'raw hnswlib build',
    vectorsPerS: options.vectors / elapsed,
    vectorsPerCpuS: options.vectors / cpuSeconds(cpu),
    seconds: elapsed,
  };
  return { figure, index };
}

/** tiervec: `insert` in batches, one writer; the rate counts acknowledged documents. */
export async function measureStoreInsert(
  dataset: Dataset,
  options: SearchIngestOptions,
  store: { name: string; durability: 'fsync' | 'buffered'; segmentVectorsMax: number },
): Promise<{ figure: BuildFigure; collection: Collection; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tiervec-bench-'));
  const opened = await openStore({
    dir,
    durability: store.durability,
    segmentVectorsMax: store.segmentVectorsMax,
  });
  const collection = await opened.createCollection({
    name: 'bench',
    dimension: options.dimension,
    metric: options.metric,
  });
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let first = 0; first < dataset.vectors.length; first += options.batchSize) {
    const batch = dataset.vectors.slice(first, first + options.batchSize);
    await collection.insert(
      batch.map((vector, i) => ({ id: `v${first + i}`, vector, metadata: { n: first + i } })),
    );
  }
  const elapsed = seconds(start);
  const cpuS = cpuSeconds(cpu);
  const flushStart = performance.now();
  await collection.flush();
  const figure: BuildFigure = {
    name: store.name,
    vectorsPerS: options.vectors / elapsed,
    vectorsPerCpuS: options.vectors / cpuS,
    seconds: elapsed,
    flushSeconds: seconds(flushStart),
    segments: collection.stats().segments.filter((segment) => segment.state === 'sealed').length,
  };
  const close = async () => {
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { figure, collection, close };
}

function recallOf(results: number[][], truth: Set<number>[], k: number): number {
  let found = 0;
  results.forEach((labels, i) => {
    for (const label of labels) if (truth[i]?.has(label)) found++;
  });
  return found / (k * results.length);
}

export interface Searcher {
  name: string;
  search: (query: Float32Array) => number[] | Promise<number[]>;
}

const CHUNK_QUERIES = 50;

/**
 * Queries per second and recall@k for several searchers at one ef. After an untimed pass that also
 * collects the answers, `passes` timed passes run the searchers in turn on chunks of 50 queries, so a
 * noisy neighbour on a shared machine slows every searcher alike; each searcher's time is summed.
 */
export async function measureSearches(
  ef: number,
  dataset: Dataset,
  options: SearchIngestOptions,
  searchers: readonly Searcher[],
): Promise<SearchFigure[]> {
  const answers = await Promise.all(searchers.map(async () => [] as number[][]));
  for (const [i, searcher] of searchers.entries()) {
    for (const query of dataset.queries) answers[i]?.push(await searcher.search(query));
  }
  const elapsedMs = searchers.map(() => 0);
  const cpuMicros = searchers.map(() => 0);
  for (let pass = 0; pass < options.passes; pass++) {
    for (let first = 0; first < dataset.queries.length; first += CHUNK_QUERIES) {
      const chunk = dataset.queries.slice(first, first + CHUNK_QUERIES);
      for (const [i, searcher] of searchers.entries()) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        for (const query of chunk) await searcher.search(query);
        const used = process.cpuUsage(cpu);
        elapsedMs[i] = (elapsedMs[i] as number) + performance.now() - start;
        cpuMicros[i] = (cpuMicros[i] as number) + used.user + used.system;
      }
    }
  }
  const queries = dataset.queries.length * options.passes;
  return searchers.map((searcher, i) => ({
    name: searcher.name,
    ef,
    qps: queries / ((elapsedMs[i] as number) / 1000),
    qpsPerCpuS: queries / ((cpuMicros[i] as number) / 1e6),
    recall: recallOf(answers[i] as number[][], dataset.truth, options.k),
  }));
}

function rawSearcher(index: InstanceType<typeof hnswlib.HierarchicalNSW>, ef: number, k: number) {
  return (query: Float32Array): number[] => {
    index.setEf(ef);
    return index.searchKnn(Array.from(query), k).neighbors;
  };
}

function storeSearcher(collection: Collection, ef: number, k: number) {
  return async (query: Float32Array): Promise<number[]> =>
    (await collection.search(query, { k, ef })).map((hit) => Number(hit.id.slice(1)));
}

export async function runSearchIngestBench(
  overrides: Partial<SearchIngestOptions> = {},
  log: (line: string) => void = () => undefined,
): Promise<SearchIngestResult> {
  const options = { ...SEARCH_INGEST_DEFAULTS, ...overrides };
  log(
    `dataset: ${options.vectors} × ${options.dimension} clustered (seed ${options.seed}), ${options.queries} queries`,
  );
  const dataset = makeDataset(options);
  const raw = measureRawBuild(dataset, options);
  log(`raw build: ${raw.figure.seconds.toFixed(1)} s`);
  const single = await measureStoreInsert(dataset, options, {
    name: 'tiervec insert, fsync, one segment',
    durability: 'fsync',
    segmentVectorsMax: options.vectors,
  });
  log(`tiervec fsync insert: ${single.figure.seconds.toFixed(1)} s`);
  const shipped = await measureStoreInsert(dataset, options, {
    name: `tiervec insert, buffered, segmentVectorsMax ${STORE_DEFAULTS.segmentVectorsMax}`,
    durability: 'buffered',
    segmentVectorsMax: STORE_DEFAULTS.segmentVectorsMax,
  });
  log(`tiervec buffered insert: ${shipped.figure.seconds.toFixed(1)} s`);
  const searches: SearchFigure[] = [];
  for (const ef of options.efs) {
    const figures = await measureSearches(ef, dataset, options, [
      { name: 'raw hnswlib', search: rawSearcher(raw.index, ef, options.k) },
      { name: 'tiervec, one segment', search: storeSearcher(single.collection, ef, options.k) },
      {
        name: `tiervec, ${shipped.figure.segments} segment(s)`,
        search: storeSearcher(shipped.collection, ef, options.k),
      },
    ]);
    searches.push(...figures);
    log(`search at ef ${ef} measured`);
  }
  await single.close();
  await shipped.close();
  return {
    options,
    builds: [raw.figure, single.figure, shipped.figure],
    searches,
    ratios: ratiosOf(raw.figure, single.figure, searches),
  };
}

function ratiosOf(
  raw: BuildFigure,
  single: BuildFigure,
  searches: SearchFigure[],
): SearchIngestResult['ratios'] {
  const ratios: SearchIngestResult['ratios'] = [];
  const ratio = (name: string, value: number, target: number) =>
    ratios.push({ name, value, target, met: value >= target });
  ratio('insert (fsync) ÷ raw build, wall clock', single.vectorsPerS / raw.vectorsPerS, 0.8);
  ratio('insert (fsync) ÷ raw build, CPU time', single.vectorsPerCpuS / raw.vectorsPerCpuS, 0.8);
  for (const figure of searches.filter((s) => s.name === 'tiervec, one segment')) {
    const baseline = searches.find((s) => s.name === 'raw hnswlib' && s.ef === figure.ef) as SearchFigure;
    const recalls = `recall ${figure.recall.toFixed(4)} vs ${baseline.recall.toFixed(4)}`;
    ratio(`search QPS ÷ raw at ef ${figure.ef}, wall clock (${recalls})`, figure.qps / baseline.qps, 0.9);
    ratio(`search QPS ÷ raw at ef ${figure.ef}, CPU time`, figure.qpsPerCpuS / baseline.qpsPerCpuS, 0.9);
  }
  return ratios;
}

export function formatSearchIngestReport(result: SearchIngestResult): string {
  const lines: string[] = [];
  const o = result.options;
  lines.push(
    `${o.vectors} × ${o.dimension} clustered (stddev ${o.clusterStdDev}, seed ${o.seed}), ${o.metric}, batches of ${o.batchSize}, ${o.queries} queries × ${o.passes} passes`,
  );
  lines.push(
    '',
    `${'build'.padEnd(50)} ${'vectors/s'.padStart(10)} ${'per CPU s'.padStart(10)} ${'seconds'.padStart(8)} ${'flush s'.padStart(8)} ${'segments'.padStart(8)}`,
  );
  for (const b of result.builds) {
    lines.push(
      `${b.name.padEnd(50)} ${b.vectorsPerS.toFixed(0).padStart(10)} ${b.vectorsPerCpuS.toFixed(0).padStart(10)} ${b.seconds.toFixed(1).padStart(8)} ${(b.flushSeconds?.toFixed(2) ?? '-').padStart(8)} ${String(b.segments ?? 1).padStart(8)}`,
    );
  }
  lines.push(
    '',
    `${'search'.padEnd(30)} ${'ef'.padStart(4)} ${'QPS'.padStart(8)} ${'per CPU s'.padStart(10)} ${'recall@10'.padStart(10)}`,
  );
  for (const s of result.searches) {
    lines.push(
      `${s.name.padEnd(30)} ${String(s.ef).padStart(4)} ${s.qps.toFixed(0).padStart(8)} ${s.qpsPerCpuS.toFixed(0).padStart(10)} ${s.recall.toFixed(4).padStart(10)}`,
    );
  }
  lines.push('', `${'ratio'.padEnd(72)} ${'value'.padStart(6)}  target`);
  for (const r of result.ratios) {
    lines.push(
      `${r.name.padEnd(72)} ${r.value.toFixed(3).padStart(6)}  ≥ ${r.target} ${r.met ? 'met' : 'NOT MET'}`,
    );
  }
  return lines.join('\n');
}

function envInteger(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new Error(`${name} must be a positive integer, got ${value}`);
  return parsed;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stdDev = process.env.BENCH_CLUSTER_STDDEV;
  const result = await runSearchIngestBench(
    {
      vectors: envInteger('BENCH_VECTORS', SEARCH_INGEST_DEFAULTS.vectors),
      dimension: envInteger('BENCH_DIMENSION', SEARCH_INGEST_DEFAULTS.dimension),
      queries: envInteger('BENCH_QUERIES', SEARCH_INGEST_DEFAULTS.queries),
      batchSize: envInteger('BENCH_BATCH', SEARCH_INGEST_DEFAULTS.batchSize),
      seed: envInteger('BENCH_SEED', SEARCH_INGEST_DEFAULTS.seed),
      clusterStdDev:
        stdDev === undefined || stdDev === '' ? SEARCH_INGEST_DEFAULTS.clusterStdDev : Number(stdDev),
    },
    (line) => console.error(line),
  );
  console.log(formatSearchIngestReport(result));
}
