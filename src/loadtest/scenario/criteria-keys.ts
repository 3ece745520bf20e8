/**
 * The criteria keys a scenario file may set, in the file's spelling (`latency_ms_p95_max`), and
 * which of them the engine evaluates (`criteria.ts`, whose keys are these in camelCase) and which
 * the tiervec target checks from the store's own state after the load (lost writes, tier movement,
 * tenant isolation). `_max` keys fail when the actual value is above the limit, `_min` keys when it
 * is below.
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

/**
 * Fail fast: `abort_on_fail = ["latency_ms_p95_max"]` lists whole-run criteria of the same table
 * whose failure stops the run; these are the ones the engine can judge while the run goes on.
 */
export const ABORT_ON_FAIL_KEY = 'abort_on_fail';
export const ABORTABLE_CRITERIA_KEYS = Object.freeze([
  ...LATENCY_CRITERIA_KEYS,
  'dropped_ratio_max',
] as const);

/** Seconds: after the warm-up before `abort_on_fail` is judged; of all-failing operations before a stop (0: never). */
export const FAIL_FAST_SETTING_KEYS = Object.freeze([
  'abort_on_fail_delay_s',
  'abort_on_all_errors_s',
] as const);

/** Checked by the tiervec target from the store's own state after the load. */
export const TARGET_CRITERIA_KEYS = Object.freeze([
  /** Acknowledged writes that could not be read back after the load. */
  'acknowledged_writes_lost_max',
  /** Peak resident memory of the process, MiB (large datasets: memory stays inside the budgets). */
  'rss_mb_max',
  /** Tier transitions (promotions and demotions) during the run, at least. */
  'tier_transitions_min',
  /** Foreground p95 service time with background work over p95 before it, at most. */
  'background_p95_factor_max',
  /** Slowest quiet tenant's p95 service time over the fastest's, at most (fairness). */
  'tenant_p95_spread_max',
  /** Reads that returned another tenant's documents, at most (isolation: 0). */
  'tenant_isolation_violations_max',
  /** Quiet tenants' failed operations over their operations, at most. */
  'quiet_tenant_error_rate_max',
] as const);

export type TargetCriterionKey = (typeof TARGET_CRITERIA_KEYS)[number];

export const CRITERIA_PRESETS = Object.freeze(['production', 'development', 'none'] as const);

/** `latency_ms_p95_max` → `latencyMsP95Max`, the engine's spelling. */
export function camelCaseKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
