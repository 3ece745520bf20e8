/**
 * The criteria keys a scenario file may set, in the file's spelling (`latency_ms_p95_max`), and
 * which of them the engine evaluates (`criteria.ts`, whose keys are these in camelCase). The keys the
 * tiervec target checks from the store's own state after the load (lost writes, tier movement,
 * tenant isolation) are the target's: `TARGET_CRITERIA_KEYS` in `targets/tiervec-config.ts`. `_max`
 * keys fail when the actual value is above the limit, `_min` keys when it is below.
 */

/** Latency and error limits: the whole run, one operation (`[criteria.search]`) or a window. */
export const LATENCY_CRITERIA_KEYS = Object.freeze([
  'latency_ms_p50_max',
  'latency_ms_p90_max',
  'latency_ms_p95_max',
  'latency_ms_p99_max',
  'latency_ms_p999_max',
  'latency_ms_max_max',
  'latency_ms_mean_max',
  'service_time_ms_p50_max',
  'service_time_ms_p95_max',
  'service_time_ms_p99_max',
  'error_rate_max',
] as const);

/** Limits on the whole run, evaluated by the engine after warm-up. */
export const RUN_CRITERIA_KEYS = Object.freeze([
  ...LATENCY_CRITERIA_KEYS,
  'dropped_ratio_max',
  'throughput_ops_per_s_min',
  'achieved_ratio_min',
  'achieved_ratio_window_min',
  'throughput_ops_per_s_window_min',
  'memory_growth_mb_per_min_max',
  'cpu_percent_avg_max',
  'cpu_percent_max_max',
  'event_loop_delay_ms_p99_max',
  /** p95 after the spike over p95 before it (a `spike` profile is required). */
  'recovery_factor_max',
] as const);

/** Settings of the engine's criteria that are not limits. */
export const CRITERIA_SETTING_KEYS = Object.freeze([
  'achieved_ratio_window_s',
  'memory_growth_span_s_min',
  'recovery_delay_pct',
] as const);

/** `latency_ms_p95_max` → `latencyMsP95Max`, the engine's spelling. */
export function camelCaseKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
