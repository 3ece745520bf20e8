/**
 * Whether the machine, not the code, may explain a difference between two runs: the harness's own
 * event-loop delay and its scheduler's lateness (how late arrivals started), and the CPU the
 * machine's other processes used, measure how busy the machine was. When one run's are several
 * times the other's, latency differences between the runs are suspect: `compare` says so, and calls
 * a regression it cannot tell from the machine inconclusive. Reads reports only.
 */

import type { LoadTestReport } from './schema.ts';

export const MACHINE_NOISE_DEFAULTS = Object.freeze({
  /** One run's figure over the other's at which the machine is called busier. */
  factorMin: 2,
  /** …and by at least this many milliseconds (event-loop delay, scheduler lateness). */
  deltaMsMin: 20,
  /** …or, for the other processes' CPU, by at least this many cores. */
  deltaCoresMin: 0.25,
});

interface Signal {
  label: string;
  unit: string;
  deltaMin: number;
  pick: (report: LoadTestReport) => number | undefined;
}

const SIGNALS: readonly Signal[] = [
  {
    label: 'event-loop delay p99',
    unit: 'ms',
    deltaMin: MACHINE_NOISE_DEFAULTS.deltaMsMin,
    pick: (r) => r.resources.eventLoopDelayMsP99,
  },
  {
    label: 'scheduler lateness p90',
    unit: 'ms',
    deltaMin: MACHINE_NOISE_DEFAULTS.deltaMsMin,
    pick: (r) => r.scheduler.latenessMs.p90,
  },
  {
    label: "other processes' CPU",
    unit: 'cores',
    deltaMin: MACHINE_NOISE_DEFAULTS.deltaCoresMin,
    pick: (r) => r.resources.otherCpuCoresAvg,
  },
];

export interface MachineNoise {
  /** The run whose machine was clearly busier on some signal (the new one wins a tie), or null. */
  busier: 'base' | 'new' | null;
  warnings: string[];
}

/** One warning per signal on which one run's machine was clearly busier than the other's. */
export function machineNoise(base: LoadTestReport, next: LoadTestReport): MachineNoise {
  const warnings: string[] = [];
  let busier: MachineNoise['busier'] = null;
  for (const { label, unit, deltaMin, pick } of SIGNALS) {
    const b = pick(base);
    const n = pick(next);
    if (b === undefined || n === undefined) continue;
    const [low, high] = b <= n ? [b, n] : [n, b];
    if (high >= low * MACHINE_NOISE_DEFAULTS.factorMin && high - low >= deltaMin) {
      const which = b <= n ? 'new' : 'base';
      if (busier !== 'new') busier = which;
      warnings.push(
        `the ${which} run's machine was busier (${label} ${n} ${unit} vs ${b} ${unit} in the base run): ` +
          'latency differences may be the machine, not the code',
      );
    }
  }
  return { busier, warnings };
}

/** The warnings of `machineNoise` alone. */
export function machineNoiseWarnings(base: LoadTestReport, next: LoadTestReport): string[] {
  return machineNoise(base, next).warnings;
}
