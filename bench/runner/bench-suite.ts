/**
 * What a benchmark suite is: a name, quick and full sizes, and a plan of measurements for a size.
 *
 * A plan holds two kinds of items. A `TimedTask` is a function tinybench calls repeatedly; the
 * runner turns its samples into a rate, latency percentiles and a margin of error. A `FigureGroup`
 * measures something that is not "call a function many times" (the highest sustained rate, recall,
 * a one-off promotion time) and returns named figures with units. Both can name a baseline measured
 * in the same run, a theoretical bound, and targets on those ratios. Suites never print or write
 * files; the runner does.
 */

export type BenchMode = 'quick' | 'full';

/** A target on a ratio: `of: 'baseline'` is value ÷ in-run baseline, `of: 'bound'` is value ÷ bound. */
export interface TargetSpec {
  readonly description: string;
  readonly of: 'baseline' | 'bound';
  /** The ratio must be at least this. */
  readonly ratioMin: number;
}

/**
 * A theoretical best for a rate (e.g. concurrency × batch size ÷ latency), or a limit for a
 * lower-is-better figure (e.g. a 1,000 ms latency budget), in the task's unit.
 */
export interface BoundSpec {
  readonly value: number;
  readonly description: string;
}

interface MeasuredCommon {
  /** Unique within the suite; the task's id is `<suite>/<name>`. */
  readonly name: string;
  /**
   * Name of another item of the same suite measured in the same run, in the same unit. The ratio
   * value ÷ baseline value is reported (inverted for lower-is-better figures, so > 1 always means
   * better), and `--compare` compares that ratio rather than the raw value.
   */
  readonly baseline?: string;
  readonly bound?: BoundSpec;
  readonly targets?: readonly TargetSpec[];
  /** False for figures reported for context only; `--compare` skips them. @default true */
  readonly compare?: boolean;
}

export interface TimedTask extends MeasuredCommon {
  readonly kind: 'timed';
  /** One iteration; awaited unless `sync` is set. */
  readonly fn: () => unknown;
  /**
   * The function never returns a promise: time it without awaiting, which saves a microtask turn
   * per sample on sub-microsecond work. @default false
   */
  readonly sync?: boolean;
  /** Units of work in one iteration (documents uploaded, vectors inserted). @default 1 */
  readonly unitsPerOp?: number;
  /** Unit of the reported rate. @default 'ops/s' */
  readonly unit?: string;
  /** Runs once before the task's warm-up, outside the timed window. */
  readonly setup?: () => unknown;
  /** Runs once after the task, even when it failed. */
  readonly teardown?: () => unknown;
  /** Runs before every iteration (warm-up included), outside the timed window. */
  readonly beforeEach?: () => unknown;
  readonly timeMs?: number;
  readonly iterationsMin?: number;
  readonly warmupTimeMs?: number;
  readonly warmupIterationsMin?: number;
}

/** A figure a `FigureGroup` measured. */
export interface Figure extends MeasuredCommon {
  readonly value: number;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** Relative margin of error in percent, when the figure comes from repeated samples. @default 0 */
  readonly rmePct?: number;
  readonly samples?: number;
  readonly latencyMs?: { readonly mean: number; readonly p50: number; readonly p99: number };
}

export interface FigureGroup {
  readonly kind: 'figures';
  /** Name of the group; filters match it and the figure names. */
  readonly name: string;
  /** The names of the figures `measure` returns, declared so filters and `--list` can see them. */
  readonly figureNames: readonly string[];
  readonly measure: () => Promise<readonly Figure[]>;
  /**
   * Times `measure` runs; each figure is then the mean of its runs with the relative margin of error
   * of that mean (Student's t, 95%), so `--compare` can tell a change from noise. One run gives a
   * figure no margin unless `measure` states one. @default `DEFAULTS.figureRepeats` of the mode
   */
  readonly repeats?: number;
}

export type PlanItem = TimedTask | FigureGroup;

export interface SuitePlan {
  readonly items: readonly PlanItem[];
  /** Releases what the tasks acquired (servers, temporary directories); called once, even after a failure. */
  readonly close?: () => Promise<void>;
}

export interface BenchSuite<Size = unknown> {
  /** Kebab-case and unique; filters match it. */
  readonly name: string;
  readonly summary: string;
  readonly sizes: { readonly quick: Size; readonly full: Size };
  /** Printed before a full run of a suite that takes minutes ("about 4 minutes"). */
  readonly fullDurationNote?: string;
  plan(size: Size, mode: BenchMode): SuitePlan | Promise<SuitePlan>;
}

/** A suite with its size type erased, as the registry holds them. */
export interface RegisteredSuite {
  readonly name: string;
  readonly summary: string;
  readonly fullDurationNote: string | undefined;
  planFor(mode: BenchMode): Promise<SuitePlan>;
}

export function defineSuite<Size>(suite: BenchSuite<Size>): RegisteredSuite {
  return {
    name: suite.name,
    summary: suite.summary,
    fullDurationNote: suite.fullDurationNote,
    planFor: async (mode) => suite.plan(suite.sizes[mode], mode),
  };
}

/** The figure with `value` as its bound and one target: reach the bound (the target's text is the bound's). */
export function bounded(figure: Figure, value: number, description: string): Figure {
  return { ...figure, bound: { value, description }, targets: [{ description, of: 'bound', ratioMin: 1 }] };
}

/** The names a plan item answers to: a timed task's name, or a group's name and its figures'. */
export function itemNames(item: PlanItem): readonly string[] {
  return item.kind === 'timed' ? [item.name] : [item.name, ...item.figureNames];
}
