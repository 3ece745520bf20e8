/**
 * The load-test report: the one object `runLoadTest` returns, `report.json` holds, and the Markdown,
 * HTML, merge and compare modules read. Version 1 of the schema; every field ARCHITECTURE.md lists
 * is here under its listed name, and fields are only ever added. Latencies are in milliseconds,
 * histograms are HdrHistogram compressed base64 of microseconds, so that reports of runs in several
 * processes or on several machines merge exactly.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { StopCause } from '../fail-fast-config.ts';
import type { LatencySummaryMs } from '../histogram.ts';
import type { ProfileDescription } from '../profile-spec.ts';

export const REPORT_SCHEMA_VERSION = 1;

export type { LatencySummaryMs };

export interface PercentilesMs {
  p50: number;
  p95: number;
  p99: number;
}

export interface SummaryReport {
  /** Operations whose intended start fell after the warm-up (completed, failed or cut off). */
  operations: number;
  errors: number;
  errorRate: number;
  /** Arrivals refused because `inFlightMax` was reached and the queue was full or disabled. */
  dropped: number;
  /** Operations still queued or running when the grace period ended (counted in `errors`). */
  cutOff: number;
  /** Completions between the end of the warm-up and the end of the arrival window, per second. */
  throughputOpsPerS: number;
  /** Expected arrivals of the open-model groups over the same window, per second; null when closed only. */
  targetOpsPerS: number | null;
  /** Achieved over target throughput of the open-model groups; null when closed only. */
  achievedRatio: number | null;
  /** Response time, from each operation's intended start (corrected for coordinated omission). */
  latencyMs: LatencySummaryMs;
  /** Service time, from each operation's actual start. */
  serviceTimeMs: LatencySummaryMs;
}

export interface OperationReport {
  count: number;
  errors: number;
  errorsByCode: Record<string, number>;
  /** The first few messages of each error code (absent in reports written before they were kept). */
  errorSamples?: Record<string, string[]>;
  dropped: number;
  cutOff: number;
  latencyMs: LatencySummaryMs;
  serviceTimeMs: LatencySummaryMs;
  /** Response times of failed operations only (their real latency). */
  errorLatencyMs: LatencySummaryMs;
  /** Response-time histogram (µs, compressed base64). */
  histogram: string;
  serviceTimeHistogram: string;
  errorHistogram: string;
}

export interface GroupReport {
  model: 'open' | 'closed';
  arrival: 'uniform' | 'poisson' | null;
  inFlightMax: number;
  onSaturation: 'queue' | 'drop' | null;
  queueLengthMax: number | null;
  thinkTimeMs: number | null;
  profile: ProfileDescription | null;
  mix: Record<string, number>;
  operations: number;
  errors: number;
  dropped: number;
  cutOff: number;
  /** Most arrivals waiting in the queue at once. */
  queuedMax: number;
  throughputOpsPerS: number;
  targetOpsPerS: number | null;
  achievedRatio: number | null;
}

export interface TimelineOperation {
  count: number;
  errors: number;
  latencyMs: PercentilesMs;
  /** Median service time of the interval's operations (absent in older reports and when none started). */
  serviceTimeMsP50?: number;
  /** The interval's response times (µs, compressed base64); kept by segment runs so that merges add them. */
  histogram?: string;
}

export interface TimelineEntry {
  /** Seconds since the start at the end of this interval. */
  tS: number;
  intervalS: number;
  targetRate: number;
  achievedRate: number;
  /** Completions within the interval. */
  count: number;
  inFlight: number;
  queued: number;
  dropped: number;
  errors: number;
  latencyMs: PercentilesMs;
  operations: Record<string, TimelineOperation>;
  rssBytes: number;
  heapUsedBytes: number;
  cpuPercent: number;
  eventLoopDelayMsP99: number;
  gauges: Record<string, number>;
  /** Errors of the interval by code, warm-up included (absent in older reports). */
  errorsByCode?: Record<string, number>;
  /** The interval's response times (µs, compressed base64); kept by segment runs so that merges add them. */
  histogram?: string;
}

export interface ResourcesReport {
  rssBytesStart: number;
  rssBytesEnd: number;
  rssBytesMax: number;
  /** Least-squares slope of RSS after the warm-up; null with fewer than two samples. */
  memoryGrowthMbPerMin: number | null;
  /** Span of the samples the slope was fitted on. */
  memoryGrowthSpanS: number;
  cpuPercentAvg: number;
  cpuPercentMax: number;
  eventLoopDelayMsP99: number;
  heapUsedBytesMax: number;
  /**
   * CPU the machine's other processes used on average over the measured part, in cores (all CPU
   * time the operating system counted minus this process's); absent in older reports.
   */
  otherCpuCoresAvg?: number;
  /** Logical CPUs of the machine; absent in older reports. */
  cpuCores?: number;
}

export interface WindowOperation {
  count: number;
  errors: number;
  latencyMs: LatencySummaryMs;
  histogram: string;
}

/** Operations whose intended start fell in [startS, endS): the data window and recovery criteria read. */
export interface WindowReport {
  name: string;
  startS: number;
  endS: number;
  count: number;
  errors: number;
  latencyMs: LatencySummaryMs;
  operations: Record<string, WindowOperation>;
}

export interface SchedulerReport {
  /** Actual minus intended start of arrivals that started without waiting in the queue. */
  latenessMs: LatencySummaryMs;
  latenessHistogram: string;
  queuedMax: number;
}

export interface CriterionResult {
  /** The criterion's key as a scenario file spells it (`latency_ms_p95_max`). */
  name: string;
  description: string;
  /** null for the whole run. */
  operation: string | null;
  /** The time window the criterion applies to; null for the whole measured run. */
  window: string | null;
  limit: number;
  /** null when the criterion could not be measured (see `skipped`). */
  actual: number | null;
  passed: boolean;
  /** Why the criterion was not evaluated (it then counts as passed). */
  skipped?: string;
  /** `target` for the checks a target made of itself (`LoadTarget.verify`). */
  source?: 'target';
}

export interface LoadTestReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  scenario: string;
  description: string;
  mode: string;
  seed: number;
  startedAt: string;
  /** Length of the arrival window actually run (shorter than planned when stopped early). */
  durationS: number;
  plannedDurationS: number;
  warmupS: number;
  stopReason: 'completed' | 'aborted';
  /** Present when the run stopped itself (fail fast) rather than being stopped by its caller. */
  stoppedBy?: StopCause;
  model: 'open' | 'closed' | 'mixed';
  /** The first group's profile (see `groups` for every group's). */
  profile: ProfileDescription | null;
  target: { name: string; info: Record<string, unknown> };
  summary: SummaryReport;
  operations: Record<string, OperationReport>;
  groups: Record<string, GroupReport>;
  timeline: TimelineEntry[];
  resources: ResourcesReport;
  windows: WindowReport[];
  scheduler: SchedulerReport;
  /** The limits the criteria were evaluated against, kept so that merged reports can be re-evaluated. */
  criteriaConfig: import('../criteria.ts').ResolvedCriteria;
  criteria: CriterionResult[];
  passed: boolean;
  warnings: string[];
  environment: { node: string; platform: string; arch: string; cpus: number };
  /** Present on merged reports: how many runs went in (and, when they were segments of one run, how many). */
  merged?: { runs: number; scenarios: string[]; seeds: number[]; segments?: number };
  /** Present on the report of one execution segment of a run split over processes (`--segment i/n`). */
  segment?: { index: number; count: number };
}

/**
 * Checks that `value` looks like a report of this schema version (enough for merge and compare to
 * rely on its fields); throws INVALID_ARGUMENT naming `what` otherwise.
 */
export function assertReport(value: unknown, what = 'report'): asserts value is LoadTestReport {
  const fail = (expectation: string, got: unknown): never => {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${what} to ${expectation}, got ${describeValue(got)}`,
    );
  };
  if (typeof value !== 'object' || value === null) fail('be a load-test report object', value);
  const report = value as Record<string, unknown>;
  if (report.schemaVersion !== REPORT_SCHEMA_VERSION) {
    fail(`have schemaVersion ${REPORT_SCHEMA_VERSION}`, report.schemaVersion);
  }
  for (const key of ['summary', 'operations', 'groups', 'resources', 'scheduler', 'criteriaConfig']) {
    if (typeof report[key] !== 'object' || report[key] === null)
      fail(`have an object \`${key}\``, report[key]);
  }
  for (const key of ['timeline', 'windows', 'criteria']) {
    if (!Array.isArray(report[key])) fail(`have an array \`${key}\``, report[key]);
  }
  for (const [name, op] of Object.entries(report.operations as Record<string, unknown>)) {
    const histogram = (op as Record<string, unknown> | null)?.histogram;
    if (typeof histogram !== 'string') fail(`have a histogram for operation \`${name}\``, histogram);
  }
}
