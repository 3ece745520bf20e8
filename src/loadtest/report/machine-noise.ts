/**
 * Whether the machine, not the code, may explain a difference between two runs: the harness's own
 * event-loop delay and its scheduler's lateness (how late arrivals started) measure how busy the
 * machine was, independently of the target. When one run's are several times the other's, latency
 * differences between the runs are suspect, and `compare` says so. Reads reports only.
 */

import type { LoadTestReport } from './schema.ts';

export const MACHINE_NOISE_DEFAULTS = Object.freeze({
  /** One run's figure over the other's at which the machine is called busier. */
  factorMin: 2,
  /** …and by at least this many milliseconds. */
  deltaMsMin: 20,
});

interface Signal {
  label: string;
  pick: (report: LoadTestReport) => number;
}

const SIGNALS: readonly Signal[] = [
  { label: 'event-loop delay p99', pick: (r) => r.resources.eventLoopDelayMsP99 },
  { label: 'scheduler lateness p90', pick: (r) => r.scheduler.latenessMs.p90 },
];

/** One warning per signal on which one run's machine was clearly busier than the other's. */
export function machineNoiseWarnings(base: LoadTestReport, next: LoadTestReport): string[] {
  const warnings: string[] = [];
  for (const { label, pick } of SIGNALS) {
    const b = pick(base);
    const n = pick(next);
    const [low, high] = b <= n ? [b, n] : [n, b];
    if (high >= low * MACHINE_NOISE_DEFAULTS.factorMin && high - low >= MACHINE_NOISE_DEFAULTS.deltaMsMin) {
      warnings.push(
        `the ${b <= n ? 'new' : 'base'} run's machine was busier (${label} ${n} ms vs ${b} ms in the base run): ` +
          'latency differences may be the machine, not the code',
      );
    }
  }
  return warnings;
}
