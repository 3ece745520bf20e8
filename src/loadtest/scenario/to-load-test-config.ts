/**
 * Maps a resolved scenario onto the engine's `LoadTestConfig` (keys renamed, percentages already
 * turned into seconds), and maps the engine's own validation errors back onto the scenario file:
 * the engine names fields by their configuration path (`groups[1].thinkTimeMs`), which this module
 * turns into the file's key (`group[1].think_time_ms`) and line. Target criteria (lost writes, tier
 * movement, tenants) are not the engine's: they stay with the scenario for the target to check.
 */

import { isTierVecError, type TierVecError } from '../../errors.ts';
import type { LoadConfig, LoadGroupConfig, LoadTestConfig } from '../config.ts';
import type { CriteriaConfig, LatencyLimits, WindowCriteriaConfig } from '../criteria.ts';
import type { ProfileSpec } from '../profiles.ts';
import { shortModeCriteria } from '../short-mode-criteria.ts';
import { indexTomlLines } from '../toml-lines.ts';
import { camelCaseKey, TARGET_CRITERIA_KEYS } from './criteria-keys.ts';
import type { ResolvedGroup, ResolvedProfile, ResolvedScenario } from './resolve-scenario.ts';
import type { CriteriaSpec } from './scenario-types.ts';
import { scenarioError } from './table-reader.ts';

export function toLoadTestConfig(scenario: ResolvedScenario): LoadTestConfig {
  const groups = scenario.groups.map(toGroupConfig);
  const config: LoadTestConfig = {
    name: scenario.name,
    description: scenario.description,
    mode: scenario.mode,
    seed: scenario.seed,
    durationS: scenario.durationS,
    warmupS: scenario.warmupS,
    criteria:
      scenario.mode === 'short'
        ? shortModeCriteria(toCriteriaConfig(scenario.criteria, scenario.durationS))
        : toCriteriaConfig(scenario.criteria, scenario.durationS),
  };
  if (scenario.graceS !== undefined) config.gracePeriodS = scenario.graceS;
  if (scenario.spec.groups.length === 1 && scenario.groups[0]?.name === 'main') {
    const { name: _name, mix, ...load } = groups[0] as LoadGroupConfig;
    config.load = load;
    config.mix = mix;
  } else {
    config.groups = groups;
  }
  return config;
}

function toGroupConfig(group: ResolvedGroup): LoadGroupConfig {
  const load: LoadConfig = { model: group.model, inFlightMax: group.inFlightMax };
  if (group.model === 'open') {
    load.arrival = group.arrival;
    load.onSaturation = group.onSaturation;
    if (group.queueMax !== undefined) load.queueLengthMax = group.queueMax;
    load.profile = toProfileSpec(group.profile as ResolvedProfile);
  } else {
    load.thinkTimeMs = group.thinkTimeMs;
  }
  return { name: group.name, mix: { ...group.mix } as Record<string, number>, ...load };
}

export function toProfileSpec(profile: ResolvedProfile): ProfileSpec {
  switch (profile.kind) {
    case 'constant':
      return { kind: 'constant', rate: profile.rate };
    case 'ramp':
      return {
        kind: 'ramp',
        fromRate: profile.fromRate,
        toRate: profile.toRate,
        durationS: profile.durationS,
      };
    case 'stages':
      return {
        kind: 'stages',
        startRate: profile.startRate,
        stages: profile.stages.map((stage) => ({ rate: stage.rate, durationS: stage.durationS })),
      };
    case 'spike':
      return {
        kind: 'spike',
        rate: profile.rate,
        spikeRate: profile.spikeRate,
        startS: profile.startS,
        lengthS: profile.lengthS,
      };
    case 'periodic':
      return { kind: 'periodic', rate: profile.rate, amplitude: profile.amplitude, periodS: profile.periodS };
    case 'periodic_burst':
      return {
        kind: 'periodic_burst',
        rate: profile.rate,
        burstRate: profile.burstRate,
        burstLengthS: profile.burstLengthS,
        periodS: profile.periodS,
      };
    case 'bursty':
      return {
        kind: 'bursty',
        rate: profile.rate,
        burstFactor: profile.burstFactor,
        burstProbability: profile.burstProbability,
        intervalS: profile.intervalS,
      };
    case 'random':
      return {
        kind: 'random',
        minRate: profile.minRate,
        maxRate: profile.maxRate,
        changeEveryS: profile.changeEveryS,
      };
  }
}

function camelLimits(limits: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, value] of Object.entries(limits)) {
    if (!(TARGET_CRITERIA_KEYS as readonly string[]).includes(key)) result[camelCaseKey(key)] = value;
  }
  return result;
}

function toCriteriaConfig(criteria: CriteriaSpec, durationS: number): CriteriaConfig {
  const config: CriteriaConfig = { ...camelLimits(criteria.limits) };
  config.preset = criteria.preset ?? 'development';
  const { achieved_ratio_window_s, memory_growth_span_s_min, recovery_delay_pct } = criteria.settings;
  if (achieved_ratio_window_s !== undefined) config.achievedRatioWindowS = achieved_ratio_window_s;
  if (memory_growth_span_s_min !== undefined) config.memoryGrowthSpanSMin = memory_growth_span_s_min;
  if (recovery_delay_pct !== undefined) config.recoveryDelayS = (recovery_delay_pct / 100) * durationS;
  const operations = Object.entries(criteria.operations);
  if (operations.length > 0) {
    config.operations = Object.fromEntries(
      operations.map(([name, limits]) => [name, camelLimits(limits ?? {}) as LatencyLimits]),
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
      return result;
    });
  }
  return config;
}

/** The target's criteria from a scenario: `acknowledged_writes_lost_max` and the like, with limits. */
export function targetCriteria(
  criteria: CriteriaSpec,
): Partial<Record<(typeof TARGET_CRITERIA_KEYS)[number], number>> {
  const result: Record<string, number> = {};
  for (const key of TARGET_CRITERIA_KEYS) {
    const limit = criteria.limits[key];
    if (limit !== undefined) result[key] = limit;
  }
  return result;
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
  const wrapped: TierVecError = scenarioError({ file, lines: indexTomlLines(text) }, path, error.message);
  return Object.assign(wrapped, { cause: error });
}
