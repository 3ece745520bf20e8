/**
 * The progress of several load workers as one run's: each worker sends one progress per timeline
 * interval; once every worker still running has sent its k-th, the k-th intervals are merged (counts
 * and rates added, percentiles from the added interval histograms) and handed on. It also notices a
 * worker whose arrivals ended before the planned end — its run stopped itself (fail fast) — so that
 * the coordinator can stop the others. It keeps at most one pending interval per worker and tick.
 */

import { mergeTimelineEntries } from '../report/merge.ts';
import type { LoadTestProgress } from '../run-session.ts';

/** A worker draining this long before the planned end stopped early (ticks land a little early or late). */
const EARLY_STOP_MARGIN_S = 0.5;

const PHASES: readonly LoadTestProgress['phase'][] = ['warmup', 'measuring', 'draining'];

/** Several workers' progress of the same interval as one. */
export function mergeProgress(parts: readonly LoadTestProgress[]): LoadTestProgress {
  const first = parts[0] as LoadTestProgress;
  const elapsedS = Math.max(...parts.map((p) => p.elapsedS));
  const targets = parts.map((p) => p.targetOpsPerS).filter((t): t is number => t !== null);
  const phase = PHASES[Math.max(...parts.map((p) => PHASES.indexOf(p.phase)))] ?? first.phase;
  const total = (pick: (p: LoadTestProgress) => number) => parts.reduce((sum, p) => sum + pick(p), 0);
  return {
    elapsedS,
    durationS: first.durationS,
    fraction: Math.min(1, elapsedS / first.durationS),
    phase,
    interval: mergeTimelineEntries(parts.map((p) => p.interval)),
    targetOpsPerS: targets.length === 0 ? null : targets.reduce((a, b) => a + b, 0),
    completed: total((p) => p.completed),
    errors: total((p) => p.errors),
    dropped: total((p) => p.dropped),
  };
}

export class ProgressMerger {
  readonly #pending: LoadTestProgress[][];
  readonly #finished: boolean[];
  readonly #onProgress: ((progress: LoadTestProgress) => void) | undefined;
  readonly #onEarlyStop: (elapsedS: number) => void;
  #earlyStopSeen = false;

  constructor(
    workers: number,
    onProgress: ((progress: LoadTestProgress) => void) | undefined,
    onEarlyStop: (elapsedS: number) => void,
  ) {
    this.#pending = Array.from({ length: workers }, () => []);
    this.#finished = Array.from({ length: workers }, () => false);
    this.#onProgress = onProgress;
    this.#onEarlyStop = onEarlyStop;
  }

  /** Suppresses the early-stop notice (the coordinator itself stopped the workers). */
  stopping(): void {
    this.#earlyStopSeen = true;
  }

  add(worker: number, progress: LoadTestProgress): void {
    if (
      !this.#earlyStopSeen &&
      progress.phase === 'draining' &&
      progress.elapsedS < progress.durationS - EARLY_STOP_MARGIN_S
    ) {
      this.#earlyStopSeen = true;
      this.#onEarlyStop(progress.elapsedS);
    }
    this.#pending[worker]?.push(progress);
    this.#flush();
  }

  /** The worker sends no more progress; its pending intervals still count. */
  finish(worker: number): void {
    this.#finished[worker] = true;
    this.#flush();
  }

  /**
   * Hands on every interval all workers have sent. A worker that finished with fewer intervals (its
   * last one closed while draining) leaves the others' later ones incomplete: they are dropped rather
   * than shown as the whole run's.
   */
  #flush(): void {
    for (;;) {
      const queues = this.#pending;
      if (queues.some((queue) => queue.length === 0)) {
        queues.forEach((queue, i) => {
          if (this.#finished[i] && queue.length === 0) for (const other of queues) other.length = 0;
        });
        return;
      }
      const heads = queues.map((queue) => queue.shift() as LoadTestProgress);
      this.#onProgress?.(mergeProgress(heads));
    }
  }
}
