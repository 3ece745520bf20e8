/**
 * Maps a checked scenario onto the engine's `LoadTestConfig` for one run (keys renamed, criteria
 * windows turned from percentages into seconds; profiles pass through, being the engine's own specs
 * already, scaled when the command line sets the rate), and maps the engine's own validation errors
 * back onto the scenario file: the engine names fields by their configuration path
 * (`groups[1].thinkTimeMs`), which this module turns into the file's key (`group[1].think_time_ms`)
 * and line. Target criteria (lost writes, tier movement, tenants) are not the engine's: they go to the
 * target's configuration.
 */

import { isTierVecError, type TierVecError } from '../../errors.ts';
import type { LoadConfig, LoadGroupConfig, LoadTestConfig } from '../config.ts';
import type {
  CriteriaConfig,
  LatencyLimits,
  OperationCriteriaConfig,
  WindowCriteriaConfig,
} from '../criteria.ts';
import { scenarioError } from '../field-check.ts';
import { scaleProfile } from '../profile-spec.ts';
import { shortModeCriteria } from '../short-mode-criteria.ts';
import { TARGET_CRITERIA_KEYS } from '../targets/tiervec-config.ts';
import { indexTomlLines } from '../toml-lines.ts';
import { camelCaseKey } from './criteria-keys.ts';
import type { CriteriaSpec, LoadGroupSpec, ScenarioMode, ScenarioSpec } from './scenario-types.ts';

/** The engine's configuration of a scenario run: a `LoadTestConfig` whose run facts are always set. */
export type ScenarioLoadTestConfig = LoadTestConfig & {
  description: string;
  mode: ScenarioMode;
  seed: number;
  warmupS: number;
};

/** What a run chose: the mode, the seed, the duration and the factor every rate is scaled by. */
export interface RunChoice {
  mode: ScenarioMode;
  seed: number;
  durationS: number;
  rateFactor: number;
}

export function toLoadTestConfig(spec: ScenarioSpec, run: RunChoice): ScenarioLoadTestConfig {
  const groups = spec.groups.map((group) => toGroupConfig(group, run.rateFactor));
  const config: ScenarioLoadTestConfig = {
    name: spec.name,
    description: spec.description,
    mode: run.mode,
    seed: run.seed,
    durationS: run.durationS,
    // A duration shortened on the command line keeps at least three quarters of the run measured.
    warmupS: Math.min(spec.duration.warmupS, run.durationS / 4),
    criteria:
      run.mode === 'short'
        ? shortModeCriteria(toCriteriaConfig(spec.criteria, run.durationS))
        : toCriteriaConfig(spec.criteria, run.durationS),
  };
  if (spec.duration.graceS !== undefined) config.gracePeriodS = spec.duration.graceS;
  if (spec.groups.length === 1 && spec.groups[0]?.name === 'main') {
    const { name: _name, mix, ...load } = groups[0] as LoadGroupConfig;
    config.load = load;
    config.mix = mix;
  } else {
    config.groups = groups;
  }
  return config;
}

function toGroupConfig(group: LoadGroupSpec, rateFactor: number): LoadGroupConfig {
  const load: LoadConfig = { model: group.model, inFlightMax: group.inFlightMax };
  if (group.model === 'open') {
    load.arrival = group.arrival;
    load.onSaturation = group.onSaturation;
    if (group.queueMax !== undefined) load.queueLengthMax = group.queueMax;
    const { profile } = group;
    if (profile !== undefined) load.profile = rateFactor === 1 ? profile : scaleProfile(profile, rateFactor);
  } else {
    load.thinkTimeMs = group.thinkTimeMs;
  }
  return { name: group.name, mix: { ...group.mix } as Record<string, number>, ...load };
}

function camelLimits(limits: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, value] of Object.entries(limits)) {
    if (!(TARGET_CRITERIA_KEYS as readonly string[]).includes(key)) result[camelCaseKey(key)] = value;
  }
  return result;
}

const abortKeys = (names: readonly string[]) =>
  names.map(camelCaseKey) as NonNullable<CriteriaConfig['abortOnFail']>;

function toCriteriaConfig(criteria: CriteriaSpec, durationS: number): CriteriaConfig {
  const config: CriteriaConfig = { ...camelLimits(criteria.limits) };
  config.preset = criteria.preset ?? 'development';
  const { achieved_ratio_window_s, memory_growth_span_s_min, recovery_delay_pct } = criteria.settings;
  if (achieved_ratio_window_s !== undefined) config.achievedRatioWindowS = achieved_ratio_window_s;
  if (memory_growth_span_s_min !== undefined) config.memoryGrowthSpanSMin = memory_growth_span_s_min;
  if (recovery_delay_pct !== undefined) config.recoveryDelayS = (recovery_delay_pct / 100) * durationS;
  const { abort_on_fail_delay_s, abort_on_all_errors_s } = criteria.settings;
  if (abort_on_fail_delay_s !== undefined) config.abortOnFailDelayS = abort_on_fail_delay_s;
  if (abort_on_all_errors_s !== undefined) config.abortOnAllErrorsS = abort_on_all_errors_s;
  if (criteria.abortOnFail !== undefined) config.abortOnFail = abortKeys(criteria.abortOnFail);
  const operations = Object.entries(criteria.operations);
  if (operations.length > 0) {
    config.operations = Object.fromEntries(
      operations.map(([name, limits]) => {
        const block: OperationCriteriaConfig = camelLimits(limits ?? {}) as LatencyLimits;
        const abort = criteria.operationsAbortOnFail?.[name as keyof CriteriaSpec['operations']];
        if (abort !== undefined) block.abortOnFail = abortKeys(abort);
        return [name, block];
      }),
    );
  }
  if (criteria.windows.length > 0) {
    config.windows = criteria.windows.map((window) => {
      const result: WindowCriteriaConfig = { ...(camelLimits(window.limits) as LatencyLimits) };
      if (window.name !== undefined) result.name = window.name;
      if (window.during !== undefined) result.during = window.during;
      if (window.startPct !== undefined) result.startS = (window.startPct / 100) * durationS;
      if (window.endPct !== undefined) result.endS = (window.endPct / 100) * durationS;
      if (window.operation !== undefined) result.operation = window.operation;
      if (window.abortOnFail !== undefined) result.abortOnFail = abortKeys(window.abortOnFail);
      return result;
    });
  }
  return config;
}

const FIELD_RENAMES: Record<string, string> = {
  groups: 'group',
  windows: 'window',
  queueLengthMax: 'queue_max',
};

/**
 * Re-words an engine SCENARIO_INVALID error (which names a configuration path) as one naming the
 * scenario file, line and key; other errors pass through.
 */
export function toScenarioError(error: unknown, file: string, text: string): unknown {
  if (!isTierVecError(error) || error.code !== 'SCENARIO_INVALID') return error;
  const field = error.details?.field;
  if (typeof field !== 'string') return error;
  const path: Array<string | number> = [];
  for (const part of field.split('.')) {
    const indexed = /^(\w+)\[(\d+)\]$/.exec(part);
    const name = indexed ? (indexed[1] as string) : part;
    if (name === 'operations' && path[0] === 'criteria') continue;
    path.push(FIELD_RENAMES[name] ?? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    if (indexed) path.push(Number(indexed[2]));
  }
  const wrapped: TierVecError = scenarioError(path, error.message, {
    source: { file, lines: indexTomlLines(text) },
  });
  return Object.assign(wrapped, { cause: error });
}
