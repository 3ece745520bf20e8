/**
 * What `mergeReports` checks before adding runs up and how it carries over what it cannot recompute:
 * runs of different scenarios, targets, object stores, durability, criteria, mixes or modes are
 * refused (INVALID_ARGUMENT) unless forced, other differences become warnings of the merged report,
 * and the target's own checks (lost writes, tier transitions, …), which no histogram holds, become
 * one row per check holding the worst run's value. It never assembles operation figures.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import { type RunAspect, runDifferences } from './run-identity.ts';
import type { CriterionResult, LoadTestReport } from './schema.ts';

/** Differences that make runs unrelated: their sum would describe no system that ran. */
const REFUSED_ASPECTS: ReadonlySet<RunAspect> = new Set([
  'scenario',
  'target',
  'objectStore',
  'durability',
  'criteria',
  'mix',
  'mode',
]);

/**
 * Throws INVALID_ARGUMENT naming the first unrelated run and how it differs from the first run,
 * unless `force`; returns the warnings (every difference found) for the merged report.
 */
export function checkMergeable(reports: readonly LoadTestReport[], force: boolean): string[] {
  const first = reports[0] as LoadTestReport;
  const warnings: string[] = [];
  reports.slice(1).forEach((report, i) => {
    const differences = runDifferences(first, report);
    const refused = differences.filter((d) => REFUSED_ASPECTS.has(d.aspect));
    if (refused.length > 0 && !force) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected reports of runs of one scenario, target and configuration to merge, got reports[${i + 1}] ` +
          `unlike reports[0]: ${refused.map((d) => d.message).join(', ')} (pass --force to merge them anyway)`,
      );
    }
    for (const d of differences) warnings.push(`merged runs differ: reports[${i + 1}] ${d.message}`);
  });
  return warnings;
}

const scopeKey = (c: CriterionResult) => JSON.stringify([c.name, c.operation, c.window]);

/**
 * The target's checks of every run as one row per check: the worst run's actual value (highest for
 * `_max` limits, lowest for `_min`), passed only when every run passed it.
 */
export function combineTargetChecks(reports: readonly LoadTestReport[]): CriterionResult[] {
  const combined = new Map<string, CriterionResult>();
  for (const check of reports.flatMap((r) => r.criteria.filter((c) => c.source === 'target'))) {
    const key = scopeKey(check);
    const seen = combined.get(key);
    if (seen === undefined) {
      combined.set(key, { ...check });
      continue;
    }
    const higherIsWorse = !check.name.endsWith('_min');
    const worse =
      seen.actual === null ||
      (check.actual !== null && (higherIsWorse ? check.actual > seen.actual : check.actual < seen.actual));
    combined.set(key, {
      ...seen,
      ...(worse ? { actual: check.actual, limit: check.limit } : {}),
      passed: seen.passed && check.passed,
    });
  }
  return [...combined.values()];
}

/** The inputs' descriptions, each once, in order. */
export function mergedDescription(reports: readonly LoadTestReport[]): string {
  return [...new Set(reports.map((r) => r.description))].join(' + ');
}
