/**
 * Runs one suite: plans it for the mode, keeps the items the filters select, measures each (timed
 * tasks through tinybench, figure groups through their own `measure`), then links every entry to
 * its in-run baseline and bound and evaluates the suite's targets. A failing item is recorded and
 * the others still run; the plan's `close` always runs.
 */

import type {
  BenchMode,
  BoundSpec,
  Figure,
  FigureGroup,
  RegisteredSuite,
  TargetSpec,
  TimedTask,
} from './bench-suite.ts';
import { combineRmePct } from './compare.ts';
import { DEFAULTS } from './defaults.ts';
import type { SuiteOutcome, TargetResult, TaskEntry } from './results-file.ts';
import { selectItems } from './selection.ts';
import { measureTimedTask } from './timed-task.ts';

/** An entry before it is linked to its baseline and bound. */
export interface MeasuredItem {
  readonly name: string;
  readonly source: 'tinybench' | 'figure';
  readonly value: number;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly rmePct: number;
  readonly opsPerS: number | null;
  readonly latencyMs: TaskEntry['latencyMs'];
  readonly samples: number | null;
  readonly baseline: string | undefined;
  readonly bound: BoundSpec | undefined;
  readonly targets: readonly TargetSpec[];
  readonly compare: boolean;
}

export interface SuiteRun {
  readonly outcome: SuiteOutcome;
  readonly entries: readonly TaskEntry[];
  readonly targets: readonly TargetResult[];
}

export type Log = (line: string) => void;

/** Runs the selected part of `suite`; undefined when the filters select none of it. */
export async function runSuite(
  suite: RegisteredSuite,
  mode: BenchMode,
  filters: readonly string[],
  log: Log,
): Promise<SuiteRun | undefined> {
  const startedMs = performance.now();
  const durationS = () => (performance.now() - startedMs) / 1000;
  let plan: Awaited<ReturnType<RegisteredSuite['planFor']>>;
  try {
    plan = await suite.planFor(mode);
  } catch (error) {
    const errors = [`plan: ${describeError(error)}`];
    return {
      outcome: { name: suite.name, state: 'broken', durationS: durationS(), errors },
      entries: [],
      targets: [],
    };
  }
  const errors: string[] = [];
  const measured: MeasuredItem[] = [];
  try {
    const selected = selectItems(suite.name, plan.items, filters);
    if (selected.length === 0) return undefined;
    if (mode === 'full' && suite.fullDurationNote !== undefined)
      log(`  (full mode: ${suite.fullDurationNote})`);
    for (const { item } of selected) {
      try {
        if (item.kind === 'timed') measured.push(await measureTask(item, mode));
        else measured.push(...(await measureFigures(item, item.repeats ?? DEFAULTS.figureRepeats[mode])));
        log(`  ✓ ${item.name}`);
      } catch (error) {
        errors.push(`${item.name}: ${describeError(error)}`);
        log(`  ✗ ${item.name}: ${describeError(error)}`);
      }
    }
  } finally {
    await plan.close?.().catch((error: unknown) => errors.push(`close: ${describeError(error)}`));
  }
  const { entries, targets } = linkEntries(suite.name, measured);
  const outcome: SuiteOutcome =
    errors.length === 0
      ? { name: suite.name, state: 'completed', durationS: durationS() }
      : { name: suite.name, state: 'broken', durationS: durationS(), errors };
  return { outcome, entries, targets };
}

async function measureTask(task: TimedTask, mode: BenchMode): Promise<MeasuredItem> {
  const measurement = await measureTimedTask(task, DEFAULTS.timing[mode]);
  const unitsPerOp = task.unitsPerOp ?? 1;
  return {
    name: task.name,
    source: 'tinybench',
    value: measurement.opsPerS * unitsPerOp,
    unit: task.unit ?? 'ops/s',
    higherIsBetter: true,
    rmePct: measurement.rmePct,
    opsPerS: measurement.opsPerS,
    latencyMs: measurement.latencyMs,
    samples: measurement.samples,
    baseline: task.baseline,
    bound: task.bound,
    targets: task.targets ?? [],
    compare: task.compare ?? true,
  };
}

async function measureFigures(group: FigureGroup, repeats: number): Promise<MeasuredItem[]> {
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`group ${group.name}: repeats is ${repeats}`);
  const runs: (readonly Figure[])[] = [];
  for (let run = 0; run < repeats; run++) runs.push(await group.measure());
  return combineFigureRuns(runs).map(measuredFigure);
}

/** Two-sided 95% critical values of Student's t for 1 to 30 degrees of freedom. */
const T_CRITICAL_95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Relative margin of error (95%, in percent) of the mean of `values`: t × standard error ÷ |mean|. */
export function relativeMarginOfErrorPct(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  if (variance === 0) return 0;
  if (mean === 0) throw new Error(`values ${values.join(', ')} average 0: no relative margin exists`);
  const critical = T_CRITICAL_95[n - 2] ?? 1.96;
  return (critical * Math.sqrt(variance / n) * 100) / Math.abs(mean);
}

/**
 * Several runs of one figure group → one figure per name: the mean of its values, their relative
 * margin of error and the number of runs as samples; everything else from the first run. A single
 * run is returned as it is.
 */
export function combineFigureRuns(runs: readonly (readonly Figure[])[]): Figure[] {
  const [first, ...others] = runs;
  if (first === undefined) throw new Error('combineFigureRuns: no run');
  if (others.length === 0) return [...first];
  return first.map((figure) => {
    const values = runs.map((run) => {
      const same = run.find((other) => other.name === figure.name);
      if (same === undefined) throw new Error(`figure ${figure.name} is missing from a repeated run`);
      return same.value;
    });
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    return { ...figure, value: mean, rmePct: relativeMarginOfErrorPct(values), samples: values.length };
  });
}

export function measuredFigure(figure: Figure): MeasuredItem {
  if (!Number.isFinite(figure.value))
    throw new Error(`figure ${figure.name} is ${figure.value}, not a finite number`);
  const rmePct = figure.rmePct ?? 0;
  if (!Number.isFinite(rmePct) || rmePct < 0)
    throw new Error(`figure ${figure.name} has an rme of ${rmePct}`);
  return {
    name: figure.name,
    source: 'figure',
    value: figure.value,
    unit: figure.unit,
    higherIsBetter: figure.higherIsBetter,
    rmePct,
    opsPerS: null,
    latencyMs: figure.latencyMs ?? null,
    samples: figure.samples ?? null,
    baseline: figure.baseline,
    bound: figure.bound,
    targets: figure.targets ?? [],
    compare: figure.compare ?? true,
  };
}

/**
 * Measured items → entries with their baseline ratio (value ÷ baseline value) and bound ratio
 * (value ÷ bound), both inverted when lower is better so that > 1 always means better, and the
 * targets evaluated on those ratios. A baseline that did not
 * run (it failed) leaves the ratio null and its targets unmet.
 */
export function linkEntries(
  suite: string,
  items: readonly MeasuredItem[],
): { entries: TaskEntry[]; targets: TargetResult[] } {
  const byName = new Map(items.map((item) => [item.name, item]));
  const entries: TaskEntry[] = [];
  const targets: TargetResult[] = [];
  for (const item of items) {
    const base = item.baseline === undefined ? undefined : byName.get(item.baseline);
    if (base !== undefined && (base.unit !== item.unit || base.higherIsBetter !== item.higherIsBetter)) {
      throw new Error(
        `bench suite ${suite}: ${item.name} (${item.unit}) cannot be a ratio of ${base.name} (${base.unit})`,
      );
    }
    const baseline =
      base === undefined || base.value <= 0 || item.value <= 0
        ? null
        : {
            id: `${suite}/${base.name}`,
            ratio: item.higherIsBetter ? item.value / base.value : base.value / item.value,
            rmePct: combineRmePct(item.rmePct, base.rmePct),
          };
    const bound =
      item.bound === undefined || item.bound.value <= 0
        ? null
        : {
            value: item.bound.value,
            description: item.bound.description,
            ratio: item.higherIsBetter ? item.value / item.bound.value : item.bound.value / item.value,
          };
    const id = `${suite}/${item.name}`;
    entries.push({
      id,
      suite,
      name: item.name,
      source: item.source,
      value: item.value,
      unit: item.unit,
      higherIsBetter: item.higherIsBetter,
      rmePct: item.rmePct,
      opsPerS: item.opsPerS,
      latencyMs: item.latencyMs,
      samples: item.samples,
      baseline,
      bound,
      compare: item.compare,
    });
    for (const target of item.targets) {
      const ratio = target.of === 'baseline' ? (baseline?.ratio ?? null) : (bound?.ratio ?? null);
      targets.push({ id, ...target, ratio, met: ratio !== null && ratio >= target.ratioMin });
    }
  }
  return { entries, targets };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
