/**
 * What a short run judges. A short run lasts seconds on whatever machine runs it, often a shared
 * 2-core CI runner with other work on it, so its verdict must say what is true of the software:
 * nothing acknowledged lost, isolation, recovery, the achieved rate, error budgets, and latency within
 * limits loose enough that a 2-core machine with one core taken by another process still meets them.
 * Figures that measure the machine rather than the software (average and peak CPU, event-loop delay,
 * memory growth over a few seconds) are still measured and reported, but judged only in full runs;
 * every latency limit gets `SHORT_MODE_LATENCY_FACTOR` times its full-run value.
 *
 * This module only rewrites a criteria configuration; it never evaluates one and never loosens an
 * error budget, an achieved-rate floor, a recovery factor or a check of the target's.
 */

import { CRITERIA_PRESETS, type CriteriaConfig, type LatencyLimits } from './criteria.ts';

/** Short runs allow this many times each latency limit of the full run. */
export const SHORT_MODE_LATENCY_FACTOR = 4;

/** Limits on the machine's capacity: reported in short runs, judged in full ones. */
export const CAPACITY_LIMIT_KEYS = Object.freeze([
  'cpuPercentAvgMax',
  'cpuPercentMaxMax',
  'eventLoopDelayMsP99Max',
  'memoryGrowthMbPerMinMax',
] as const);

const isLatencyKey = (key: string) => key.startsWith('latencyMs') || key.startsWith('serviceTimeMs');

function scaleLatency<T extends LatencyLimits>(limits: T): T {
  const result: Record<string, unknown> = { ...(limits as Record<string, unknown>) };
  for (const [key, value] of Object.entries(limits)) {
    if (isLatencyKey(key) && typeof value === 'number') result[key] = value * SHORT_MODE_LATENCY_FACTOR;
  }
  return result as T;
}

/**
 * The configuration a short run is judged by: the preset spelled out (so its capacity limits can
 * be left out), capacity limits removed, latency limits multiplied by SHORT_MODE_LATENCY_FACTOR,
 * everything else as given.
 */
export function shortModeCriteria(config: CriteriaConfig): CriteriaConfig {
  const presetName = config.preset ?? 'development';
  const preset: Record<string, unknown> = Object.hasOwn(CRITERIA_PRESETS, presetName)
    ? { ...CRITERIA_PRESETS[presetName] }
    : {};
  const result: CriteriaConfig = scaleLatency({ ...preset, ...config, preset: 'none' });
  for (const key of CAPACITY_LIMIT_KEYS) delete result[key];
  if (config.operations !== undefined) {
    result.operations = Object.fromEntries(
      Object.entries(config.operations).map(([name, limits]) => [name, scaleLatency(limits)]),
    );
  }
  if (config.windows !== undefined) result.windows = config.windows.map(scaleLatency);
  return result;
}
