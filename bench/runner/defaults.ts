/**
 * Defaults of the benchmark runner, in one place with their units. The CLI, the README and the
 * tests read them from here; nothing else writes these numbers down.
 */

import type { BenchMode } from './bench-suite.ts';

export interface TimingDefaults {
  /** Time budget of one task's measured phase; tinybench runs until both this and `iterationsMin` are met. */
  readonly timeMs: number;
  /** Iterations of one task's measured phase, at least. */
  readonly iterationsMin: number;
  /** Time budget of one task's warm-up phase. */
  readonly warmupTimeMs: number;
  /** Warm-up iterations, at least. */
  readonly warmupIterationsMin: number;
}

export const DEFAULTS = Object.freeze({
  /** A task fails `--compare` when it falls more than this many percent beyond its noise. */
  tolerancePct: 15,
  /** Where each run's results file goes (`<timestamp>.json`), relative to the repository root. */
  resultsDir: 'bench/results',
  /** Where `--save-baseline` writes when given no path. */
  baselinePath: 'bench/baseline.json',
  /** The mode when neither `--quick` nor `--full` is given. */
  mode: 'full' as BenchMode,
  /** Runs of a figure group's `measure` per mode, unless the group sets its own `repeats`. */
  figureRepeats: Object.freeze({ quick: 3, full: 3 }) satisfies Record<BenchMode, number>,
  /** tinybench budgets per mode, unless a task sets its own. */
  timing: Object.freeze({
    quick: Object.freeze({ timeMs: 250, iterationsMin: 5, warmupTimeMs: 50, warmupIterationsMin: 2 }),
    full: Object.freeze({ timeMs: 1_000, iterationsMin: 10, warmupTimeMs: 250, warmupIterationsMin: 5 }),
  }) satisfies Record<BenchMode, TimingDefaults>,
});

/** Exit codes of `npm run bench`, the same as the load-test command's. */
export const EXIT_CODE = Object.freeze({
  ok: 0,
  /** `--compare` found a regression. */
  regression: 1,
  /** Bad arguments or an unreadable baseline. */
  usage: 2,
  /** A suite or task broke while running. */
  broken: 3,
});
