/**
 * Search throughput of read replicas: a writer publishes a collection to s3rver, then one replica
 * process, and then two, search it in a closed loop for the same time. The figure is searches per
 * second over all replicas; two replicas are judged against one (target ≥ 1.8×). Each replica is
 * one process with one event loop, so on a 2-core machine the ratio shows whether replicas share
 * nothing but the bucket; a busy machine lowers it.
 *
 * Run alone: `node --import tsx bench/storage/replica-scaling.ts`.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { startS3rver } from '../../src/object-store/testing/s3rver-process.ts';
import { Rng } from '../../src/random.ts';
import { openStore } from '../../src/storage/store.ts';

export interface ReplicaScalingOptions {
  vectors: number;
  dimension: number;
  durationMs: number;
  seed: number;
}

export const REPLICA_SCALING_DEFAULTS: ReplicaScalingOptions = Object.freeze({
  vectors: 20_000,
  dimension: 64,
  durationMs: 10_000,
  seed: 16,
});

export const REPLICA_SCALING_QUICK: ReplicaScalingOptions = Object.freeze({
  ...REPLICA_SCALING_DEFAULTS,
  vectors: 5_000,
  durationMs: 5_000,
});

export interface ReplicaScalingResult {
  oneReplicaPerS: number;
  twoReplicasPerS: number;
  ratio: number;
}

const CHILD = fileURLToPath(new URL('./replica-scaling-child.ts', import.meta.url));

async function publish(objectStore: S3ObjectStore, options: ReplicaScalingOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tiervec-bench-writer-'));
  try {
    const writer = await openStore({ dir, objectStore, segmentVectorsMax: 5_000, lease: true });
    const collection = await writer.createCollection({ name: 'bench', dimension: options.dimension });
    const rng = new Rng(options.seed);
    for (let from = 0; from < options.vectors; from += 1_000) {
      const docs = Array.from({ length: Math.min(1_000, options.vectors - from) }, (_, i) => ({
        id: `v${from + i}`,
        vector: Float32Array.from({ length: options.dimension }, () => rng.nextFloat(-1, 1)),
      }));
      await collection.insert(docs);
    }
    await collection.flush();
    await writer.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function start(args: string): Promise<ChildProcess> {
  const child = fork(CHILD, [args], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`replica exited with ${code} before it was ready`)));
  });
}

/** Starts `count` replicas, runs them together for `durationMs`, and returns their searches per second. */
async function searchesPerS(count: number, args: string, durationMs: number): Promise<number> {
  const children = await Promise.all(Array.from({ length: count }, () => start(args)));
  try {
    const counts = await Promise.all(
      children.map(
        (child) =>
          new Promise<number>((resolve) => {
            child.once('message', (message: { searches: number }) => resolve(message.searches));
            child.send({ durationMs });
          }),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0) / (durationMs / 1000);
  } finally {
    for (const child of children) child.disconnect();
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  }
}

export async function runReplicaScaling(
  options: ReplicaScalingOptions,
  log: (line: string) => void = () => undefined,
): Promise<ReplicaScalingResult> {
  const server = await startS3rver({ bucket: 'bench-replicas' });
  try {
    const objectStore = new S3ObjectStore(server.s3Options);
    log(`publishing ${options.vectors} × ${options.dimension} to s3rver`);
    await publish(objectStore, options);
    await objectStore.close();
    const args = JSON.stringify({
      s3Options: server.s3Options,
      dimension: options.dimension,
      seed: options.seed,
    });
    const oneReplicaPerS = await searchesPerS(1, args, options.durationMs);
    log(`1 replica: ${oneReplicaPerS.toFixed(0)} searches/s`);
    const twoReplicasPerS = await searchesPerS(2, args, options.durationMs);
    log(`2 replicas: ${twoReplicasPerS.toFixed(0)} searches/s`);
    return { oneReplicaPerS, twoReplicasPerS, ratio: twoReplicasPerS / oneReplicaPerS };
  } finally {
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
}
