/**
 * The criteria keys a scenario file may set, and which of them the engine evaluates and which the
 * tiervec target evaluates at teardown (facts only the store knows: lost writes, tier movement,
 * tenant isolation). Limits are numbers; `_max` keys fail when the actual value is above the limit,
 * `_min` keys when it is below.
 */

/** Evaluated by the engine over the whole run (or the group), after warm-up. */
export const RUN_CRITERIA_KEYS = Object.freeze([
  'latency_ms_p50_max',
  'latency_ms_p90_max',
  'latency_ms_p95_max',
  'latency_ms_p99_max',
  'latency_ms_p999_max',
  'latency_ms_max_max',
  'error_rate_max',
  'throughput_ops_per_s_min',
  'achieved_ratio_min',
  'window_achieved_ratio_min',
  'dropped_ratio_max',
  'memory_growth_mb_per_min_max',
  'cpu_percent_avg_max',
  'recovery_p95_factor_max',
  'spike_latency_ms_p95_max',
] as const);

/** Evaluated by the engine on one operation (`[criteria.search]`). */
export const OPERATION_CRITERIA_KEYS = Object.freeze([
  'latency_ms_p50_max',
  'latency_ms_p90_max',
  'latency_ms_p95_max',
  'latency_ms_p99_max',
  'latency_ms_p999_max',
  'latency_ms_max_max',
  'error_rate_max',
  'throughput_ops_per_s_min',
] as const);

/** Evaluated by the tiervec target from the store's own state at teardown. */
export const TARGET_CRITERIA_KEYS = Object.freeze([
  /** Acknowledged writes that could not be read back at teardown. */
  'acknowledged_writes_lost_max',
  /** Peak resident memory of the process, MiB (large datasets: memory stays inside the budgets). */
  'rss_mb_max',
  /** Tier transitions (promotions and demotions) during the run, at least. */
  'tier_transitions_min',
  /** Foreground p95 with background work over p95 before it, at most. */
  'background_p95_factor_max',
  /** Slowest quiet tenant's p95 over the fastest's, at most (fairness under a noisy neighbour). */
  'tenant_p95_spread_max',
  /** Operations that saw another tenant's data, at most (isolation: 0). */
  'tenant_isolation_violations_max',
  /** Errors of quiet tenants' operations over their operations, at most. */
  'quiet_tenant_error_rate_max',
] as const);

export type RunCriterionKey = (typeof RUN_CRITERIA_KEYS)[number];
export type OperationCriterionKey = (typeof OPERATION_CRITERIA_KEYS)[number];
export type TargetCriterionKey = (typeof TARGET_CRITERIA_KEYS)[number];

export const CRITERIA_PRESETS = Object.freeze(['production', 'development'] as const);
