/**
 * Which acknowledged writes a crash may legitimately lose, read off a history. An `ok` write is
 * certain unless a crash's recovery could not have it by the store's contract:
 *
 * - `fsync` durability, recovery from the local directory: nothing acknowledged may be lost.
 * - `buffered`: a local recovery may lose acknowledged writes not yet fsynced; the checker counts
 *   as safe only what an `ok` `flush` of the collection, a clean restart or an earlier recovery made
 *   durable, and treats later acknowledgements as uncertain.
 * - `fsync` / `buffered`, recovery from the object store alone (a new directory): only what was
 *   sealed and published survives, so writes after the last `flush` that was followed by an `ok`
 *   `publish` are uncertain.
 * - `object-store` durability: nothing acknowledged may be lost, whatever the recovery.
 *
 * A window `[from, to]` of history indexes makes every `ok` write of its collection whose `ok`
 * event falls in it uncertain (treated like `info`). This module never looks at read results.
 */

import type { HistoryEvent } from './history.ts';

export type Durability = 'fsync' | 'buffered' | 'object-store';

export interface LossWindow {
  from: number;
  to: number;
}

/** Per collection (`tenant/collection`), the windows in which acknowledged writes are uncertain. */
export type LossWindows = Map<string, LossWindow[]>;

export function targetKey(value: { tenant?: unknown; collection?: unknown }): string {
  return `${String(value.tenant)}/${String(value.collection)}`;
}

interface Marks {
  /** Invoke and `ok` indexes of the last `ok` flush, per collection. */
  flushed: Map<string, { invoke: number; ok: number }>;
  /** Invoke index of the last flush that a later `ok` publish covered, per collection. */
  published: Map<string, number>;
  /** Index of the last clean restart or recovery (everything before it is on durable disk). */
  settled: number;
}

export function lossWindows(events: readonly HistoryEvent[], durability: Durability): LossWindows {
  const windows: LossWindows = new Map();
  const marks: Marks = { flushed: new Map(), published: new Map(), settled: -1 };
  const targets = new Set<string>();
  const invokes = new Map<string, HistoryEvent>();
  let crashIndex: number | undefined;
  for (const event of events) {
    if (event.process === 'nemesis') {
      if (event.f === 'crash') crashIndex = event.index;
      if (event.f === 'restart') marks.settled = event.index;
      if (event.f === 'recover' && crashIndex !== undefined) {
        const source =
          (event.value as { source?: string }).source === 'object-store' ? 'object-store' : 'local';
        for (const target of targets) {
          const from = floorOf(target, source, durability, marks);
          if (from === undefined) continue;
          const list = windows.get(target) ?? [];
          list.push({ from, to: crashIndex });
          windows.set(target, list);
        }
        marks.settled = event.index;
        crashIndex = undefined;
      }
      continue;
    }
    const key = `${event.process}`;
    if (event.type === 'invoke') {
      invokes.set(key, event);
      const value = event.value as { tenant?: unknown };
      if (value.tenant !== undefined) targets.add(targetKey(event.value as { tenant: string }));
      continue;
    }
    const invoke = invokes.get(key);
    invokes.delete(key);
    if (event.type !== 'ok' || invoke === undefined) continue;
    const target = targetKey(event.value as { tenant?: unknown });
    if (event.f === 'flush') marks.flushed.set(target, { invoke: invoke.index, ok: event.index });
    if (event.f === 'publish') {
      // A publish covers a flush only when it started after the flush had finished.
      const flushed = marks.flushed.get(target);
      if (flushed !== undefined && invoke.index > flushed.ok) marks.published.set(target, flushed.invoke);
    }
  }
  return windows;
}

/** Where the uncertain window of one collection starts for a crash, or undefined when none. */
function floorOf(
  target: string,
  source: 'local' | 'object-store',
  durability: Durability,
  marks: Marks,
): number | undefined {
  if (durability === 'object-store') return undefined;
  if (source === 'object-store') return marks.published.get(target) ?? -1;
  if (durability === 'fsync') return undefined;
  return Math.max(marks.flushed.get(target)?.invoke ?? -1, marks.settled);
}

export function inWindow(windows: LossWindows, target: string, index: number): boolean {
  return (windows.get(target) ?? []).some((window) => index > window.from && index <= window.to);
}
