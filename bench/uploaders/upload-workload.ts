/**
 * What the uploads suite uploads and where: seeded documents, the one-document objects of the
 * sequential baseline and of the ParallelUploader tasks, a fresh mock store per measurement, the
 * dead-letter directory the uploaders require, and the best time the simulated latency allows.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/clock.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import { Rng } from '../../src/random.ts';
import { encodeBatchRecords } from '../../src/uploaders/batch-codec.ts';
import { type BatchDocument, toBatchRecord } from '../../src/uploaders/batch-document.ts';
import { lazy } from '../runner/lazy.ts';

/**
 * The mock on real time (latency must really pass: these are throughput figures), without rate
 * limits (the bound below has none) and without a call history (it would grow with every request).
 */
export function benchStore(latencyMs: number): MockS3ObjectStore {
  return new MockS3ObjectStore({
    seed: 1,
    clock: systemClock,
    latency: { fixedMs: latencyMs, jitterMs: 0 },
    rateLimit: false,
    callHistoryMax: 0,
  });
}

/** `count` documents of `dimension` seeded floats with a little metadata, the same on every run. */
export function benchDocuments(count: number, dimension: number, seed = 7): BatchDocument[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const vector = new Float32Array(dimension);
    for (let d = 0; d < dimension; d++) vector[d] = rng.nextGaussian();
    return { id: `doc-${i}`, vector, metadata: { source: 'bench', i } };
  });
}

/** One document as its own object, in the same Arrow format a batch uses. */
export function encodeSingle(doc: BatchDocument, dimension: number): Uint8Array {
  return encodeBatchRecords([toBatchRecord(doc, dimension)]);
}

/** The directory the uploaders keep dead letters in; none are expected against a healthy mock. */
export function deadLetterDirectory() {
  return lazy(
    () => mkdtemp(path.join(os.tmpdir(), 'tiervec-bench-dlq-')),
    (dir) => rm(dir, { recursive: true, force: true }),
  );
}

/**
 * The best rate in documents/s when `docs` documents go out as objects of `docsPerObject`, at most
 * `concurrency` requests in flight, each taking `latencyMs` and nothing else costing time: all
 * objects in ⌈objects ÷ concurrency⌉ rounds of one latency each. When the numbers divide evenly this
 * is concurrency × docsPerObject ÷ latency.
 */
export function latencyBoundDocsPerS(
  docs: number,
  docsPerObject: number,
  concurrency: number,
  latencyMs: number,
): number {
  const objects = Math.ceil(docs / docsPerObject);
  const rounds = Math.ceil(objects / concurrency);
  return docs / ((rounds * latencyMs) / 1000);
}
