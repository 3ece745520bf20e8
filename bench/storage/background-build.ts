/**
 * What a compaction does to the foreground while it builds new HNSW graphs: the event loop's delay
 * (p99 and max) and the response time of foreground operations that arrive meanwhile, with the graph
 * built on the worker thread (`thread`, what tiervec does), in-process in time slices (`sliced`), and
 * in-process in one piece (`unsliced`, what it did before), in the same process and round after
 * round in rotating order, so that a noisy neighbour slows all alike.
 *
 * A measurement: a fresh store whose collection holds `segments` small sealed segments of
 * `rowsPerSegment` rows (so compaction merges them into new segments, building their graphs), then
 * `compact()` while foreground operations arrive every `intervalMs` (open model: each one's response
 * time counts from when it was due, so waiting behind the build counts). Foreground operations
 * alternate a k = 10 search and a one-row insert. This module measures and returns samples; it never
 * prints, and never writes outside the temporary directories it removes.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { VectorGenerator } from '../../src/datasets/vector-generator.ts';
import type { Collection } from '../../src/storage/collection.ts';
import { setBuildOnThread } from '../../src/storage/segment/segment-build.ts';
import { openStore } from '../../src/storage/store.ts';
import { setDefaultSliceMs, TIME_SLICE_DEFAULTS } from '../../src/time-slicer.ts';

export interface BackgroundBuildBenchOptions {
  dimension: number;
  /** Small sealed segments compaction merges. */
  segments: number;
  rowsPerSegment: number;
  /** Milliseconds between two foreground arrivals. */
  intervalMs: number;
  /** Measurements of each mode. */
  rounds: number;
  seed: number;
}

export const BACKGROUND_BUILD_DEFAULTS: Readonly<BackgroundBuildBenchOptions> = Object.freeze({
  dimension: 256,
  segments: 6,
  rowsPerSegment: 400,
  intervalMs: 5,
  rounds: 4,
  seed: 7,
});

export type BuildMode = 'unsliced' | 'sliced' | 'thread';

const MODES: readonly BuildMode[] = ['unsliced', 'sliced', 'thread'];

export interface BuildMeasurement {
  mode: BuildMode;
  compactMs: number;
  eventLoopDelayMsP99: number;
  eventLoopDelayMsMax: number;
  /** Response times (ms from when each was due) of the foreground operations during the compaction. */
  foregroundMs: number[];
}

export interface BackgroundBuildBenchResult {
  options: BackgroundBuildBenchOptions;
  measurements: BuildMeasurement[];
}

const NAME = 'bench';

export async function runBackgroundBuildBench(
  overrides: Partial<BackgroundBuildBenchOptions> = {},
  log: (line: string) => void = () => undefined,
): Promise<BackgroundBuildBenchResult> {
  const options = { ...BACKGROUND_BUILD_DEFAULTS, ...overrides };
  const root = await mkdtemp(join(tmpdir(), 'tiervec-bench-build-'));
  const measurements: BuildMeasurement[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length] as BuildMode);
      for (const mode of order) {
        const m = await measure(join(root, `${round}-${mode}`), mode, options);
        measurements.push(m);
        log(
          `background-build: round ${round + 1} ${mode}: compact ${m.compactMs.toFixed(0)} ms, ` +
            `event-loop delay p99 ${m.eventLoopDelayMsP99.toFixed(1)} ms (max ${m.eventLoopDelayMsMax.toFixed(1)}), ` +
            `foreground p95 ${percentile(m.foregroundMs, 0.95).toFixed(1)} ms over ${m.foregroundMs.length} ops`,
        );
      }
    }
    return { options, measurements };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function measure(
  dir: string,
  mode: BuildMode,
  options: BackgroundBuildBenchOptions,
): Promise<BuildMeasurement> {
  const { dimension, segments, rowsPerSegment } = options;
  const store = await openStore({ dir, segmentVectorsMax: segments * rowsPerSegment });
  const previous = setDefaultSliceMs(
    mode === 'unsliced' ? Number.POSITIVE_INFINITY : TIME_SLICE_DEFAULTS.sliceMs,
  );
  const previousThread = setBuildOnThread(mode === 'thread');
  try {
    const collection = await store.createCollection({ name: NAME, dimension, metric: 'cosine' });
    const generator = new VectorGenerator({ seed: options.seed, dimension });
    for (let s = 0; s < segments; s++) {
      const docs = generator.take(rowsPerSegment).map((vector, i) => ({ id: `s${s}-${i}`, vector }));
      await collection.insert(docs);
      await collection.flush();
    }
    const queries = generator.take(64);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const foreground = startForeground(collection, queries, options.intervalMs);
    delay.enable();
    // The histogram records a turn's delay only from its second tick on: let it tick first, or a
    // build that starts before the loop turns once would go unseen.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const startMs = performance.now();
    await collection.compact();
    const compactMs = performance.now() - startMs;
    delay.disable();
    const foregroundMs = await foreground.stop();
    return {
      mode,
      compactMs,
      eventLoopDelayMsP99: delay.percentile(99) / 1e6,
      eventLoopDelayMsMax: delay.max / 1e6,
      foregroundMs,
    };
  } finally {
    setDefaultSliceMs(previous);
    setBuildOnThread(previousThread);
    await store.close();
  }
}

/** Foreground operations due every `intervalMs` until stopped; resolves their response times. */
function startForeground(
  collection: Collection,
  queries: readonly Float32Array[],
  intervalMs: number,
): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  const running = new Set<Promise<void>>();
  const startMs = performance.now();
  let stopped = false;
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const nowMs = performance.now();
    // Everything due by now starts now: waiting behind the event loop counts in its response time.
    while (!stopped && startMs + next * intervalMs <= nowMs) {
      const dueMs = startMs + next * intervalMs;
      const i = next++;
      const query = queries[i % queries.length] as Float32Array;
      const op =
        i % 2 === 0
          ? collection.search(query, { k: 10 })
          : collection.insert([{ id: `fg-${i}`, vector: query }]);
      const done = op.then(() => {
        latencies.push(performance.now() - dueMs);
        running.delete(done);
      });
      running.add(done);
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, startMs + next * intervalMs - performance.now()));
  };
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(running);
      return latencies;
    },
  };
}

/** The q-quantile (0..1) of `values` by the nearest-rank method; 0 when there are none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}
