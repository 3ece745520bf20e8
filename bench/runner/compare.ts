/**
 * `--compare`: the current run against a saved baseline, task by task. Pure: it reads two results
 * and returns rows and a verdict; printing and the exit code belong to the caller.
 *
 * What is compared. A task measured beside an in-run baseline (its entry has `baseline`) is compared
 * by that RATIO: both sides of a ratio ran in the same process minutes apart, so a machine that is
 * slower or busier today moves both and the ratio stays put. A task without one (the baselines
 * themselves, figures such as recall) is compared by its raw value. Either way `change` is
 * current ÷ saved, inverted for lower-is-better figures, so `change < 1` always means worse.
 *
 * When it fails. Each side carries a relative margin of error (tinybench's 95% rme; for a ratio,
 * the task's and its baseline's combined). The noise of a comparison is the root sum of squares of
 * every margin involved, and a task regresses when it fell by more than `tolerancePct` BEYOND that
 * noise: `(1 − change) × 100 > tolerancePct + noisePct`. Improvements use the same band upward.
 * Tasks present in the baseline but absent from this run are reported as missing (a renamed or
 * broken task must not vanish silently) but do not fail the gate on their own; the suite's own
 * failure does (exit code 3).
 */

import type { BenchResults, TaskEntry } from './results-file.ts';

export interface CompareOptions {
  readonly tolerancePct: number;
  /**
   * Which baseline entries this run was meant to measure (the filters of the run); the others are
   * not reported as missing. @default every entry
   */
  readonly selected?: (entry: TaskEntry) => boolean;
}

export type Verdict = 'regression' | 'improvement' | 'unchanged';

export type CompareRow =
  | {
      readonly state: 'compared';
      readonly id: string;
      readonly basis: 'ratio' | 'value';
      /** The ratio (basis `ratio`) or value (basis `value`) in the baseline file and in this run. */
      readonly saved: number;
      readonly current: number;
      /** current ÷ saved, inverted when lower is better: < 1 is worse. */
      readonly change: number;
      readonly noisePct: number;
      readonly verdict: Verdict;
    }
  | { readonly state: 'missing'; readonly id: string }
  | { readonly state: 'new'; readonly id: string }
  | { readonly state: 'skipped'; readonly id: string; readonly reason: string };

export interface CompareReport {
  readonly tolerancePct: number;
  readonly rows: readonly CompareRow[];
  readonly regressions: readonly string[];
  readonly missing: readonly string[];
  /** False when any compared task regressed. */
  readonly passed: boolean;
  /** Set when the two runs used different modes or CPUs: the comparison is then weaker. */
  readonly warnings: readonly string[];
}

/** Root sum of squares of relative margins of error, in percent. */
export function combineRmePct(...rmesPct: readonly number[]): number {
  return Math.sqrt(rmesPct.reduce((sum, rme) => sum + rme * rme, 0));
}

export function verdictOf(change: number, noisePct: number, tolerancePct: number): Verdict {
  const bandPct = tolerancePct + noisePct;
  if ((1 - change) * 100 > bandPct) return 'regression';
  if ((change - 1) * 100 > bandPct) return 'improvement';
  return 'unchanged';
}

export function compareResults(
  saved: BenchResults,
  current: BenchResults,
  options: CompareOptions,
): CompareReport {
  const selected = options.selected ?? (() => true);
  const currentById = new Map(current.tasks.map((task) => [task.id, task]));
  const savedIds = new Set(saved.tasks.map((task) => task.id));
  const rows: CompareRow[] = [];
  for (const base of saved.tasks) {
    const now = currentById.get(base.id);
    if (now === undefined) {
      if (selected(base)) rows.push({ state: 'missing', id: base.id });
      continue;
    }
    rows.push(compareTask(base, now, options.tolerancePct));
  }
  for (const task of current.tasks) {
    if (!savedIds.has(task.id)) rows.push({ state: 'new', id: task.id });
  }
  const regressions = rows.filter((row) => row.state === 'compared' && row.verdict === 'regression');
  return {
    tolerancePct: options.tolerancePct,
    rows,
    regressions: regressions.map((row) => row.id),
    missing: rows.filter((row) => row.state === 'missing').map((row) => row.id),
    passed: regressions.length === 0,
    warnings: environmentWarnings(saved, current),
  };
}

export function compareTask(saved: TaskEntry, current: TaskEntry, tolerancePct: number): CompareRow {
  const id = current.id;
  if (!saved.compare || !current.compare)
    return { state: 'skipped', id, reason: 'reported for context only' };
  if (saved.baseline !== null && current.baseline !== null && saved.baseline.id === current.baseline.id) {
    return compared(id, 'ratio', saved.baseline.ratio, current.baseline.ratio, true, tolerancePct, [
      saved.baseline.rmePct,
      current.baseline.rmePct,
    ]);
  }
  if (saved.unit !== current.unit || saved.higherIsBetter !== current.higherIsBetter) {
    return { state: 'skipped', id, reason: `unit changed from ${saved.unit} to ${current.unit}` };
  }
  return compared(id, 'value', saved.value, current.value, current.higherIsBetter, tolerancePct, [
    saved.rmePct,
    current.rmePct,
  ]);
}

function compared(
  id: string,
  basis: 'ratio' | 'value',
  saved: number,
  current: number,
  higherIsBetter: boolean,
  tolerancePct: number,
  rmesPct: readonly number[],
): CompareRow {
  if (saved <= 0 || current <= 0) {
    return { state: 'skipped', id, reason: `cannot take a ratio of ${current} to ${saved}` };
  }
  const change = higherIsBetter ? current / saved : saved / current;
  const noisePct = combineRmePct(...rmesPct);
  return {
    state: 'compared',
    id,
    basis,
    saved,
    current,
    change,
    noisePct,
    verdict: verdictOf(change, noisePct, tolerancePct),
  };
}

function environmentWarnings(saved: BenchResults, current: BenchResults): string[] {
  const warnings: string[] = [];
  if (saved.mode !== current.mode) {
    warnings.push(`the baseline ran in ${saved.mode} mode and this run in ${current.mode} mode`);
  }
  const a = saved.environment;
  const b = current.environment;
  if (a.cpuModel !== b.cpuModel || a.cores !== b.cores) {
    warnings.push(
      `the baseline ran on ${a.cpuModel} × ${a.cores} and this run on ${b.cpuModel} × ${b.cores}: raw values are not comparable, ratios mostly are`,
    );
  }
  if (a.nodeVersion !== b.nodeVersion)
    warnings.push(`Node ${a.nodeVersion} in the baseline, ${b.nodeVersion} now`);
  // Margins of error measure noise within a task; other processes starting or stopping between two
  // tasks (or two runs) move results further than that, and a load average above the core count says
  // they were there.
  for (const [label, env] of [
    ['the baseline', a],
    ['this run', b],
  ] as const) {
    if (env.loadAverage1m > env.cores) {
      warnings.push(
        `${label} started with a load average of ${env.loadAverage1m.toFixed(1)} on ${env.cores} cores: other processes competed for the CPU, so changes beyond the margins may be theirs`,
      );
    }
  }
  return warnings;
}
