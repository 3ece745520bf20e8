/**
 * Merging the reports of runs that loaded one system together (several processes or machines each
 * driving part of the load): counts and rates add, histograms add exactly and every percentile is
 * recomputed from the sums, and the criteria are evaluated again on the merged figures. Per-process
 * figures that cannot be added meaningfully — timeline percentiles, RSS, CPU, event-loop delay and
 * gauges — take the highest value among the runs (the worst process), which the report states.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import { checkSegments } from '../workers/segment-merge.ts';
import { judge } from './build.ts';
import { checkMergeable, combineTargetChecks, mergedDescription } from './merge-validation.ts';
import { buildOperationReport, operationPart, sumHistograms } from './operation-report.ts';
import {
  assertReport,
  type GroupReport,
  type LoadTestReport,
  type OperationReport,
  type PercentilesMs,
  type ResourcesReport,
  type SchedulerReport,
  type SummaryReport,
  type TimelineEntry,
  type WindowReport,
} from './schema.ts';

/** The most reports one merge accepts. */
export const MERGE_REPORTS_MAX = 1_000;

/** The items that are not undefined. */
const defined = <T>(items: ReadonlyArray<T | undefined>): T[] =>
  items.filter((item): item is T => item !== undefined);

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function mergeOperations(reports: readonly LoadTestReport[]): Record<string, OperationReport> {
  const names = [...new Set(reports.flatMap((r) => Object.keys(r.operations)))];
  const operations: Record<string, OperationReport> = {};
  for (const name of names) {
    operations[name] = buildOperationReport(
      defined(reports.map((r) => r.operations[name])).map(operationPart),
    );
  }
  return operations;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

const sumOrNull = <T>(items: readonly T[], value: (item: T) => number | null): number | null => {
  const values = items.map(value).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
};

function mergeGroups(reports: readonly LoadTestReport[]): Record<string, GroupReport> {
  const groups: Record<string, GroupReport> = {};
  for (const name of new Set(reports.flatMap((r) => Object.keys(r.groups)))) {
    const parts = defined(reports.map((r) => r.groups[name]));
    const first = parts[0] as GroupReport;
    const throughput = sum(parts, (g) => g.throughputOpsPerS);
    const target = sumOrNull(parts, (g) => g.targetOpsPerS);
    groups[name] = {
      ...first,
      operations: sum(parts, (g) => g.operations),
      errors: sum(parts, (g) => g.errors),
      dropped: sum(parts, (g) => g.dropped),
      cutOff: sum(parts, (g) => g.cutOff),
      queuedMax: Math.max(...parts.map((g) => g.queuedMax)),
      throughputOpsPerS: round(throughput),
      targetOpsPerS: target === null ? null : round(target),
      achievedRatio: target === null || target <= 0 ? null : round(throughput / target, 4),
    };
  }
  return groups;
}

/**
 * Percentiles of an interval across processes: exact from the added histograms when every part kept
 * its histogram (segment runs do), else the worst process's.
 */
function intervalPercentiles(parts: ReadonlyArray<{ latencyMs: PercentilesMs; histogram?: string }>): {
  latencyMs: PercentilesMs;
  histogram?: string;
} {
  const histograms = defined(parts.map((p) => p.histogram));
  if (histograms.length === parts.length && parts.length > 0) {
    const { summary, encoded } = sumHistograms(histograms);
    return { latencyMs: { p50: summary.p50, p95: summary.p95, p99: summary.p99 }, histogram: encoded };
  }
  return {
    latencyMs: {
      p50: Math.max(...parts.map((p) => p.latencyMs.p50)),
      p95: Math.max(...parts.map((p) => p.latencyMs.p95)),
      p99: Math.max(...parts.map((p) => p.latencyMs.p99)),
    },
  };
}

function mergeTimelines(reports: readonly LoadTestReport[]): TimelineEntry[] {
  const length = Math.max(0, ...reports.map((r) => r.timeline.length));
  const merged: TimelineEntry[] = [];
  for (let i = 0; i < length; i++)
    merged.push(mergeTimelineEntries(defined(reports.map((r) => r.timeline[i]))));
  return merged;
}

/** One interval of several processes as one: counts and rates add, resources take the worst process's. */
export function mergeTimelineEntries(parts: readonly TimelineEntry[]): TimelineEntry {
  const max = (pick: (e: TimelineEntry) => number) => Math.max(...parts.map(pick));
  const operations: TimelineEntry['operations'] = {};
  for (const name of new Set(parts.flatMap((e) => Object.keys(e.operations)))) {
    const ops = defined(parts.map((e) => e.operations[name]));
    operations[name] = {
      count: sum(ops, (o) => o.count),
      errors: sum(ops, (o) => o.errors),
      ...intervalPercentiles(ops),
    };
  }
  const errorsByCode: Record<string, number> = {};
  for (const e of parts)
    for (const [code, n] of Object.entries(e.errorsByCode ?? {}))
      errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  const gauges: Record<string, number> = {};
  for (const e of parts)
    for (const [g, v] of Object.entries(e.gauges)) gauges[g] = Math.max(gauges[g] ?? v, v);
  return {
    tS: max((e) => e.tS),
    intervalS: max((e) => e.intervalS),
    targetRate: round(sum(parts, (e) => e.targetRate)),
    achievedRate: round(sum(parts, (e) => e.achievedRate)),
    count: sum(parts, (e) => e.count),
    inFlight: sum(parts, (e) => e.inFlight),
    queued: sum(parts, (e) => e.queued),
    dropped: sum(parts, (e) => e.dropped),
    errors: sum(parts, (e) => e.errors),
    ...intervalPercentiles(parts),
    operations,
    rssBytes: max((e) => e.rssBytes),
    heapUsedBytes: max((e) => e.heapUsedBytes),
    cpuPercent: max((e) => e.cpuPercent),
    eventLoopDelayMsP99: max((e) => e.eventLoopDelayMsP99),
    gauges,
    errorsByCode,
  };
}

function mergeWindows(reports: readonly LoadTestReport[]): WindowReport[] {
  const names = [...new Set(reports.flatMap((r) => r.windows.map((w) => w.name)))];
  return names.map((name) => {
    const parts = reports.flatMap((r) => r.windows.filter((w) => w.name === name));
    const first = parts[0] as WindowReport;
    const operations: WindowReport['operations'] = {};
    for (const op of new Set(parts.flatMap((w) => Object.keys(w.operations)))) {
      const ops = defined(parts.map((w) => w.operations[op]));
      const histogram = sumHistograms(ops.map((o) => o.histogram));
      operations[op] = {
        count: sum(ops, (o) => o.count),
        errors: sum(ops, (o) => o.errors),
        latencyMs: histogram.summary,
        histogram: histogram.encoded,
      };
    }
    return {
      name,
      startS: first.startS,
      endS: first.endS,
      count: sum(parts, (w) => w.count),
      errors: sum(parts, (w) => w.errors),
      latencyMs: sumHistograms(Object.values(operations).map((o) => o.histogram)).summary,
      operations,
    };
  });
}

/** Counts add; percentiles come from the added histograms; rates of side-by-side runs add. */
function mergeSummary(
  reports: readonly LoadTestReport[],
  operations: Record<string, OperationReport>,
  groups: Record<string, GroupReport>,
): SummaryReport {
  const openGroups = Object.values(groups).filter((g) => g.targetOpsPerS !== null);
  const target = sumOrNull(openGroups, (g) => g.targetOpsPerS);
  const count = sum(Object.values(operations), (o) => o.count);
  const errors = sum(Object.values(operations), (o) => o.errors);
  return {
    operations: count,
    errors,
    errorRate: count > 0 ? round(errors / count, 6) : 0,
    dropped: sum(reports, (r) => r.summary.dropped),
    cutOff: sum(reports, (r) => r.summary.cutOff),
    throughputOpsPerS: round(sum(reports, (r) => r.summary.throughputOpsPerS)),
    targetOpsPerS: target === null ? null : round(target),
    achievedRatio:
      target === null || target <= 0 ? null : round(sum(openGroups, (g) => g.throughputOpsPerS) / target, 4),
    latencyMs: sumHistograms(Object.values(operations).map((o) => o.histogram)).summary,
    serviceTimeMs: sumHistograms(Object.values(operations).map((o) => o.serviceTimeHistogram)).summary,
  };
}

/** Per-process figures: the worst (highest) process's, since summing RSS or CPU of separate processes misleads. */
function mergeResources(reports: readonly LoadTestReport[]): ResourcesReport {
  const resources = reports.map((r) => r.resources);
  const max = (pick: (r: ResourcesReport) => number) => Math.max(...resources.map(pick));
  const growth = resources.map((r) => r.memoryGrowthMbPerMin).filter((g): g is number => g !== null);
  return {
    rssBytesStart: max((r) => r.rssBytesStart),
    rssBytesEnd: max((r) => r.rssBytesEnd),
    rssBytesMax: max((r) => r.rssBytesMax),
    memoryGrowthMbPerMin: growth.length === 0 ? null : Math.max(...growth),
    memoryGrowthSpanS: Math.min(...resources.map((r) => r.memoryGrowthSpanS)),
    cpuPercentAvg: max((r) => r.cpuPercentAvg),
    cpuPercentMax: max((r) => r.cpuPercentMax),
    eventLoopDelayMsP99: max((r) => r.eventLoopDelayMsP99),
    heapUsedBytesMax: max((r) => r.heapUsedBytesMax),
  };
}

function mergeScheduler(reports: readonly LoadTestReport[]): SchedulerReport {
  const lateness = sumHistograms(reports.map((r) => r.scheduler.latenessHistogram));
  return {
    latenessMs: lateness.summary,
    latenessHistogram: lateness.encoded,
    queuedMax: Math.max(...reports.map((r) => r.scheduler.queuedMax)),
  };
}

export interface MergeOptions {
  /** Merge runs of different scenarios, targets or configurations instead of refusing. @default false */
  force?: boolean;
}

/**
 * Merges the reports of concurrent runs into one, as if a single run had made all their operations.
 * Throws INVALID_ARGUMENT for an empty list, anything that is not a schema-1 report, or runs of
 * different scenarios, targets or configurations (unless `force`).
 */
export function mergeReports(reports: readonly LoadTestReport[], options: MergeOptions = {}): LoadTestReport {
  if (!Array.isArray(reports) || reports.length === 0 || reports.length > MERGE_REPORTS_MAX) {
    const got = Array.isArray(reports) ? reports.length : typeof reports;
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`reports\` to be a list of 1 to ${MERGE_REPORTS_MAX} load-test reports, got ${got}`,
    );
  }
  reports.forEach((report, i) => {
    assertReport(report, `reports[${i}]`);
  });
  const segments = checkSegments(reports, options.force === true);
  // Segments of one run each offer 1/n of its rate: that difference is the point, not a warning.
  const differences = checkMergeable(reports, options.force === true).filter(
    (d) => segments.segments === undefined || !d.includes(' target rate '),
  );
  const operations = mergeOperations(reports);
  const groups = mergeGroups(reports);
  const scenarios = [...new Set(reports.map((r) => r.scenario))];
  const merged: Omit<LoadTestReport, 'criteria' | 'passed'> = {
    ...(reports[0] as LoadTestReport),
    scenario: scenarios.join('+'),
    description: mergedDescription(reports),
    mode: [...new Set(reports.map((r) => r.mode))].join('+'),
    startedAt: reports.map((r) => r.startedAt).sort()[0] as string,
    durationS: Math.max(...reports.map((r) => r.durationS)),
    plannedDurationS: Math.max(...reports.map((r) => r.plannedDurationS)),
    stopReason: reports.some((r) => r.stopReason === 'aborted') ? 'aborted' : 'completed',
    summary: mergeSummary(reports, operations, groups),
    operations,
    groups,
    timeline: mergeTimelines(reports),
    resources: mergeResources(reports),
    windows: mergeWindows(reports),
    scheduler: mergeScheduler(reports),
    warnings: [...segments.warnings, ...differences, ...reports.flatMap((r) => r.warnings)].slice(0, 100),
    merged: {
      runs: reports.reduce((n, r) => n + (r.merged?.runs ?? 1), 0),
      scenarios,
      seeds: reports.flatMap((r) => r.merged?.seeds ?? [r.seed]),
      ...(segments.segments === undefined ? {} : { segments: segments.segments }),
    },
  };
  delete merged.segment;
  delete merged.stoppedBy;
  // The first run that stopped itself (fail fast) says why the merged run stopped.
  const stoppedBy = reports.find((r) => r.stoppedBy !== undefined)?.stoppedBy;
  if (stoppedBy !== undefined) merged.stoppedBy = stoppedBy;
  // The target's own checks cannot be recomputed from the figures: the worst run's stands.
  return judge(merged, combineTargetChecks(reports));
}
