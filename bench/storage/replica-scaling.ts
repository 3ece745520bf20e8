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
 * fraction of that ceiling's.
 *
 * This machine's speed changes by up to half from one second to the next (other tenants of the host;
 * invisible in the process's CPU time), so the processes are started once and the configurations
 * alternate in short windows (alternating-rounds.ts): each round runs raw × 1, replicas × 1, raw × 2,
 * replicas × 2, then the same backwards, 300 ms each; a round's ratio is its two-process windows ÷
 * its one-process windows, and each figure is the median over 50 rounds (one round's ratio spreads
 * from 1.5 to 2.7 here; the median of 50 moves by about ±0.05).
 * Every run also reports the CPU each process used and the searches per CPU-second
 * (search-processes.ts).
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
import { abbaRatio, median } from './alternating-rounds.ts';
import { scalingVectors } from './replica-scaling-data.ts';
import { describeRun, type SearchProcessesRun, SearchProcessGroup, summarise } from './search-processes.ts';

const { HierarchicalNSW } = hnswlib;

export interface ReplicaScalingOptions {
  vectors: number;
  dimension: number;
  /** One timed window: every configuration runs eight per round (see the header). */
  windowMs: number;
  /** Rounds; each figure is the median of the rounds' ratios. */
  rounds: number;
  seed: number;
}

export const REPLICA_SCALING_DEFAULTS: ReplicaScalingOptions = Object.freeze({
  vectors: 20_000,
  dimension: 64,
  windowMs: 300,
  rounds: 50,
  seed: 16,
});

export const REPLICA_SCALING_QUICK: ReplicaScalingOptions = Object.freeze({
  ...REPLICA_SCALING_DEFAULTS,
  vectors: 5_000,
  windowMs: 300,
  rounds: 12,
});

/** Vectors per sealed segment, for the writer and for the ceiling's indexes alike. */
const SEGMENT_VECTORS = 5_000;
const K = 10;
/** Untimed windows of both processes before the rounds (JIT, sockets, caches). */
const WARMUP_MS = 1_000;

export interface ScalingPair {
  /** Every one-process window together. */
  one: SearchProcessesRun;
  /** Every two-process window together. */
  two: SearchProcessesRun;
  /** The median over rounds of two processes' searches per second ÷ one's. */
  ratio: number;
  /** Each round's ratio, in round order. */
  roundRatios: number[];
}

export interface ReplicaScalingResult {
  oneReplicaPerS: number;
  twoReplicasPerS: number;
  /** Median over rounds of two replicas' rate ÷ one's. */
  ratio: number;
  replicas: ScalingPair;
  /** Raw hnswlib-node processes over the same data: what two processes can reach on this machine. */
  ceiling: ScalingPair;
  /** Median over rounds of the round's replicas' ratio ÷ its ceiling's. */
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

/** The windows of one configuration, one round after another: [first, second] per round. */
type Windows = [SearchProcessesRun, SearchProcessesRun][];

function merged(runs: readonly SearchProcessesRun[]): SearchProcessesRun {
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

function pairOf(ones: Windows, twos: Windows): ScalingPair {
  const roundRatios = ones.map((one, i) => {
    const two = twos[i] as Windows[number];
    return abbaRatio({
      a: [one[0].searchesPerS, one[1].searchesPerS],
      b: [two[0].searchesPerS, two[1].searchesPerS],
    });
  });
  return { one: merged(ones.flat()), two: merged(twos.flat()), ratio: median(roundRatios), roundRatios };
}

type Kind = 'ceiling' | 'replicas';
type Groups = Record<Kind, SearchProcessGroup>;
/** Per configuration, index 0: one process; index 1: two processes. */
type RoundRuns = Record<Kind, [Windows, Windows]>;

const LABELS: Record<Kind, string> = { ceiling: 'raw hnswlib', replicas: 'replicas' };
const ROUND_ORDER: readonly (readonly [Kind, 1 | 2])[] = [
  ['ceiling', 1],
  ['replicas', 1],
  ['ceiling', 2],
  ['replicas', 2],
];

/**
 * Runs the rounds: raw × 1, replicas × 1, raw × 2, replicas × 2, then the same backwards, so each
 * configuration's two windows of a round sit symmetrically around the round's middle.
 */
async function runRounds(groups: Groups, options: ReplicaScalingOptions): Promise<RoundRuns> {
  const runs: RoundRuns = { ceiling: [[], []], replicas: [[], []] };
  for (let round = 1; round <= options.rounds; round++) {
    const forward: SearchProcessesRun[] = [];
    for (const [kind, processes] of ROUND_ORDER)
      forward.push(await groups[kind].run(processes, options.windowMs));
    const backward: SearchProcessesRun[] = [];
    for (const [kind, processes] of [...ROUND_ORDER].reverse()) {
      backward.unshift(await groups[kind].run(processes, options.windowMs));
    }
    // forward[i] and backward[i] are the two windows of ROUND_ORDER[i].
    ROUND_ORDER.forEach(([kind, processes], i) => {
      runs[kind][processes - 1]?.push([forward[i] as SearchProcessesRun, backward[i] as SearchProcessesRun]);
    });
  }
  return runs;
}

async function startGroups(
  server: { s3Options: unknown },
  indexPaths: readonly string[],
  options: ReplicaScalingOptions,
): Promise<Groups> {
  const { dimension, seed } = options;
  const ceiling = await SearchProcessGroup.start({
    script: RAW_CHILD,
    args: () => JSON.stringify({ indexPaths, dimension, seed, k: K, ef: COLLECTION_DEFAULTS.hnsw.efSearch }),
    processes: 2,
  });
  try {
    const replicas = await SearchProcessGroup.start({
      script: REPLICA_CHILD,
      args: (index) => JSON.stringify({ s3Options: server.s3Options, dimension, seed, verbose: index === 0 }),
      processes: 2,
      env: CHILD_ENV,
    });
    return { ceiling, replicas };
  } catch (error) {
    await ceiling.stop();
    throw error;
  }
}

export async function runReplicaScaling(
  options: ReplicaScalingOptions,
  log: (line: string) => void = () => undefined,
): Promise<ReplicaScalingResult> {
  const server = await startS3rver({ bucket: 'bench-replicas' });
  const rawDir = await mkdtemp(join(tmpdir(), 'tiervec-bench-raw-hnsw-'));
  let groups: Groups | undefined;
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
    groups = await startGroups(server, indexPaths, options);
    for (const group of Object.values(groups)) await group.run(2, WARMUP_MS);
    log(
      `${options.rounds} rounds of 8 windows of ${options.windowMs} ms (after ${WARMUP_MS} ms untimed per configuration)`,
    );
    const runs = await runRounds(groups, options);
    const replicas = pairOf(...runs.replicas);
    const ceiling = pairOf(...runs.ceiling);
    for (const [kind, pair] of [
      ['ceiling', ceiling],
      ['replicas', replicas],
    ] as const) {
      log(`${LABELS[kind]} × 1, every window: ${describeRun(pair.one)}`);
      log(`${LABELS[kind]} × 2, every window: ${describeRun(pair.two)}`);
    }
    const fractions = replicas.roundRatios.map((ratio, i) => ratio / (ceiling.roundRatios[i] as number));
    return {
      oneReplicaPerS: replicas.one.searchesPerS,
      twoReplicasPerS: replicas.two.searchesPerS,
      ratio: replicas.ratio,
      replicas,
      ceiling,
      ratioOfCeiling: median(fractions),
    };
  } finally {
    if (groups !== undefined) await Promise.all(Object.values(groups).map((group) => group.stop()));
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
  const rounds = (pair: ScalingPair) => pair.roundRatios.map((ratio) => ratio.toFixed(2)).join(', ');
  console.log(
    `ratio (2 replicas / 1, median of rounds ${rounds(result.replicas)}): ${result.ratio.toFixed(2)}× (target ≥ 1.8×)`,
  );
  console.log(
    `ceiling (2 raw hnswlib processes / 1, median of rounds ${rounds(result.ceiling)}): ${result.ceiling.ratio.toFixed(2)}×`,
  );
  console.log(`replicas' ratio ÷ ceiling's: ${result.ratioOfCeiling.toFixed(2)} (target ≥ 0.9)`);
}
