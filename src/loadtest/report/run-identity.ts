/**
 * What makes two reports runs of the same thing: the scenario, the target and its cold tier and
 * durability, the criteria, the mix, the rate, the mode and the duration. `compare` and `merge` ask
 * this module how two reports differ and decide themselves which differences they refuse and which
 * they only warn about. It reads reports and never changes them.
 */

import type { LoadTestReport } from './schema.ts';

export type RunAspect =
  | 'scenario'
  | 'target'
  | 'objectStore'
  | 'durability'
  | 'criteria'
  | 'mix'
  | 'rate'
  | 'mode'
  | 'duration';

export interface RunDifference {
  aspect: RunAspect;
  /** One sentence naming both values: `scenario "smoke" vs "spike"`. */
  message: string;
}

const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value));

function infoString(report: LoadTestReport, key: string): string | undefined {
  const value = report.target.info[key];
  return typeof value === 'string' ? value : undefined;
}

function mixOf(report: LoadTestReport): Record<string, Record<string, number>> {
  return Object.fromEntries(Object.entries(report.groups).map(([name, group]) => [name, group.mix]));
}

/** Target rates differing by more than this fraction count as different rates. */
const RATE_DIFFERENCE_MIN = 0.01;

function differentRates(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a !== b;
  return Math.abs(a - b) > RATE_DIFFERENCE_MIN * Math.max(a, b);
}

/** Every aspect in which `b` is not a run of what `a` ran, in the order of `RunAspect`. */
export function runDifferences(a: LoadTestReport, b: LoadTestReport): RunDifference[] {
  const differences: RunDifference[] = [];
  const add = (aspect: RunAspect, label: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y))
      differences.push({ aspect, message: `${label} ${show(x)} vs ${show(y)}` });
  };
  add('scenario', 'scenario', a.scenario, b.scenario);
  add('target', 'target', a.target.name, b.target.name);
  add('objectStore', 'object store', infoString(a, 'objectStore'), infoString(b, 'objectStore'));
  add('durability', 'durability', infoString(a, 'durability'), infoString(b, 'durability'));
  add('criteria', 'criteria', a.criteriaConfig, b.criteriaConfig);
  add('mix', 'mix', mixOf(a), mixOf(b));
  if (differentRates(a.summary.targetOpsPerS, b.summary.targetOpsPerS)) {
    differences.push({
      aspect: 'rate',
      message: `target rate ${a.summary.targetOpsPerS ?? 'none'} vs ${b.summary.targetOpsPerS ?? 'none'} ops/s`,
    });
  }
  add('mode', 'mode', a.mode, b.mode);
  if (Math.abs(a.durationS - b.durationS) > 0.5)
    differences.push({ aspect: 'duration', message: `duration ${a.durationS} s vs ${b.durationS} s` });
  return differences;
}
