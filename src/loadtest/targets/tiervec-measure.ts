/**
 * What the tiervec target measures of its own calls, beside the engine's response times: service
 * time and errors per tenant (fairness and isolation under a noisy neighbour) and per phase (before
 * and during background work, for the consolidation criterion). Histograms are HDR (fixed memory);
 * `destroy()` frees them.
 */

import { LatencyHistogram } from '../histogram.ts';

export class CallStats {
  readonly histogram = new LatencyHistogram();
  operations = 0;
  errors = 0;

  record(serviceMs: number, failed: boolean): void {
    this.histogram.recordMs(serviceMs);
    this.operations++;
    if (failed) this.errors++;
  }

  p95Ms(): number {
    return this.histogram.percentileMs(95);
  }

  destroy(): void {
    this.histogram.destroy();
  }
}

export type Phase = 'before' | 'background';

/** Store warnings printed per code; the rest are counted (the `store_warnings` gauge). */
export const WARNINGS_SHOWN_PER_CODE = 3;

export class TargetMeasurements {
  readonly tenants = new Map<string, CallStats>();
  readonly phases: Record<Phase, CallStats> = { before: new CallStats(), background: new CallStats() };
  /** Reads that returned a document of another tenant. */
  isolationViolations = 0;
  /** Reads of a live, acknowledged id that found nothing. */
  missingReads = 0;
  /** Highest RSS seen by the gauges, in bytes. */
  rssBytesMax = 0;
  /** Store warnings (failed publishes, cleanups, …) by code. */
  readonly warnings = new Map<string, number>();

  /** Counts a store warning; true for the first few of each code (the ones worth printing). */
  warning(code: string): boolean {
    const count = (this.warnings.get(code) ?? 0) + 1;
    this.warnings.set(code, count);
    return count <= WARNINGS_SHOWN_PER_CODE;
  }

  tenant(name: string): CallStats {
    let stats = this.tenants.get(name);
    if (stats === undefined) {
      stats = new CallStats();
      this.tenants.set(name, stats);
    }
    return stats;
  }

  destroy(): void {
    for (const stats of this.tenants.values()) stats.destroy();
    this.phases.before.destroy();
    this.phases.background.destroy();
  }
}
