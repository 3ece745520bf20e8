/**
 * Builds an HNSW index file on a worker thread: compaction hands it the new segment's vectors and
 * gets back a file at `path`, which it then reads like any sealed segment's index (hnswlib reads on
 * its own thread too). The graph is what `SegmentMemory` would build in-process (same parameters,
 * seed and insertion order), but the event loop never runs the build: foreground operations wait
 * for nothing, and on two cores the build runs beside them instead of between them.
 *
 * One worker serves the process, started on first use and unref'd while idle, so it never keeps a
 * process alive. Its code is a string evaluated in the worker (it loads hnswlib-node from the path
 * this module resolves), so it runs the same from sources, from dist/ and under test runners. It
 * writes only the file it is asked for; a failure rejects that build and leaves the worker usable.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { HnswBuildParams } from './hnsw-index.ts';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { HierarchicalNSW } = require(workerData.hnswlibPath);
parentPort.on('message', (job) => {
  try {
    const { params, vectors, rows, path } = job;
    const index = new HierarchicalNSW(params.metric, params.dimension);
    index.initIndex(Math.max(1, rows), params.m, params.efConstruction, params.seed, false);
    const d = params.dimension;
    for (let row = 0; row < rows; row++) index.addPoint(Array.from(vectors.subarray(row * d, row * d + d)), row);
    index.writeIndexSync(path);
    // hnswlib reports no failure to open the file: check that it is there.
    require('node:fs').statSync(path);
    parentPort.postMessage({ id: job.id, ok: true });
  } catch (error) {
    parentPort.postMessage({ id: job.id, ok: false, message: String(error && error.message || error) });
  }
});
`;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly message?: string;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

function settle(reply: Reply): void {
  const job = pending.get(reply.id);
  if (job === undefined) return;
  pending.delete(reply.id);
  if (pending.size === 0) worker?.unref();
  if (reply.ok) job.resolve();
  else job.reject(new Error(`Building an HNSW index on the worker thread failed: ${reply.message}`));
}

function failAll(error: Error): void {
  worker = undefined;
  for (const job of pending.values()) job.reject(error);
  pending.clear();
}

function started(): Worker {
  if (worker !== undefined) return worker;
  const hnswlibPath = createRequire(import.meta.url).resolve('hnswlib-node');
  const created = new Worker(WORKER_SOURCE, { eval: true, workerData: { hnswlibPath } });
  created.on('message', settle);
  created.on('error', (error) => failAll(error));
  created.on('exit', (code) => failAll(new Error(`The HNSW build thread exited (code ${code})`)));
  created.unref();
  worker = created;
  return created;
}

/**
 * Builds the index of `rows` vectors (row-major, `params.dimension` each; labels 0..rows − 1) and
 * writes it to `path`. `vectors` is copied to the worker; the caller keeps its array.
 */
export function buildIndexFile(
  params: HnswBuildParams,
  vectors: Float32Array,
  rows: number,
  path: string,
): Promise<void> {
  const thread = started();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    thread.ref();
    const copy = vectors.slice(0, rows * params.dimension);
    thread.postMessage({ id, params: { ...params }, vectors: copy, rows, path }, [copy.buffer]);
  });
}
