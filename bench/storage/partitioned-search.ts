/**
 * What the partitioned layout buys: a clustered collection partitioned by compaction, searched at the
 * default `nprobe`, behind a mock S3 with 60 ms per request, on the real clock.
 *
 * - recall@10 at the default nprobe against exact search, for queries drawn from the data's clusters
 *   and for uniform queries away from them;
 * - warm-cache search p50 / p99: every partition on local disk, a hot budget of 10 % of the data, so
 *   searches promote the probed partitions from disk and the LRU policy demotes others;
 * - cold search p50 / p99 and GETs per cold search: before each timed search every segment is sent
 *   cold (files only in the object store), so the search downloads the partitions it probes;
 * - routing index memory against the raw vector bytes;
 * - everything hot (pinned): QPS against raw hnswlib-node on one index over the same data at equal
 *   recall, in the same process, alternating rounds (`all-hot-vs-hnswlib.ts`).
 *
 * Run: `npx tsx bench/storage/partitioned-search.ts`; PARTITION_BENCH_QUICK=1 for the quick size.
 * Sizes with PARTITION_BENCH_VECTORS, PARTITION_BENCH_DIMENSION, PARTITION_BENCH_SEED;
 * PARTITION_BENCH_ALL_HOT=0 skips the raw hnswlib comparison; PARTITION_BENCH_PROFILE_WARM=file.cpuprofile
 * profiles the timed warm-cache searches. The functions
 * are exported for the bench runner.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VectorGenerator } from '../../src/datasets/vector-generator.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import type { Collection } from '../../src/storage/collection.ts';
import { PARTITION_DEFAULTS } from '../../src/storage/partition/partition-defaults.ts';
import { openStore } from '../../src/storage/store.ts';
import { type AllHotResult, compareAllHot } from './all-hot-vs-hnswlib.ts';
import { profiled } from './cpu-profile.ts';

export interface PartitionBenchOptions {
  vectors: number;
  dimension: number;
  /** Rows per sealed segment before partitioning. */
  segmentVectorsMax: number;
  targetPartitionRows: number;
  queries: number;
  coldQueries: number;
  latencyMs: number;
  seed: number;
  /** Also compare everything hot with raw hnswlib-node (builds a second index over the data). */
  allHot: boolean;
}

export const PARTITION_BENCH_DEFAULTS: Readonly<PartitionBenchOptions> = Object.freeze({
  vectors: 1_000_000,
  dimension: 128,
  segmentVectorsMax: 20_000,
  targetPartitionRows: 2_000,
  queries: 200,
  coldQueries: 20,
  latencyMs: 60,
  seed: 42,
  allHot: true,
});

/** The quick size: 200k × 128. */
export const PARTITION_BENCH_QUICK: Readonly<PartitionBenchOptions> = Object.freeze({
  ...PARTITION_BENCH_DEFAULTS,
  vectors: 200_000,
  queries: 100,
  coldQueries: 20,
});

export interface PartitionBenchResult {
  options: PartitionBenchOptions;
  partitions: number;
  buildS: number;
  partitionS: number;
  recallNear: number;
  recallAway: number;
  /** Latency, and partitions read and skipped (by their bound) per search. */
  warmMs: { p50: number; p99: number; partitionsRead: number; partitionsSkipped: number };
  coldMs: { p50: number; p99: number; partitionsRead: number; partitionsSkipped: number };
  getsPerColdSearch: number;
  routingBytes: number;
  rawVectorBytes: number;
  /** Hot segments and bytes after the warm-cache searches (the budget is 10 % of the vectors). */
  hotAfterWarm: { segments: number; bytes: number };
  /** Undefined when the comparison was skipped (`allHot: false`). */
  allHot: AllHotResult | undefined;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] as number;
}

async function recall(
  docs: Collection,
  queries: readonly Float32Array[],
): Promise<{ recall: number; truth: string[][] }> {
  let found = 0;
  const truth: string[][] = [];
  for (const q of queries) {
    const exact = (await docs.search(q, { k: 10, exact: true })).map((h) => h.id);
    truth.push(exact);
    const expected = new Set(exact);
    found += (await docs.search(q, { k: 10 })).filter((h) => expected.has(h.id)).length;
  }
  return { recall: found / (queries.length * 10), truth };
}

async function timedSearches(
  docs: Collection,
  queries: readonly Float32Array[],
  before?: () => Promise<unknown>,
) {
  const ms: number[] = [];
  const counts = () => docs.stats().searches;
  const { partitionsProbed, partitionsSkipped } = counts();
  for (const q of queries) {
    await before?.();
    const started = performance.now();
    await docs.search(q, { k: 10 });
    ms.push(performance.now() - started);
  }
  const after = counts();
  return {
    p50: percentile(ms, 0.5),
    p99: percentile(ms, 0.99),
    partitionsRead: (after.partitionsProbed - partitionsProbed) / queries.length,
    partitionsSkipped: (after.partitionsSkipped - partitionsSkipped) / queries.length,
  };
}

export async function runPartitionBench(
  options: PartitionBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<PartitionBenchResult> {
  const root = await mkdtemp(join(tmpdir(), 'tiervec-bench-partition-'));
  const objectStore = new MockS3ObjectStore({
    seed: options.seed,
    latency: { fixedMs: options.latencyMs },
    rateLimit: false,
  });
  const rawVectorBytes = options.vectors * options.dimension * 4;
  const store = await openStore({
    dir: root,
    objectStore,
    durability: 'buffered',
    segmentVectorsMax: options.segmentVectorsMax,
    tiering: { hotBytesMax: Math.round(rawVectorBytes * 0.1) },
  });
  try {
    const docs = await store.createCollection({
      name: 'bench',
      dimension: options.dimension,
      metric: 'cosine',
    });
    const generator = new VectorGenerator({ seed: options.seed, dimension: options.dimension });
    log(`building ${options.vectors} × ${options.dimension} clustered…`);
    let started = performance.now();
    for (let from = 0; from < options.vectors; from += 5_000) {
      const count = Math.min(5_000, options.vectors - from);
      const batch = Array.from({ length: count }, (_, k) => ({
        id: `v${from + k}`,
        vector: generator.next(),
      }));
      await docs.insert(batch);
    }
    await docs.flush();
    const buildS = (performance.now() - started) / 1_000;
    log('partitioning (compaction)…');
    started = performance.now();
    await docs.compact({ partitionRowsMin: 2, targetPartitionRows: options.targetPartitionRows });
    const partitionS = (performance.now() - started) / 1_000;
    await docs.publish();
    const near = generator.take(options.queries);
    const away = new VectorGenerator({
      seed: options.seed + 1,
      dimension: options.dimension,
      distribution: 'uniform',
    }).take(Math.min(50, options.queries));
    log('recall…');
    const { recall: recallNear, truth } = await recall(docs, near);
    const { recall: recallAway } = await recall(docs, away);
    log('warm-cache searches…');
    await docs.setTier('warm');
    await timedSearches(docs, near.slice(0, 10));
    const warmMs = await profiled(process.env.PARTITION_BENCH_PROFILE_WARM, () => timedSearches(docs, near));
    const hotAfterWarm = docs.stats().tiers.hot;
    log('cold searches…');
    const getsBefore = objectStore.stats().byOperation.get.requests;
    const coldQueries = near.slice(0, options.coldQueries);
    let getsDuringSetTier = 0;
    const coldMs = await timedSearches(docs, coldQueries, async () => {
      const before = objectStore.stats().byOperation.get.requests;
      await docs.setTier('cold');
      getsDuringSetTier += objectStore.stats().byOperation.get.requests - before;
    });
    const gets = objectStore.stats().byOperation.get.requests - getsBefore - getsDuringSetTier;
    const stats = docs.stats();
    const allHot = options.allHot
      ? await compareAllHot(
          {
            docs,
            vectors: options.vectors,
            dimension: options.dimension,
            seed: options.seed,
            queries: near,
            truth,
          },
          log,
        )
      : undefined;
    return {
      options,
      partitions: stats.partitions.count,
      buildS,
      partitionS,
      recallNear,
      recallAway,
      warmMs,
      coldMs,
      getsPerColdSearch: gets / coldQueries.length,
      routingBytes: stats.partitions.routingBytes,
      rawVectorBytes,
      hotAfterWarm: { segments: hotAfterWarm.segments, bytes: hotAfterWarm.bytes },
      allHot,
    };
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
}

export function formatPartitionReport(r: PartitionBenchResult): string {
  const o = r.options;
  const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  return [
    `partitioned search: ${o.vectors} × ${o.dimension} cosine clustered, ${r.partitions} partitions (target ${o.targetPartitionRows} rows), nprobe ${PARTITION_DEFAULTS.nprobe}, hot budget 10 % of the vectors, mock S3 at ${o.latencyMs} ms per request, seed ${o.seed}`,
    `build (insert, seal) ${r.buildS.toFixed(1)} s; partitioning compaction ${r.partitionS.toFixed(1)} s`,
    `recall@10, clustered queries            ${r.recallNear.toFixed(3)}`,
    `recall@10, queries away from clusters   ${r.recallAway.toFixed(3)}`,
    `warm-cache search p50 / p99             ${ms(r.warmMs.p50)} / ${ms(r.warmMs.p99)} (partitions read ${r.warmMs.partitionsRead.toFixed(2)}, skipped by their bound ${r.warmMs.partitionsSkipped.toFixed(2)} per search)`,
    `cold search p50 / p99                   ${ms(r.coldMs.p50)} / ${ms(r.coldMs.p99)} (partitions read ${r.coldMs.partitionsRead.toFixed(2)} per search)`,
    `GETs per cold search                    ${r.getsPerColdSearch.toFixed(1)} (limit 2 × nprobe + 2 = ${2 * PARTITION_DEFAULTS.nprobe + 2})`,
    `routing index memory                    ${r.routingBytes} B = ${((100 * r.routingBytes) / r.rawVectorBytes).toFixed(3)} % of the raw vectors`,
    `hot after the warm searches             ${r.hotAfterWarm.segments} segments, ${(r.hotAfterWarm.bytes / 2 ** 20).toFixed(1)} MiB (budget ${((r.rawVectorBytes * 0.1) / 2 ** 20).toFixed(1)} MiB)`,
    ...(r.allHot === undefined
      ? []
      : [
          `all hot: tiervec ${r.allHot.tiervecQps.toFixed(0)} QPS (recall ${r.allHot.tiervecRecall.toFixed(3)}) vs raw hnswlib at equal recall (interpolated between ef steps): ratio ${r.allHot.ratio.toFixed(2)} (target ≥ 0.9); raw index built in ${r.allHot.rawBuildS.toFixed(1)} s; ${r.allHot.rounds} alternating rounds of ${r.options.queries} queries`,
          `  against raw hnswlib ${r.allHot.rawQps.toFixed(0)} QPS at ef ${r.allHot.rawEf} (recall ${r.allHot.rawRecall.toFixed(3)}, the first step reaching tiervec's): ratio ${r.allHot.ratioAtRawEf.toFixed(2)}`,
          ...(r.allHot.belowRaw === undefined
            ? []
            : [
                `  against raw hnswlib one ef step lower (ef ${r.allHot.belowRaw.ef}, recall ${r.allHot.belowRaw.recall.toFixed(3)}, under tiervec's): ratio ${r.allHot.belowRaw.ratio.toFixed(2)}`,
              ]),
        ]),
  ].join('\n');
}

function envInteger(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`${name} must be a positive integer, got ${value}`);
  return parsed;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const base = process.env.PARTITION_BENCH_QUICK === '1' ? PARTITION_BENCH_QUICK : PARTITION_BENCH_DEFAULTS;
  const result = await runPartitionBench(
    {
      ...base,
      vectors: envInteger('PARTITION_BENCH_VECTORS', base.vectors),
      dimension: envInteger('PARTITION_BENCH_DIMENSION', base.dimension),
      seed: envInteger('PARTITION_BENCH_SEED', base.seed),
      allHot: process.env.PARTITION_BENCH_ALL_HOT !== '0',
    },
    (line) => console.error(line),
  );
  console.log(formatPartitionReport(result));
}
