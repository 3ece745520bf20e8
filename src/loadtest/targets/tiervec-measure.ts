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

/** A second counts towards `PhaseStats.typicalP95Ms` only with at least this many calls in it. */
export const SECOND_CALLS_MIN = 20;

/**
 * A phase's calls, also kept per second of completion, so the phase's typical second can be judged:
 * the median over its seconds of each second's p95. A machine hiccup of a second or two (another
 * process scheduled on the same core) moves a whole-phase p95 of a short run, but not that median;
 * work that slows the foreground for most of the phase moves both.
 */
export class PhaseStats extends CallStats {
  readonly #seconds = new Map<number, number[]>();

  recordAt(atMs: number, serviceMs: number, failed: boolean): void {
    this.record(serviceMs, failed);
    const second = Math.floor(atMs / 1000);
    const samples = this.#seconds.get(second);
    if (samples === undefined) this.#seconds.set(second, [serviceMs]);
    else samples.push(serviceMs);
  }

  /** The median of per-second p95s over seconds with `SECOND_CALLS_MIN` calls; undefined with fewer than 3 such seconds. */
  typicalP95Ms(): { p95Ms: number; seconds: number } | undefined {
    const p95s: number[] = [];
    for (const samples of this.#seconds.values()) {
      if (samples.length < SECOND_CALLS_MIN) continue;
      const sorted = [...samples].sort((a, b) => a - b);
      p95s.push(sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] as number);
    }
    if (p95s.length < 3) return undefined;
    p95s.sort((a, b) => a - b);
    const middle = Math.floor(p95s.length / 2);
    const median =
      p95s.length % 2 === 1
        ? (p95s[middle] as number)
        : ((p95s[middle - 1] as number) + (p95s[middle] as number)) / 2;
    return { p95Ms: Math.round(median * 1000) / 1000, seconds: p95s.length };
  }
}

export type Phase = 'before' | 'background';

/** Store warnings printed per code; the rest are counted (the `store_warnings` gauge). */
export const WARNINGS_SHOWN_PER_CODE = 3;

export class TargetMeasurements {
  readonly tenants = new Map<string, CallStats>();
  readonly phases: Record<Phase, PhaseStats> = { before: new PhaseStats(), background: new PhaseStats() };
  /** Reads that returned a document of another tenant. */
  isolationViolations = 0;
  /** Reads of a live, acknowledged id that found nothing. */
  missingReads = 0;
  /** Highest RSS seen by the gauges, in bytes. */
  rssBytesMax = 0;
  /**
   * The sample with the highest RSS less what the in-process mock S3 held at that moment (bytes): the
   * process's own memory when the cold tier is simulated in it.
   */
  rssLessMockMax = { rssBytes: 0, mockBytes: 0 };
  /** Searches that completed (answered or failed), since the start of the load. */
  searchesCompleted = 0;
  /** Object-store GETs and completed searches when the measured run began (`startMeasuring`). */
  measuredFrom: { gets: number | undefined; searches: number } | undefined;
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
