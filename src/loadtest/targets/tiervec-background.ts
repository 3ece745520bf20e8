/**
 * Background work during the load (the consolidation scenario): from a point in the run, segments
 * are sealed and compacted at one interval and collections are moved down a tier and back at
 * another, while the foreground load goes on. Before that point is the reference phase the
 * foreground is compared against. Jobs never overlap themselves; a failed job is counted, not thrown
 * (the foreground's errors are what the run judges). `stop()` cancels what is scheduled and
 * `settled()` waits for a running job.
 */

import type { Clock, TimerHandle } from '../../clock.ts';
import type { Collection } from '../../storage/collection.ts';
import type { BackgroundConfig } from './tiervec-config.ts';
import type { Phase } from './tiervec-measure.ts';

type Maintained = Collection & {
  compact?: () => Promise<unknown>;
  setTier?: (tier: string) => Promise<unknown>;
};

export interface BackgroundCounts {
  compactions: number;
  tierCycles: number;
  errors: number;
  /** Jobs that found no API to call (compaction or tier control not in this store). */
  unavailable: number;
  /** The message of the last failed job, for the report. */
  lastError: string | undefined;
}

export interface TiervecBackgroundOptions {
  /** The run's background work; undefined: none. */
  background: BackgroundConfig | undefined;
  clock: Clock;
  collections: () => Collection[];
}

export class TiervecBackground {
  readonly counts: BackgroundCounts = {
    compactions: 0,
    tierCycles: 0,
    errors: 0,
    unavailable: 0,
    lastError: undefined,
  };
  readonly #options: TiervecBackgroundOptions;
  readonly #timers = new Set<TimerHandle>();
  #phase: Phase = 'before';
  #stopped = false;
  #running: Promise<void> = Promise.resolve();

  constructor(options: TiervecBackgroundOptions) {
    this.#options = options;
  }

  /** Whether the scenario has background work at all. */
  get configured(): boolean {
    return this.#options.background !== undefined;
  }

  phase(): Phase {
    return this.#phase;
  }

  /** Call when the load starts: background work begins `background.startS` later. */
  start(): void {
    const { background } = this.#options;
    if (background === undefined) return;
    const { startS, compactEveryS, tierCycleEveryS } = background;
    this.#after(startS, () => {
      this.#phase = 'background';
      if (compactEveryS !== undefined) this.#every(compactEveryS, () => this.#compact());
      if (tierCycleEveryS !== undefined) this.#every(tierCycleEveryS, () => this.#tierCycle());
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) this.#options.clock.clearTimeout(timer);
    this.#timers.clear();
  }

  settled(): Promise<void> {
    return this.#running;
  }

  #after(delayS: number, run: () => void): void {
    if (this.#stopped) return;
    const timer = this.#options.clock.setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, delayS * 1000);
    this.#timers.add(timer);
  }

  /** Runs `job` now and every `everyS`, one at a time (a late job delays the next, never doubles up). */
  #every(everyS: number, job: () => Promise<void>): void {
    if (this.#stopped) return;
    this.#running = this.#running.then(job).then(() => this.#after(everyS, () => this.#every(everyS, job)));
  }

  #failed(error: unknown): void {
    this.counts.errors++;
    this.counts.lastError = error instanceof Error ? error.message : String(error);
  }

  async #compact(): Promise<void> {
    for (const collection of this.#options.collections() as Maintained[]) {
      try {
        await collection.flush();
        if (typeof collection.compact === 'function') await collection.compact();
        else this.counts.unavailable++;
        this.counts.compactions++;
      } catch (error) {
        // Counted and shown as a gauge; the foreground operations carry the run's verdict.
        this.#failed(error);
      }
    }
  }

  async #tierCycle(): Promise<void> {
    for (const collection of this.#options.collections() as Maintained[]) {
      if (typeof collection.setTier !== 'function') {
        this.counts.unavailable++;
        continue;
      }
      try {
        await collection.setTier('warm');
        await collection.setTier('hot');
        this.counts.tierCycles++;
      } catch (error) {
        this.#failed(error);
      }
    }
  }
}
