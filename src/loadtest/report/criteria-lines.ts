/**
 * The end-of-run verdict per criterion as the console prints it, k6-style: one line each, ✓ or ✗
 * (– when it could not be measured), its description with the limit, dots, and the actual value with
 * its unit. The unit follows from the criterion's name (`latency_ms_p95_max` → ms, `error_rate_max`
 * → %). Pure formatting: it judges nothing.
 */

import { formatMs, formatPercent, formatRate, formatValue } from './format.ts';
import type { CriterionResult } from './schema.ts';

/** Dots fill the description to this many characters before the value. */
const DESCRIPTION_WIDTH = 52;

/** The actual value of a criterion with its unit (`12.3 ms`, `2.31%`, `850 ops/s`, `1.2 MB/min`). */
export function formatCriterionValue(name: string, value: number | null): string {
  if (value === null) return '–';
  if (/_ms_/.test(name) || name.startsWith('latency_ms') || name.startsWith('service_time_ms'))
    return formatMs(value);
  if (/(error_rate|dropped_ratio)/.test(name)) return formatPercent(value);
  if (name.startsWith('cpu_percent')) return `${formatValue(value)}%`;
  if (name.startsWith('throughput_ops_per_s')) return `${formatRate(value)} ops/s`;
  if (name.startsWith('memory_growth_mb_per_min')) return `${formatValue(value)} MB/min`;
  if (name.startsWith('rss_mb')) return `${formatValue(value)} MiB`;
  if (name.startsWith('gets_per_search')) return `${formatValue(value)} GETs`;
  if (/(ratio|factor|spread)/.test(name)) return `${formatValue(value)}×`;
  return formatValue(value);
}

/** `✓ p95 latency ≤ 25 ms [search] ........ 12.3 ms`, one per criterion, indented by two spaces. */
export function formatCriterionLines(criteria: readonly CriterionResult[]): string[] {
  return criteria.map((c) => {
    const mark = c.skipped !== undefined ? '–' : c.passed ? '✓' : '✗';
    const scope = [c.operation, c.window].filter((x) => x !== null).join(', ');
    const label = `${c.description}${scope === '' ? '' : ` [${scope}]`}`;
    const value =
      c.skipped !== undefined ? `not measured (${c.skipped})` : formatCriterionValue(c.name, c.actual);
    // At least three dots, so that a long description still leads the eye to its value.
    const dots = '.'.repeat(Math.max(3, DESCRIPTION_WIDTH - label.length - 1));
    return `  ${mark} ${label} ${dots} ${value}`;
  });
}
