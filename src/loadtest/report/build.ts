/**
 * Assembles the report of a finished run from the recorder's histograms and counters, the timeline,
 * the resource summary and the target's own checks, then evaluates the criteria against it. It adds
 * histograms rather than averaging percentiles: the summary's p99 is the p99 of every operation.
 */

import { cpus } from 'node:os';
import type { ResolvedLoadTestConfig } from '../config.ts';
import { evaluateCriteria } from '../evaluate-criteria.ts';
import type { TargetCheck } from '../load-target.ts';
import type { OperationSlot, Recorder } from '../recorder.ts';
import type { LoadGroupRuntime } from '../scheduler.ts';
import { buildOperationReport, withHistogramSum } from './operation-report.ts';
import {
  type CriterionResult,
  type GroupReport,
  type LoadTestReport,
  type OperationReport,
  REPORT_SCHEMA_VERSION,
  type ResourcesReport,
  type TimelineEntry,
  type WindowReport,
} from './schema.ts';

export interface BuildReportInput {
  config: ResolvedLoadTestConfig;
  target: { name: string; info: Record<string, unknown> };
  startedAt: string;
  /** Length of the arrival window actually run, in seconds. */
  durationS: number;
  stopReason: 'completed' | 'aborted';
  recorder: Recorder;
  runtimes: readonly LoadGroupRuntime[];
  timeline: TimelineEntry[];
  resources: ResourcesReport;
  checks: readonly TargetCheck[];
  warnings: string[];
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function operationReports(slots: readonly OperationSlot[]): Record<string, OperationReport> {
  const byName = new Map<string, OperationSlot[]>();
  for (const slot of slots) byName.set(slot.operation, [...(byName.get(slot.operation) ?? []), slot]);
  const operations: Record<string, OperationReport> = {};
  for (const [name, group] of byName) {
    // A slot is an operation part as it stands: live histograms, counts and codes.
    operations[name] = buildOperationReport(group);
  }
  return operations;
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

function groupReports(input: BuildReportInput, measuredS: number): Record<string, GroupReport> {
  const groups: Record<string, GroupReport> = {};
  input.config.groups.forEach((group, i) => {
    const slots = input.recorder.slots.filter((s) => s.group === group.name);
    const runtime = input.runtimes[i] as LoadGroupRuntime;
    const completed = sumOf(slots, (s) => s.completedInWindow);
    const target =
      group.profile === undefined ? null : group.profile.integral(input.config.warmupS, input.durationS);
    const open = group.model === 'open';
    groups[group.name] = {
      model: group.model,
      arrival: open ? group.arrival : null,
      inFlightMax: group.inFlightMax,
      onSaturation: open ? group.onSaturation : null,
      queueLengthMax: open ? group.queueLengthMax : null,
      thinkTimeMs: open ? null : group.thinkTimeMs,
      profile: group.profile?.describe() ?? null,
      mix: group.mix,
      operations: sumOf(slots, (s) => s.count),
      errors: sumOf(slots, (s) => s.errors),
      dropped: sumOf(slots, (s) => s.dropped),
      cutOff: sumOf(slots, (s) => s.cutOff),
      queuedMax: runtime.queuedMax,
      throughputOpsPerS: measuredS > 0 ? round(completed / measuredS) : 0,
      targetOpsPerS: target === null || measuredS <= 0 ? null : round(target / measuredS),
      achievedRatio: target === null || target <= 0 ? null : round(completed / target, 4),
    };
  });
  return groups;
}

function windowReports(recorder: Recorder): WindowReport[] {
  return recorder.windows.map((window) => {
    const operations: WindowReport['operations'] = {};
    let count = 0;
    let errors = 0;
    for (const [name, op] of window.operations) {
      operations[name] = {
        count: op.count,
        errors: op.errors,
        latencyMs: op.histogram.summaryMs(),
        histogram: op.histogram.encode(),
      };
      count += op.count;
      errors += op.errors;
    }
    const latencyMs = withHistogramSum(
      [...window.operations.values()].map((op) => op.histogram),
      (h) => h.summaryMs(),
    );
    return {
      name: window.name,
      startS: window.startMs / 1000,
      endS: window.endMs / 1000,
      count,
      errors,
      latencyMs,
      operations,
    };
  });
}

export function buildReport(input: BuildReportInput): LoadTestReport {
  const { config, recorder } = input;
  const measuredS = input.durationS - config.warmupS;
  const slots = recorder.slots;
  const operations = operationReports(slots);
  const count = sumOf(slots, (s) => s.count);
  const errors = sumOf(slots, (s) => s.errors);
  const openGroups = config.groups.filter((g) => g.profile !== undefined);
  const openSlots = slots.filter((s) => openGroups.some((g) => g.name === s.group));
  const target = openGroups.reduce(
    (sum, g) => sum + (g.profile?.integral(config.warmupS, input.durationS) ?? 0),
    0,
  );
  const models = new Set(config.groups.map((g) => g.model));
  const report: Omit<LoadTestReport, 'criteria' | 'passed'> = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    scenario: config.name,
    description: config.description,
    mode: config.mode,
    seed: config.seed,
    startedAt: input.startedAt,
    durationS: round(input.durationS),
    plannedDurationS: config.durationS,
    warmupS: config.warmupS,
    stopReason: input.stopReason,
    model: models.size > 1 ? 'mixed' : (config.groups[0]?.model ?? 'open'),
    profile: config.groups[0]?.profile?.describe() ?? null,
    target: input.target,
    summary: {
      operations: count,
      errors,
      errorRate: count > 0 ? round(errors / count, 6) : 0,
      dropped: sumOf(slots, (s) => s.dropped),
      cutOff: sumOf(slots, (s) => s.cutOff),
      throughputOpsPerS: measuredS > 0 ? round(sumOf(slots, (s) => s.completedInWindow) / measuredS) : 0,
      targetOpsPerS: openGroups.length === 0 || measuredS <= 0 ? null : round(target / measuredS),
      achievedRatio:
        openGroups.length === 0 || target <= 0
          ? null
          : round(sumOf(openSlots, (s) => s.completedInWindow) / target, 4),
      latencyMs: withHistogramSum(
        slots.map((s) => s.response),
        (h) => h.summaryMs(),
      ),
      serviceTimeMs: withHistogramSum(
        slots.map((s) => s.service),
        (h) => h.summaryMs(),
      ),
    },
    operations,
    groups: groupReports(input, measuredS),
    timeline: input.timeline,
    resources: input.resources,
    windows: windowReports(recorder),
    scheduler: {
      latenessMs: recorder.lateness.summaryMs(),
      latenessHistogram: recorder.lateness.encode(),
      queuedMax: Math.max(0, ...input.runtimes.map((r) => r.queuedMax)),
    },
    criteriaConfig: config.criteria,
    warnings: input.warnings,
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus().length,
    },
  };
  return judge(report, input.checks.map(checkResult));
}

function checkResult(check: TargetCheck): CriterionResult {
  const result: CriterionResult = {
    name: check.name,
    description: check.description,
    operation: check.operation ?? null,
    window: null,
    limit: check.limit,
    actual: check.actual,
    passed: check.passed,
    source: 'target',
  };
  if (check.skipped !== undefined) result.skipped = check.skipped;
  return result;
}

/** Evaluates the criteria of a report and sets its verdict; a stopped run never passes. */
export function judge(
  report: Omit<LoadTestReport, 'criteria' | 'passed'>,
  extra: CriterionResult[] = [],
): LoadTestReport {
  const criteria = [...evaluateCriteria(report.criteriaConfig, report), ...extra];
  const passed = report.stopReason === 'completed' && criteria.every((c) => c.passed);
  return { ...report, criteria, passed };
}
