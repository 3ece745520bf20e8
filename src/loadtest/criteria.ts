/**
 * Success criteria: the limits a run must meet, from a preset overridden key by key, resolved against
 * the run's duration (windows may be given as fractions of it), and evaluated against a report. The
 * evaluation reads only the report, so a merged report is judged exactly like a single run. The
 * warm-up is excluded: every figure criteria read covers operations intended after it.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { FAIL_FAST_KEYS, type FailFastConfig, resolveFailFast } from './fail-fast-config.ts';
import {
  enumField,
  numberField,
  objectField,
  optionalNumberField,
  rejectUnknownKeys,
  scenarioError,
  stringField,
  timeField,
} from './field-check.ts';
import type { CriterionResult, LatencySummaryMs, LoadTestReport } from './report/schema.ts';

/** Limits that apply to latency and errors: to the whole run, one operation, or one time window. */
export interface LatencyLimits {
  latencyMsP50Max?: number;
  latencyMsP90Max?: number;
  latencyMsP95Max?: number;
  latencyMsP99Max?: number;
  latencyMsP999Max?: number;
  latencyMsMaxMax?: number;
  latencyMsMeanMax?: number;
  serviceTimeMsP50Max?: number;
  serviceTimeMsP95Max?: number;
  serviceTimeMsP99Max?: number;
  errorRateMax?: number;
}

/** Limits on the whole run. */
export interface RunLimits extends LatencyLimits {
  droppedRatioMax?: number;
  throughputOpsPerSMin?: number;
  /** Achieved over target rate of the open-model groups, over the measured run. */
  achievedRatioMin?: number;
  /** The same ratio in every `achievedRatioWindowS` window of the measured run. */
  achievedRatioWindowMin?: number;
  /** Throughput in every `achievedRatioWindowS` window of the measured run. */
  throughputOpsPerSWindowMin?: number;
  memoryGrowthMbPerMinMax?: number;
  cpuPercentAvgMax?: number;
  cpuPercentMaxMax?: number;
  eventLoopDelayMsP99Max?: number;
  /** p95 after the spike over p95 before it (needs a `spike` profile). */
  recoveryFactorMax?: number;
}

export interface WindowCriteriaConfig extends LatencyLimits {
  /** Shown in reports; defaults to `during` or `window N`. */
  name?: string;
  /** `spike`: the spike of the (first) spike profile. Otherwise give start and end. */
  during?: 'spike';
  startS?: number;
  startFraction?: number;
  endS?: number;
  endFraction?: number;
  /** Restricts the window's limits to one operation. */
  operation?: string;
}

export interface CriteriaConfig extends RunLimits {
  /** @default 'development' */
  preset?: CriteriaPresetName;
  /** Window length of `achievedRatioWindowMin` and `throughputOpsPerSWindowMin`, in seconds. @default 60 */
  achievedRatioWindowS?: number;
  /** Memory growth is judged only when RSS was sampled over at least this span after warm-up. @default 30 */
  memoryGrowthSpanSMin?: number;
  /** Time after the spike's end before the recovery window starts. @default 0 */
  recoveryDelayS?: number;
  recoveryDelayFraction?: number;
  operations?: Record<string, LatencyLimits>;
  windows?: WindowCriteriaConfig[];
  /** Fail fast (k6's `abortOnFail` and `delayAbortEval`): see `fail-fast-config.ts`. */
  abortOnFail?: FailFastConfig['abortOnFail'];
  abortOnFailDelayS?: number;
  abortOnAllErrorsS?: number;
}

export const CRITERIA_PRESETS = Object.freeze({
  /** The architecture page's production values. */
  production: Object.freeze({
    latencyMsP95Max: 25,
    errorRateMax: 0.001,
    memoryGrowthMbPerMinMax: 10,
    cpuPercentAvgMax: 70,
    achievedRatioMin: 0.95,
  } satisfies RunLimits),
  /** Relaxed, for laptops and shared CI machines. */
  development: Object.freeze({
    latencyMsP95Max: 250,
    errorRateMax: 0.01,
    memoryGrowthMbPerMinMax: 100,
    cpuPercentAvgMax: 95,
    achievedRatioMin: 0.9,
  } satisfies RunLimits),
  none: Object.freeze({} satisfies RunLimits),
});
export type CriteriaPresetName = keyof typeof CRITERIA_PRESETS;

export const CRITERIA_DEFAULTS = Object.freeze({
  preset: 'development' as CriteriaPresetName,
  achievedRatioWindowS: 60,
  memoryGrowthSpanSMin: 30,
  recoveryDelayS: 0,
});

export interface ResolvedWindow {
  name: string;
  startS: number;
  endS: number;
}

export interface ResolvedCriteria {
  preset: CriteriaPresetName;
  limits: RunLimits;
  operations: Record<string, LatencyLimits>;
  windows: Array<ResolvedWindow & { operation: string | null; limits: LatencyLimits }>;
  recovery: { factorMax: number; before: ResolvedWindow; after: ResolvedWindow } | null;
  achievedRatioWindowS: number;
  memoryGrowthSpanSMin: number;
  failFast: FailFastConfig;
}

type LatencyKey = keyof LatencyLimits;
const LATENCY_KEYS: ReadonlyArray<
  [LatencyKey, 'latencyMs' | 'serviceTimeMs', keyof LatencySummaryMs, string]
> = [
  ['latencyMsP50Max', 'latencyMs', 'p50', 'p50 latency'],
  ['latencyMsP90Max', 'latencyMs', 'p90', 'p90 latency'],
  ['latencyMsP95Max', 'latencyMs', 'p95', 'p95 latency'],
  ['latencyMsP99Max', 'latencyMs', 'p99', 'p99 latency'],
  ['latencyMsP999Max', 'latencyMs', 'p999', 'p99.9 latency'],
  ['latencyMsMaxMax', 'latencyMs', 'max', 'max latency'],
  ['latencyMsMeanMax', 'latencyMs', 'mean', 'mean latency'],
  ['serviceTimeMsP50Max', 'serviceTimeMs', 'p50', 'p50 service time'],
  ['serviceTimeMsP95Max', 'serviceTimeMs', 'p95', 'p95 service time'],
  ['serviceTimeMsP99Max', 'serviceTimeMs', 'p99', 'p99 service time'],
];
const LATENCY_LIMIT_KEYS: readonly string[] = [...LATENCY_KEYS.map(([key]) => key), 'errorRateMax'];
const RUN_LIMIT_KEYS: readonly string[] = [
  ...LATENCY_LIMIT_KEYS,
  'droppedRatioMax',
  'throughputOpsPerSMin',
  'achievedRatioMin',
  'achievedRatioWindowMin',
  'throughputOpsPerSWindowMin',
  'memoryGrowthMbPerMinMax',
  'cpuPercentAvgMax',
  'cpuPercentMaxMax',
  'eventLoopDelayMsP99Max',
  'recoveryFactorMax',
];
const CONFIG_KEYS: readonly string[] = [
  ...RUN_LIMIT_KEYS,
  'preset',
  'achievedRatioWindowS',
  'memoryGrowthSpanSMin',
  'recoveryDelayS',
  'recoveryDelayFraction',
  'operations',
  'windows',
  ...FAIL_FAST_KEYS,
];
const WINDOW_KEYS: readonly string[] = [
  ...LATENCY_LIMIT_KEYS,
  'name',
  'during',
  'startS',
  'startFraction',
  'endS',
  'endFraction',
  'operation',
];
/** The most per-operation or per-window criteria blocks one run may have. */
export const CRITERIA_BLOCKS_MAX = 64;

/** `latencyMsP95Max` → `latency_ms_p95_max`, the spelling of scenario files. */
export function criterionName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function readLimits(field: string, raw: Record<string, unknown>, keys: readonly string[]): RunLimits {
  const limits: Record<string, number> = {};
  for (const key of keys) {
    if (raw[key] === undefined) continue;
    const bound =
      key.endsWith('RatioMin') || key === 'errorRateMax' || key === 'droppedRatioMax' ? 1e6 : 1e12;
    limits[key] = numberField(`${field}.${key}`, raw[key], 0, bound);
  }
  return limits as RunLimits;
}

export interface CriteriaContext {
  durationS: number;
  warmupS: number;
  /** The spike of the first spike profile, if any. */
  spike: { startS: number; endS: number } | undefined;
}

/** Validates criteria configuration and resolves presets, overrides and windows for one run. */
export function resolveCriteria(
  config: unknown,
  context: CriteriaContext,
  field = 'criteria',
): ResolvedCriteria {
  const raw = config === undefined ? {} : objectField(field, config);
  rejectUnknownKeys(field, raw, CONFIG_KEYS);
  const preset = enumField(`${field}.preset`, raw.preset ?? CRITERIA_DEFAULTS.preset, [
    'production',
    'development',
    'none',
  ]);
  const limits: RunLimits = { ...CRITERIA_PRESETS[preset], ...readLimits(field, raw, RUN_LIMIT_KEYS) };
  const operations: Record<string, LatencyLimits> = {};
  if (raw.operations !== undefined) {
    const ops = objectField(`${field}.operations`, raw.operations);
    if (Object.keys(ops).length > CRITERIA_BLOCKS_MAX) {
      throw scenarioError(
        `${field}.operations`,
        `at most ${CRITERIA_BLOCKS_MAX} operations`,
        Object.keys(ops).length,
      );
    }
    for (const [name, value] of Object.entries(ops)) {
      const opField = `${field}.operations.${name}`;
      const opRaw = objectField(opField, value);
      rejectUnknownKeys(opField, opRaw, LATENCY_LIMIT_KEYS);
      operations[name] = readLimits(opField, opRaw, LATENCY_LIMIT_KEYS);
    }
  }
  const windows = resolveWindows(raw.windows, context, `${field}.windows`);
  let recovery: ResolvedCriteria['recovery'] = null;
  if (limits.recoveryFactorMax !== undefined) {
    if (context.spike === undefined) {
      throw scenarioError(
        `${field}.recoveryFactorMax`,
        'set only when a load group has a `spike` profile',
        limits.recoveryFactorMax,
      );
    }
    const delayS = timeField(
      raw,
      'recoveryDelay',
      field,
      context.durationS,
      CRITERIA_DEFAULTS.recoveryDelayS,
    );
    recovery = {
      factorMax: limits.recoveryFactorMax,
      before: {
        name: 'before spike',
        startS: Math.min(context.warmupS, context.spike.startS),
        endS: context.spike.startS,
      },
      after: {
        name: 'after spike',
        startS: Math.min(context.spike.endS + delayS, context.durationS),
        endS: context.durationS,
      },
    };
  }
  return {
    preset,
    limits,
    operations,
    windows,
    recovery,
    achievedRatioWindowS: optionalNumberField(
      `${field}.achievedRatioWindowS`,
      raw.achievedRatioWindowS,
      1,
      86_400,
      CRITERIA_DEFAULTS.achievedRatioWindowS,
    ),
    memoryGrowthSpanSMin: optionalNumberField(
      `${field}.memoryGrowthSpanSMin`,
      raw.memoryGrowthSpanSMin,
      0,
      86_400,
      CRITERIA_DEFAULTS.memoryGrowthSpanSMin,
    ),
    failFast: resolveFailFast(raw, field, limits as Record<string, number | undefined>),
  };
}

function resolveWindows(
  value: unknown,
  context: CriteriaContext,
  field: string,
): ResolvedCriteria['windows'] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > CRITERIA_BLOCKS_MAX) {
    throw scenarioError(field, `a list of at most ${CRITERIA_BLOCKS_MAX} windows`, value);
  }
  const names = new Set<string>();
  return value.map((item, i) => {
    const wField = `${field}[${i}]`;
    const raw = objectField(wField, item);
    rejectUnknownKeys(wField, raw, WINDOW_KEYS);
    let startS: number;
    let endS: number;
    if (raw.during !== undefined) {
      enumField(`${wField}.during`, raw.during, ['spike']);
      if (context.spike === undefined) {
        throw scenarioError(
          `${wField}.during`,
          '"spike" only when a load group has a `spike` profile',
          raw.during,
        );
      }
      ({ startS, endS } = context.spike);
    } else {
      startS = timeField(raw, 'start', wField, context.durationS);
      endS = timeField(raw, 'end', wField, context.durationS);
    }
    if (!(endS > startS))
      throw scenarioError(
        `${wField}.end${raw.endS === undefined ? 'Fraction' : 'S'}`,
        'after the start',
        endS,
      );
    const name =
      raw.name === undefined
        ? ((raw.during as string | undefined) ?? `window ${i + 1}`)
        : stringField(`${wField}.name`, raw.name, 64);
    if (names.has(name)) throw scenarioError(`${wField}.name`, 'a name no other window has', name);
    names.add(name);
    return {
      name,
      // The warm-up is excluded from every criterion, windows included.
      startS: Math.max(startS, Math.min(context.warmupS, endS)),
      endS,
      operation: raw.operation === undefined ? null : stringField(`${wField}.operation`, raw.operation, 200),
      limits: readLimits(wField, raw, LATENCY_LIMIT_KEYS),
    };
  });
}

/** The time windows whose operations the recorder must keep apart for these criteria. */
export function criteriaWindows(criteria: ResolvedCriteria): ResolvedWindow[] {
  const windows: ResolvedWindow[] = criteria.windows.map(({ name, startS, endS }) => ({
    name,
    startS,
    endS,
  }));
  if (criteria.recovery !== null) windows.push(criteria.recovery.before, criteria.recovery.after);
  return windows;
}

type ReportWithoutVerdict = Omit<LoadTestReport, 'criteria' | 'passed'>;

/** Evaluates every criterion against a report (its criteria and verdict fields are ignored). */
export function evaluateCriteria(
  criteria: ResolvedCriteria,
  report: ReportWithoutVerdict,
): CriterionResult[] {
  const results: CriterionResult[] = [];
  const { limits } = criteria;
  const summary = report.summary;
  latencyResults(results, limits, summary, summary.operations, summary.errors, null, null);
  for (const [operation, opLimits] of Object.entries(criteria.operations)) {
    const stats = report.operations[operation];
    latencyResults(results, opLimits, stats, stats?.count ?? 0, stats?.errors ?? 0, operation, null);
  }
  for (const window of criteria.windows) {
    const data = report.windows.find((w) => w.name === window.name);
    const stats = window.operation === null ? data : data?.operations[window.operation];
    latencyResults(
      results,
      window.limits,
      stats,
      stats?.count ?? 0,
      stats?.errors ?? 0,
      window.operation,
      window.name,
    );
  }
  runResults(results, criteria, report);
  return results;
}

interface LatencyStats {
  latencyMs: LatencySummaryMs;
  serviceTimeMs?: LatencySummaryMs;
}

function latencyResults(
  results: CriterionResult[],
  limits: LatencyLimits,
  stats: LatencyStats | undefined,
  count: number,
  errors: number,
  operation: string | null,
  window: string | null,
): void {
  const scope = { operation, window };
  for (const [key, group, percentile, label] of LATENCY_KEYS) {
    const limit = limits[key];
    if (limit === undefined) continue;
    const summary = stats?.[group];
    const actual = count > 0 && summary !== undefined ? summary[percentile] : null;
    results.push(
      check(key, `${label} ≤ ${limit} ms`, scope, limit, actual, 'max', 'no operations were measured'),
    );
  }
  if (limits.errorRateMax !== undefined) {
    const actual = count > 0 ? errors / count : null;
    results.push(
      check(
        'errorRateMax',
        `error rate ≤ ${limits.errorRateMax}`,
        scope,
        limits.errorRateMax,
        actual,
        'max',
        'no operations were measured',
      ),
    );
  }
}

function runResults(
  results: CriterionResult[],
  criteria: ResolvedCriteria,
  report: ReportWithoutVerdict,
): void {
  const { limits } = criteria;
  const { summary, resources } = report;
  const scope = { operation: null, window: null };
  const add = (
    key: keyof RunLimits,
    description: string,
    actual: number | null,
    kind: 'max' | 'min',
    whyNull: string,
  ) => {
    const limit = limits[key];
    if (limit !== undefined)
      results.push(check(key, description.replace('$', String(limit)), scope, limit, actual, kind, whyNull));
  };
  const offered = summary.operations + summary.dropped;
  add(
    'droppedRatioMax',
    'dropped ratio ≤ $',
    offered > 0 ? summary.dropped / offered : null,
    'max',
    'no arrivals',
  );
  add('throughputOpsPerSMin', 'throughput ≥ $ ops/s', summary.throughputOpsPerS, 'min', '');
  add(
    'achievedRatioMin',
    'achieved/target rate ≥ $',
    summary.achievedRatio,
    'min',
    'no open-model load group',
  );
  add(
    'achievedRatioWindowMin',
    `achieved/target rate ≥ $ in every ${criteria.achievedRatioWindowS} s window`,
    worstWindowRatio(report, criteria.achievedRatioWindowS),
    'min',
    'no open-model load group',
  );
  add(
    'throughputOpsPerSWindowMin',
    `throughput ≥ $ ops/s in every ${criteria.achievedRatioWindowS} s window`,
    worstWindowThroughput(report, criteria.achievedRatioWindowS),
    'min',
    'no measured interval',
  );
  const growthMeasured =
    resources.memoryGrowthMbPerMin !== null && resources.memoryGrowthSpanS >= criteria.memoryGrowthSpanSMin;
  add(
    'memoryGrowthMbPerMinMax',
    'memory growth ≤ $ MB/min',
    growthMeasured ? resources.memoryGrowthMbPerMin : null,
    'max',
    `RSS was sampled over ${resources.memoryGrowthSpanS} s after warm-up, less than the ${criteria.memoryGrowthSpanSMin} s a slope needs`,
  );
  add('cpuPercentAvgMax', 'average CPU ≤ $ %', resources.cpuPercentAvg, 'max', '');
  add('cpuPercentMaxMax', 'peak CPU (1 s) ≤ $ %', resources.cpuPercentMax, 'max', '');
  add('eventLoopDelayMsP99Max', 'event-loop delay p99 ≤ $ ms', resources.eventLoopDelayMsP99, 'max', '');
  if (criteria.recovery !== null) {
    const before = report.windows.find((w) => w.name === criteria.recovery?.before.name);
    const after = report.windows.find((w) => w.name === criteria.recovery?.after.name);
    const measurable =
      before !== undefined &&
      after !== undefined &&
      before.count > 0 &&
      after.count > 0 &&
      before.latencyMs.p95 > 0;
    add(
      'recoveryFactorMax',
      'p95 after the spike ≤ $ × p95 before it',
      measurable ? round(after.latencyMs.p95 / before.latencyMs.p95, 4) : null,
      'max',
      'no operations before or after the spike',
    );
  }
}

interface WindowBucket {
  count: number;
  target: number;
  spanS: number;
}

/** The measured timeline cut into consecutive windows of `windowS` from the end of the warm-up. */
function windowBuckets(
  report: Pick<LoadTestReport, 'timeline' | 'warmupS' | 'durationS'>,
  windowS: number,
): WindowBucket[] {
  const buckets = new Map<number, WindowBucket>();
  for (const entry of report.timeline) {
    // An interval belongs where its middle is; ticks fire a little early or late.
    const middleS = entry.tS - entry.intervalS / 2;
    if (middleS < report.warmupS || middleS > report.durationS) continue;
    const key = Math.floor((middleS - report.warmupS) / windowS);
    const bucket = buckets.get(key) ?? { count: 0, target: 0, spanS: 0 };
    bucket.count += entry.count;
    bucket.target += entry.targetRate * entry.intervalS;
    bucket.spanS += entry.intervalS;
    buckets.set(key, bucket);
  }
  const all = [...buckets.values()];
  // A trailing window shorter than half a window says more about the cut than about the system.
  return all.length > 1 ? all.filter((b) => b.spanS >= windowS / 2) : all;
}

/** The lowest achieved/target ratio over consecutive windows of the measured timeline. */
export function worstWindowRatio(
  report: Pick<LoadTestReport, 'timeline' | 'warmupS' | 'durationS'>,
  windowS: number,
): number | null {
  const judged = windowBuckets(report, windowS).filter((b) => b.target > 0);
  if (judged.length === 0) return null;
  return round(Math.min(...judged.map((b) => b.count / b.target)), 4);
}

/** The lowest throughput (completions per second) over consecutive windows of the measured timeline. */
export function worstWindowThroughput(
  report: Pick<LoadTestReport, 'timeline' | 'warmupS' | 'durationS'>,
  windowS: number,
): number | null {
  const judged = windowBuckets(report, windowS).filter((b) => b.spanS > 0);
  if (judged.length === 0) return null;
  return round(Math.min(...judged.map((b) => b.count / b.spanS)), 3);
}

function check(
  key: string,
  description: string,
  scope: { operation: string | null; window: string | null },
  limit: number,
  actual: number | null,
  kind: 'max' | 'min',
  whyNull: string,
): CriterionResult {
  const result: CriterionResult = {
    name: criterionName(key),
    description,
    operation: scope.operation,
    window: scope.window,
    limit,
    actual: actual === null ? null : round(actual, 6),
    passed: actual === null ? true : kind === 'max' ? actual <= limit : actual >= limit,
  };
  if (actual === null) result.skipped = whyNull;
  return result;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Throws INVALID_ARGUMENT when `name` is not a preset. */
export function criteriaPreset(name: string): RunLimits {
  if (!Object.hasOwn(CRITERIA_PRESETS, name)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a criteria preset (${Object.keys(CRITERIA_PRESETS).join(', ')}), got "${name}"`,
    );
  }
  return { ...CRITERIA_PRESETS[name as CriteriaPresetName] };
}
