/**
 * The per-second typical service time of each operation of a run, read from its timeline: the log of
 * each measured second's median service time (seconds wholly or mostly in the warm-up are left out),
 * and for the whole run each second's count-weighted mean of its operations' logs. These are the
 * "batch means" `compare` judges typical latency on: how much they wander from second to second
 * is the noise of the machine at the time scale of a run, which samples of one histogram cannot
 * show. Reads reports only; older reports without per-second service times give no seconds.
 */

import type { LoadTestReport } from './schema.ts';

export interface LatencySeconds {
  /** Operation name → log(ms) of each measured second's median service time. */
  operations: Map<string, number[]>;
  /** The whole run: each second's log medians averaged with the operations' counts as weights. */
  all: number[];
}

export function latencySeconds(report: LoadTestReport): LatencySeconds {
  const operations = new Map<string, number[]>();
  const all: number[] = [];
  for (const entry of report.timeline) {
    if (entry.tS - entry.intervalS / 2 < report.warmupS) continue;
    let weighted = 0;
    let weight = 0;
    for (const [name, op] of Object.entries(entry.operations)) {
      const p50 = op.serviceTimeMsP50;
      // A zero median (sub-microsecond, HDR's floor) has no logarithm; such a second says nothing.
      if (p50 === undefined || !(p50 > 0) || op.count === 0) continue;
      const log = Math.log(p50);
      const list = operations.get(name) ?? [];
      list.push(log);
      operations.set(name, list);
      weighted += op.count * log;
      weight += op.count;
    }
    if (weight > 0) all.push(weighted / weight);
  }
  return { operations, all };
}
