/**
 * Success criteria: the limits a run must meet, from a preset overridden key by key, and resolved
 * against the run's duration (windows may be given as fractions of it). Evaluating them against a
 * report is `evaluate-criteria.ts`; this module never reads a report, so the report's schema may name
 * the resolved criteria without an import running back here.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import {
  type AbortableCriterion,
  FAIL_FAST_KEYS,
  type FailFastConfig,
  readAbortOnFail,
  resolveFailFast,
  WINDOW_ABORTABLE_CRITERIA,
} from './fail-fast-config.ts';
import {
  enumField,
  fieldError,
  numberField,
  objectField,
  optionalNumberField,
  rejectUnknownKeys,
  stringField,
  timeField,
} from './field-check.ts';

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
  /** Criteria of this window whose failure stops the run (response-time and error-rate ones). */
  abortOnFail?: AbortableCriterion[];
}

/** One operation's limits, and those whose failure stops the run. */
export interface OperationCriteriaConfig extends LatencyLimits {
  abortOnFail?: AbortableCriterion[];
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
  operations?: Record<string, OperationCriteriaConfig>;
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
/** The presets' names, as a configuration or a scenario file spells them. */
export const CRITERIA_PRESET_NAMES = Object.freeze(Object.keys(CRITERIA_PRESETS) as CriteriaPresetName[]);

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
/** The percentiles and other figures a latency limit may name (the keys of a report's latency summary). */
export type LatencyFigure = 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max' | 'mean';
/** Each latency limit with the summary it reads (response or service time), its figure and its label. */
export const LATENCY_KEYS: ReadonlyArray<[LatencyKey, 'latencyMs' | 'serviceTimeMs', LatencyFigure, string]> =
  [
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
  'abortOnFail',
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
  const preset = enumField(`${field}.preset`, raw.preset ?? CRITERIA_DEFAULTS.preset, CRITERIA_PRESET_NAMES);
  const limits: RunLimits = { ...CRITERIA_PRESETS[preset], ...readLimits(field, raw, RUN_LIMIT_KEYS) };
  const operations: Record<string, LatencyLimits> = {};
  const abortOperations: FailFastConfig['operations'] = {};
  if (raw.operations !== undefined) {
    const ops = objectField(`${field}.operations`, raw.operations);
    if (Object.keys(ops).length > CRITERIA_BLOCKS_MAX) {
      throw fieldError(
        `${field}.operations`,
        `at most ${CRITERIA_BLOCKS_MAX} operations`,
        Object.keys(ops).length,
      );
    }
    for (const [name, value] of Object.entries(ops)) {
      const opField = `${field}.operations.${name}`;
      const opRaw = objectField(opField, value);
      rejectUnknownKeys(opField, opRaw, [...LATENCY_LIMIT_KEYS, 'abortOnFail']);
      const opLimits = readLimits(opField, opRaw, LATENCY_LIMIT_KEYS);
      operations[name] = opLimits;
      const abort = readAbortOnFail(opRaw.abortOnFail, opField, opLimits as Record<string, number>);
      if (abort.length > 0) abortOperations[name] = abort;
    }
  }
  const windows = resolveWindows(raw.windows, context, `${field}.windows`);
  const abortWindows = (Array.isArray(raw.windows) ? raw.windows : []).map((item, i) =>
    readAbortOnFail(
      (item as Record<string, unknown>).abortOnFail,
      `${field}.windows[${i}]`,
      (windows[i]?.limits ?? {}) as Record<string, number>,
      WINDOW_ABORTABLE_CRITERIA,
    ),
  );
  let recovery: ResolvedCriteria['recovery'] = null;
  if (limits.recoveryFactorMax !== undefined) {
    if (context.spike === undefined) {
      throw fieldError(
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
    failFast: resolveFailFast(raw, field, limits as Record<string, number | undefined>, {
      operations: abortOperations,
      windows: abortWindows,
    }),
  };
}

function resolveWindows(
  value: unknown,
  context: CriteriaContext,
  field: string,
): ResolvedCriteria['windows'] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > CRITERIA_BLOCKS_MAX) {
    throw fieldError(field, `a list of at most ${CRITERIA_BLOCKS_MAX} windows`, value);
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
        throw fieldError(
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
      throw fieldError(`${wField}.end${raw.endS === undefined ? 'Fraction' : 'S'}`, 'after the start', endS);
    const name =
      raw.name === undefined
        ? ((raw.during as string | undefined) ?? `window ${i + 1}`)
        : stringField(`${wField}.name`, raw.name, 64);
    if (names.has(name)) throw fieldError(`${wField}.name`, 'a name no other window has', name);
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
