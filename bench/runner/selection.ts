/**
 * `npm run bench -- <filter> …`: which suites and tasks a run measures. A filter is a
 * case-insensitive substring of a suite name or of a task id `<suite>/<task>`; an item runs when any
 * filter matches it. A selected task drags its in-run baseline along, because its ratio needs it.
 */

import { itemNames, type PlanItem } from './bench-suite.ts';

export function filterMatches(filter: string, text: string): boolean {
  return text.toLowerCase().includes(filter.toLowerCase());
}

/** Whether `filters` select the item of `suite` answering to `names` (no filters: everything). */
export function isSelected(filters: readonly string[], suite: string, names: readonly string[]): boolean {
  if (filters.length === 0) return true;
  return filters.some(
    (filter) =>
      filterMatches(filter, suite) || names.some((name) => filterMatches(filter, `${suite}/${name}`)),
  );
}

export interface SelectedItem {
  readonly item: PlanItem;
  /** `filter` when a filter chose it, `baseline` when it runs only because a chosen task needs it. */
  readonly reason: 'filter' | 'baseline';
}

/** The items of one suite to run, in plan order, with the baselines the chosen ones depend on. */
export function selectItems(
  suite: string,
  items: readonly PlanItem[],
  filters: readonly string[],
): SelectedItem[] {
  const chosen = new Set(items.filter((item) => isSelected(filters, suite, itemNames(item))));
  const needed = new Set<PlanItem>();
  for (const item of chosen) {
    if (item.kind !== 'timed' || item.baseline === undefined) continue;
    const baselineName = item.baseline;
    const provider = items.find((other) => itemNames(other).includes(baselineName));
    if (provider === undefined) {
      throw new Error(
        `bench suite ${suite}: task ${item.name} names baseline ${baselineName}, which it does not plan`,
      );
    }
    if (!chosen.has(provider)) needed.add(provider);
  }
  return items
    .filter((item) => chosen.has(item) || needed.has(item))
    .map((item) => ({ item, reason: chosen.has(item) ? 'filter' : 'baseline' }));
}
