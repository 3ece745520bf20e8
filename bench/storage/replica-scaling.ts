/**
 * Search throughput of read replicas: a writer publishes a collection to s3rver, then one replica
 * process, and then two, search it in a closed loop for the same time. The figure is searches per
 * second over all replicas; two replicas are judged against one (target ≥ 1.8×). Each replica is
 * one process with one event loop, so on a 2-core machine the ratio shows whether replicas share
 * nothing but the bucket; a busy machine lowers it.
 *
 * Beside it, the hardware ceiling: one and then two plain processes searching raw hnswlib-node
 * indexes over the same vectors (split as the segments are, same M, efConstruction and ef), with
 * the same queries, for the same time. Two processes on two cores that share caches and memory
 * bandwidth may not reach 2× even with no software in common; the replicas' ratio is reported as a
 * fraction of that ceiling's. The two are measured in alternating rounds (ceiling-1, replicas-1,
 * ceiling-2, replicas-2, repeated) so machine load hits both alike. Every run also reports the CPU
 * each process used and the searches per CPU-second (search-processes.ts).
 *
 * Run alone: `node --import tsx bench/storage/replica-scaling.ts`.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import hnswlib from 'hnswlib-node';
import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { startS3rver } from '../../src/object-store/testing/s3rver-process.ts';
import { COLLECTION_DEFAULTS } from '../../src/storage/collection-spec.ts';
import { openStore } from '../../src/storage/store.ts';
import { scalingVectors } from './replica-scaling-data.ts';
import { describeRun, runSearchProcesses, type SearchProcessesRun, summarise } from './search-processes.ts';

const { HierarchicalNSW } = hnswlib;

export interface ReplicaScalingOptions {
  vectors: number;
  dimension: number;
  durationMs: number;
  /** Rounds of ceiling-1, replicas-1, ceiling-2, replicas-2; each figure is the mean over rounds. */
  rounds: number;
  seed: number;
}

export const REPLICA_SCALING_DEFAULTS: ReplicaScalingOptions = Object.freeze({
  vectors: 20_000,
  dimension: 64,
  durationMs: 10_000,
  rounds: 2,
  seed: 16,
});

export const REPLICA_SCALING_QUICK: ReplicaScalingOptions = Object.freeze({
  ...REPLICA_SCALING_DEFAULTS,
  vectors: 5_000,
  durationMs: 5_000,
  rounds: 1,
});

/** Vectors per sealed segment, for the writer and for the ceiling's indexes alike. */
const SEGMENT_VECTORS = 5_000;
const K = 10;

export interface ScalingPair {
  one: SearchProcessesRun;
  two: SearchProcessesRun;
  /** Two processes' searches per second ÷ one's (means over rounds). */
  ratio: number;
  /** The same ratio in each round. */
  roundRatios: number[];
}

export interface ReplicaScalingResult {
  oneReplicaPerS: number;
  twoReplicasPerS: number;
  ratio: number;
  replicas: ScalingPair;
  /** Raw hnswlib-node processes over the same data: what two processes can reach on this machine. */
  ceiling: ScalingPair;
  /** The replicas' ratio ÷ the ceiling's. */
  ratioOfCeiling: number;
}

const REPLICA_CHILD = fileURLToPath(new URL('./replica-scaling-child.ts', import.meta.url));
const RAW_CHILD = fileURLToPath(new URL('./raw-hnsw-child.ts', import.meta.url));
const CHILD_ENV = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

async function publish(
  objectStore: S3ObjectStore,
  vectors: readonly Float32Array[],
  dimension: number,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tiervec-bench-writer-'));
  try {
    const writer = await openStore({ dir, objectStore, segmentVectorsMax: SEGMENT_VECTORS, lease: true });
    const collection = await writer.createCollection({ name: 'bench', dimension });
    for (let from = 0; from < vectors.length; from += 1_000) {
      const docs = vectors.slice(from, from + 1_000).map((vector, i) => ({ id: `v${from + i}`, vector }));
      await collection.insert(docs);
    }
    await collection.flush();
    await writer.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Builds one raw hnswlib index per segment's worth of vectors and writes them under `dir`. */
function buildRawIndexes(vectors: readonly Float32Array[], dimension: number, dir: string): string[] {
  const { m, efConstruction } = COLLECTION_DEFAULTS.hnsw;
  const paths: string[] = [];
  for (let from = 0; from < vectors.length; from += SEGMENT_VECTORS) {
    const slice = vectors.slice(from, from + SEGMENT_VECTORS);
    const index = new HierarchicalNSW('cosine', dimension);
    index.initIndex(slice.length, m, efConstruction, paths.length + 1, false);
    slice.forEach((vector, label) => {
      index.addPoint(Array.from(vector), label);
    });
    const path = join(dir, `segment-${paths.length}.hnsw`);
    index.writeIndexSync(path);
    paths.push(path);
  }
  return paths;
}

function meanRun(runs: readonly SearchProcessesRun[]): SearchProcessesRun {
  const mean = (pick: (run: SearchProcessesRun) => number) =>
    runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
  return {
    processes: runs[0]?.processes ?? 0,
    searchesPerS: mean((run) => run.searchesPerS),
    cpuPerSPerProcess: mean((run) => run.cpuPerSPerProcess),
    searchesPerCpuS: summarise(runs.flatMap((run) => run.samples)).searchesPerCpuS,
    samples: runs.flatMap((run) => run.samples),
  };
}

function pairOf(ones: readonly SearchProcessesRun[], twos: readonly SearchProcessesRun[]): ScalingPair {
  const one = meanRun(ones);
  const two = meanRun(twos);
  const roundRatios = ones.map((run, i) => (twos[i] as SearchProcessesRun).searchesPerS / run.searchesPerS);
  return { one, two, ratio: two.searchesPerS / one.searchesPerS, roundRatios };
}

interface RoundArgs {
  replicaArgs: (verbose: boolean) => string;
  rawArgs: string;
  durationMs: number;
}

interface RoundRuns {
  /** Index 0: one process per round; index 1: two processes per round. */
  ceiling: [SearchProcessesRun[], SearchProcessesRun[]];
  replicas: [SearchProcessesRun[], SearchProcessesRun[]];
}

/** Runs the rounds in alternation and returns each configuration's runs, in round order. */
async function runRounds(args: RoundArgs, rounds: number, log: (line: string) => void): Promise<RoundRuns> {
  const runs: RoundRuns = { ceiling: [[], []], replicas: [[], []] };
  for (let round = 1; round <= rounds; round++) {
    for (const processes of [1, 2] as const) {
      const ceiling = await runSearchProcesses({
        script: RAW_CHILD,
        args: args.rawArgs,
        processes,
        durationMs: args.durationMs,
      });
      log(`round ${round}, raw hnswlib × ${processes}: ${describeRun(ceiling)}`);
      const verbose = round === 1 && processes === 1;
      const replicas = await runSearchProcesses({
        script: REPLICA_CHILD,
        args: args.replicaArgs(verbose),
        processes,
        durationMs: args.durationMs,
        env: CHILD_ENV,
      });
      log(`round ${round}, ${processes} replica${processes === 1 ? '' : 's'}: ${describeRun(replicas)}`);
      runs.ceiling[processes - 1]?.push(ceiling);
      runs.replicas[processes - 1]?.push(replicas);
    }
  }
  return runs;
}

export async function runReplicaScaling(
  options: ReplicaScalingOptions,
  log: (line: string) => void = () => undefined,
): Promise<ReplicaScalingResult> {
  const server = await startS3rver({ bucket: 'bench-replicas' });
  const rawDir = await mkdtemp(join(tmpdir(), 'tiervec-bench-raw-hnsw-'));
  try {
    const vectors = scalingVectors(options.vectors, options.dimension, options.seed);
    const objectStore = new S3ObjectStore(server.s3Options);
    log(`publishing ${options.vectors} × ${options.dimension} to s3rver`);
    await publish(objectStore, vectors, options.dimension);
    await objectStore.close();
    const startedMs = performance.now();
    const indexPaths = buildRawIndexes(vectors, options.dimension, rawDir);
    log(
      `raw hnswlib: ${indexPaths.length} indexes built in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`,
    );
    const { dimension, seed, durationMs } = options;
    const runs = await runRounds(
      {
        replicaArgs: (verbose) => JSON.stringify({ s3Options: server.s3Options, dimension, seed, verbose }),
        rawArgs: JSON.stringify({ indexPaths, dimension, seed, k: K, ef: COLLECTION_DEFAULTS.hnsw.efSearch }),
        durationMs,
      },
      options.rounds,
      log,
    );
    const replicas = pairOf(...runs.replicas);
    const ceiling = pairOf(...runs.ceiling);
    return {
      oneReplicaPerS: replicas.one.searchesPerS,
      twoReplicasPerS: replicas.two.searchesPerS,
      ratio: replicas.ratio,
      replicas,
      ceiling,
      ratioOfCeiling: replicas.ratio / ceiling.ratio,
    };
  } finally {
    await rm(rawDir, { recursive: true, force: true });
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.env.REPLICA_BENCH_QUICK === '1';
  const result = await runReplicaScaling(
    quick ? REPLICA_SCALING_QUICK : REPLICA_SCALING_DEFAULTS,
    console.log,
  );
  console.log(`ratio (2 replicas / 1): ${result.ratio.toFixed(2)}× (target ≥ 1.8×)`);
  console.log(`ceiling (2 raw hnswlib processes / 1): ${result.ceiling.ratio.toFixed(2)}×`);
  console.log(`replicas' ratio ÷ ceiling's: ${result.ratioOfCeiling.toFixed(2)} (target ≥ 0.9)`);
}
