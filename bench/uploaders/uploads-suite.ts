/**
 * Uploads: how many documents per second reach the (mock) object store, against the mock with zero
 * latency (CPU cost) and with simulated latency (what batching and concurrency buy).
 *
 * - `sequential-n<N>`: each document encoded as its own object and PUT, one after another: the
 *   baseline every other task is a ratio of.
 * - `batch-n<N>-b<B>`: the same N documents through a BatchUploader (batch size B, one upload in
 *   flight), so the ratio shows what batching alone buys.
 * - `put-o<O>` and `parallel-o<O>-c<C>`: O one-document objects PUT one after another, then through a
 *   ParallelUploader (`enqueue` + `flushAllParallel`) with C in flight.
 * - `batch-parallel-b<B>-c<C>`: a BatchUploader of batch size B over C uploads in flight, fed
 *   `rounds × C × B` documents; this is the production path, and carries the targets: at least 80% of
 *   the bound C × B ÷ latency, and at least 100× the sequential single-document rate.
 *
 * Every task with latency carries its bound: the rate the simulated latency allows when nothing else
 * costs time (see `latencyBoundDocsPerS`). Each measurement uses a fresh store and, for the batch
 * tasks, a fresh BatchUploader (built before the timed window, closed after it); a task fails if any
 * document is not durable when it ends.
 */

import type { BatchDocument } from '../../src/uploaders/batch-document.ts';
import { BatchUploader } from '../../src/uploaders/batch-uploader.ts';
import { ParallelUploader } from '../../src/uploaders/parallel-uploader.ts';
import type { BenchMode, TargetSpec, TimedTask } from '../runner/bench-suite.ts';
import { defineSuite } from '../runner/bench-suite.ts';
import type { Lazy } from '../runner/lazy.ts';
import {
  benchDocuments,
  benchStore,
  deadLetterDirectory,
  encodeSingle,
  latencyBoundDocsPerS,
} from './upload-workload.ts';

export interface CombinedCase {
  readonly batchSizeMax: number;
  readonly concurrencyMax: number;
  /** Rounds of `concurrencyMax` full batches fed per measurement. */
  readonly rounds: number;
}

export interface UploadsBenchSize {
  readonly latenciesMs: readonly number[];
  readonly sequentialDocs: readonly number[];
  readonly batchSizes: readonly number[];
  readonly parallelObjects: readonly number[];
  readonly concurrencies: readonly number[];
  readonly combined: readonly CombinedCase[];
  /** Documents of the sequential task the combined tasks are a ratio of (one of `sequentialDocs`). */
  readonly combinedBaselineDocs: number;
  readonly dimension: number;
  /** Measured time to aim for per task when each iteration is slow (latency-bound), in ms. */
  readonly slowTaskBudgetMs: number;
  readonly slowTaskIterationsMin: number;
}

const COMBINED_TARGETS: readonly TargetSpec[] = [
  {
    description: 'batch+parallel reaches ≥ 80% of concurrency × batch size ÷ latency',
    of: 'bound',
    ratioMin: 0.8,
  },
  {
    description: 'batch+parallel is ≥ 100× the sequential single-document rate',
    of: 'baseline',
    ratioMin: 100,
  },
];

const SIZES: Record<BenchMode, UploadsBenchSize> = {
  quick: {
    latenciesMs: [0, 10],
    sequentialDocs: [100],
    batchSizes: [10, 50],
    parallelObjects: [100],
    concurrencies: [1, 10, 50],
    combined: [
      { batchSizeMax: 20, concurrencyMax: 10, rounds: 10 },
      { batchSizeMax: 50, concurrencyMax: 10, rounds: 10 },
      { batchSizeMax: 50, concurrencyMax: 50, rounds: 5 },
    ],
    combinedBaselineDocs: 100,
    dimension: 128,
    slowTaskBudgetMs: 300,
    slowTaskIterationsMin: 2,
  },
  full: {
    latenciesMs: [0, 10],
    sequentialDocs: [10, 50, 100, 500],
    batchSizes: [5, 10, 20, 50],
    parallelObjects: [100, 500, 1000],
    concurrencies: [1, 5, 10, 20, 50],
    combined: [
      { batchSizeMax: 10, concurrencyMax: 10, rounds: 20 },
      { batchSizeMax: 20, concurrencyMax: 10, rounds: 20 },
      { batchSizeMax: 50, concurrencyMax: 10, rounds: 20 },
      { batchSizeMax: 20, concurrencyMax: 50, rounds: 20 },
      { batchSizeMax: 50, concurrencyMax: 50, rounds: 20 },
    ],
    combinedBaselineDocs: 100,
    dimension: 128,
    slowTaskBudgetMs: 2000,
    slowTaskIterationsMin: 3,
  },
};

interface TaskContext {
  readonly size: UploadsBenchSize;
  readonly latencyMs: number;
  readonly deadLetters: Lazy<string>;
  readonly prefix: string;
}

/**
 * Budgets: with latency an iteration lasts at least `expectedMs`, so ask for a fixed number of
 * iterations worth about `slowTaskBudgetMs`; without latency the mode's time budget applies.
 */
function timing(context: TaskContext, docs: number, docsPerS: number | undefined) {
  if (docsPerS === undefined) return {};
  const expectedMs = (docs / docsPerS) * 1000;
  const iterations = Math.ceil(context.size.slowTaskBudgetMs / expectedMs);
  return {
    timeMs: 0,
    iterationsMin: Math.min(50, Math.max(context.size.slowTaskIterationsMin, iterations)),
    warmupTimeMs: 0,
    warmupIterationsMin: 1,
  };
}

function boundFor(context: TaskContext, docs: number, docsPerObject: number, concurrency: number) {
  if (context.latencyMs === 0) return undefined;
  return {
    value: latencyBoundDocsPerS(docs, docsPerObject, concurrency, context.latencyMs),
    description: `${concurrency} in flight × ${docsPerObject} docs per object ÷ ${context.latencyMs} ms`,
  };
}

function sequentialTask(context: TaskContext, docs: number): TimedTask {
  const { latencyMs, size } = context;
  let store = benchStore(latencyMs);
  let documents: BatchDocument[] = [];
  const bound = boundFor(context, docs, 1, 1);
  return {
    kind: 'timed',
    name: `${context.prefix}sequential-n${docs}`,
    unit: 'docs/s',
    unitsPerOp: docs,
    ...(bound === undefined ? {} : { bound }),
    ...timing(context, docs, bound?.value),
    setup: () => {
      documents = benchDocuments(docs, size.dimension);
    },
    beforeEach: () => {
      store = benchStore(latencyMs);
    },
    fn: async () => {
      for (let i = 0; i < documents.length; i++) {
        await store.put(`seq/${i}`, encodeSingle(documents[i] as BatchDocument, size.dimension));
      }
    },
  };
}

/** A BatchUploader task: `docs` documents added at once, resolved when every one is durable. */
function batchTask(
  context: TaskContext,
  name: string,
  docs: number,
  batchSizeMax: number,
  concurrencyMax: number,
  extra: Partial<TimedTask>,
): TimedTask {
  const { latencyMs, size } = context;
  let documents: BatchDocument[] = [];
  let uploader: BatchUploader | undefined;
  const bound = boundFor(context, docs, batchSizeMax, concurrencyMax);
  const closePrevious = async () => {
    await uploader?.close();
    uploader = undefined;
  };
  return {
    kind: 'timed',
    name,
    unit: 'docs/s',
    unitsPerOp: docs,
    ...(bound === undefined ? {} : { bound }),
    ...timing(context, docs, bound?.value),
    ...extra,
    setup: () => {
      documents = benchDocuments(docs, size.dimension);
    },
    beforeEach: async () => {
      await closePrevious();
      uploader = new BatchUploader({
        objectStore: benchStore(latencyMs),
        deadLetterDir: await context.deadLetters.get(),
        dimension: size.dimension,
        batchSizeMax,
        // The burst is added in one tick; a partial last batch is sealed on the next turn of the loop.
        waitMsMax: 0,
        pendingDocsMax: Math.max(docs, batchSizeMax),
        concurrencyMax,
        seed: 1,
        // A fresh store per measurement: start at batch 0 rather than list the store for the last one.
        objectKey: (collection, seq) => `${collection}/${String(seq).padStart(20, '0')}.arrow`,
        firstSeq: () => 0,
      });
    },
    teardown: closePrevious,
    fn: async () => {
      const batches = uploader as BatchUploader;
      await Promise.all(documents.map((doc) => batches.add('bench', doc)));
    },
  };
}

function parallelTasks(context: TaskContext, objects: number): TimedTask[] {
  const { latencyMs, size } = context;
  let bodies: Uint8Array[] = [];
  const setup = () => {
    bodies = benchDocuments(objects, size.dimension).map((doc) => encodeSingle(doc, size.dimension));
  };
  const baselineName = `${context.prefix}put-o${objects}`;
  const sequentialBound = boundFor(context, objects, 1, 1);
  let store = benchStore(latencyMs);
  const tasks: TimedTask[] = [
    {
      kind: 'timed',
      name: baselineName,
      unit: 'docs/s',
      unitsPerOp: objects,
      ...(sequentialBound === undefined ? {} : { bound: sequentialBound }),
      ...timing(context, objects, sequentialBound?.value),
      setup,
      beforeEach: () => {
        store = benchStore(latencyMs);
      },
      fn: async () => {
        for (let i = 0; i < bodies.length; i++) await store.put(`obj/${i}`, bodies[i] as Uint8Array);
      },
    },
  ];
  for (const concurrencyMax of size.concurrencies) {
    let uploader: ParallelUploader | undefined;
    const bound = boundFor(context, objects, 1, concurrencyMax);
    tasks.push({
      kind: 'timed',
      name: `${context.prefix}parallel-o${objects}-c${concurrencyMax}`,
      unit: 'docs/s',
      unitsPerOp: objects,
      baseline: baselineName,
      ...(bound === undefined ? {} : { bound }),
      ...timing(context, objects, bound?.value),
      setup,
      beforeEach: async () => {
        await uploader?.close();
        uploader = new ParallelUploader({
          objectStore: benchStore(latencyMs),
          deadLetterDir: await context.deadLetters.get(),
          concurrencyMax,
          queuedMax: Math.max(objects, 1),
          seed: 1,
        });
        for (let i = 0; i < bodies.length; i++) uploader.enqueue(`obj/${i}`, bodies[i] as Uint8Array);
      },
      teardown: async () => {
        await uploader?.close();
        uploader = undefined;
      },
      fn: async () => {
        const outcomes = await (uploader as ParallelUploader).flushAllParallel();
        const lost = outcomes.filter((outcome) => outcome.state !== 'uploaded').length;
        if (lost > 0) throw new Error(`${lost} of ${objects} uploads did not land`);
      },
    });
  }
  return tasks;
}

function latencyTasks(size: UploadsBenchSize, latencyMs: number, deadLetters: Lazy<string>): TimedTask[] {
  const context: TaskContext = { size, latencyMs, deadLetters, prefix: `${latencyMs}ms-` };
  const tasks: TimedTask[] = [];
  for (const docs of size.sequentialDocs) {
    tasks.push(sequentialTask(context, docs));
    for (const batchSizeMax of size.batchSizes) {
      tasks.push(
        batchTask(context, `${context.prefix}batch-n${docs}-b${batchSizeMax}`, docs, batchSizeMax, 1, {
          baseline: `${context.prefix}sequential-n${docs}`,
        }),
      );
    }
  }
  for (const objects of size.parallelObjects) tasks.push(...parallelTasks(context, objects));
  for (const { batchSizeMax, concurrencyMax, rounds } of size.combined) {
    const docs = rounds * concurrencyMax * batchSizeMax;
    tasks.push(
      batchTask(
        context,
        `${context.prefix}batch-parallel-b${batchSizeMax}-c${concurrencyMax}`,
        docs,
        batchSizeMax,
        concurrencyMax,
        {
          baseline: `${context.prefix}sequential-n${size.combinedBaselineDocs}`,
          ...(latencyMs > 0 ? { targets: COMBINED_TARGETS } : {}),
        },
      ),
    );
  }
  return tasks;
}

export function uploadsPlan(size: UploadsBenchSize) {
  if (!size.sequentialDocs.includes(size.combinedBaselineDocs)) {
    throw new Error(
      `uploads: combinedBaselineDocs ${size.combinedBaselineDocs} is not one of sequentialDocs`,
    );
  }
  const deadLetters = deadLetterDirectory();
  return {
    items: size.latenciesMs.flatMap((latencyMs) => latencyTasks(size, latencyMs, deadLetters)),
    close: () => deadLetters.release(),
  };
}

export const uploadsSuite = defineSuite<UploadsBenchSize>({
  name: 'uploads',
  summary:
    'sequential single-document PUTs vs BatchUploader and ParallelUploader on the mock S3 (0 ms and 10 ms)',
  sizes: SIZES,
  fullDurationNote: 'about 6 minutes (at 10 ms, sequential baselines of up to 1,000 PUTs)',
  plan: (size) => uploadsPlan(size),
});
