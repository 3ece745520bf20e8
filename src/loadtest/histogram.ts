/**
 * Latency histograms: a thin wrapper over hdr-histogram-js (its WebAssembly build, which records in
 * tens of nanoseconds) holding microseconds from 1 µs to one hour at three significant digits. Memory
 * is fixed per histogram however many values are recorded. Histograms encode to HdrHistogram's
 * compressed base64 so that runs from several processes or machines add up exactly. WebAssembly
 * memory is not garbage-collected: every histogram must be `destroy()`ed by its owner.
 */

import type { Histogram } from 'hdr-histogram-js';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { lazyRequire } from '../lazy-require.ts';

/** The HDR build (and its WebAssembly) loads with the first histogram, not with tiervec. */
const loadHdr = lazyRequire<typeof import('hdr-histogram-js')>('hdr-histogram-js');

/** The largest value a histogram holds (one hour, in µs); larger values are recorded as this. */
export const HISTOGRAM_VALUE_US_MAX = 3_600_000_000;
const SIGNIFICANT_DIGITS = 3;

/** Latency statistics in milliseconds (µs resolution). All 0 when nothing was recorded. */
export interface LatencySummaryMs {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

let webAssembly: boolean | undefined;

/** Loads the WebAssembly build once; falls back to the (slower, equivalent) JS build where it cannot load. */
function useWebAssembly(): boolean {
  if (webAssembly === undefined) {
    try {
      loadHdr().initWebAssemblySync();
      webAssembly = true;
    } catch (error) {
      // A runtime without WebAssembly still gets correct histograms, only slower ones.
      process.emitWarning(`tiervec: HDR histograms fall back to JavaScript (${String(error)})`);
      webAssembly = false;
    }
  }
  return webAssembly;
}

function build(): Histogram {
  return loadHdr().build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_VALUE_US_MAX,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: useWebAssembly(),
  });
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export class LatencyHistogram {
  #histogram: Histogram;
  #destroyed = false;

  constructor(histogram?: Histogram) {
    this.#histogram = histogram ?? build();
  }

  /** Rebuilds a histogram from `encode()`'s output; INVALID_ARGUMENT when `encoded` is not one. */
  static decode(encoded: string): LatencyHistogram {
    let decoded: Histogram;
    try {
      decoded = loadHdr().decodeFromCompressedBase64(encoded, 32, useWebAssembly());
    } catch (error) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected an HdrHistogram in compressed base64, got ${describeValue(encoded)} (${(error as Error).message})`,
        { cause: error },
      );
    }
    // Copy into a histogram of the standard shape, so that any two histograms can be added.
    const histogram = new LatencyHistogram();
    histogram.#histogram.add(decoded);
    decoded.destroy();
    return histogram;
  }

  /** Records a duration in milliseconds (stored in µs, clamped to [0, one hour]). */
  recordMs(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us >= 0)) us = 0;
    else if (us > HISTOGRAM_VALUE_US_MAX) us = HISTOGRAM_VALUE_US_MAX;
    this.#histogram.recordValue(us);
  }

  /** Records a duration in microseconds (clamped to [0, one hour]). */
  recordUs(us: number): void {
    this.recordMs(us / 1000);
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  /** The value (ms) at percentile `percentile` (0–100); nearest-rank, HDR precision. 0 when empty. */
  percentileMs(percentile: number): number {
    if (this.#histogram.totalCount === 0) return 0;
    return this.#histogram.getValueAtPercentile(percentile) / 1000;
  }

  /**
   * The `rank`-th smallest recorded value (1-based, ms, HDR precision): the order statistic that
   * confidence intervals of quantiles are made of. INVALID_ARGUMENT outside 1..count.
   */
  valueAtRankMs(rank: number): number {
    const count = this.#histogram.totalCount;
    if (!Number.isInteger(rank) || rank < 1 || rank > count) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`rank\` to be an integer from 1 to ${count}, got ${describeValue(rank)}`,
      );
    }
    // getValueAtPercentile takes the value of rank ceil(p/100 × count): aim half a rank low so that
    // floating-point rounding cannot land on the next rank.
    return this.#histogram.getValueAtPercentile(((rank - 0.5) / count) * 100) / 1000;
  }

  summaryMs(): LatencySummaryMs {
    const h = this.#histogram;
    if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    return {
      p50: round3(h.getValueAtPercentile(50) / 1000),
      p90: round3(h.getValueAtPercentile(90) / 1000),
      p95: round3(h.getValueAtPercentile(95) / 1000),
      p99: round3(h.getValueAtPercentile(99) / 1000),
      p999: round3(h.getValueAtPercentile(99.9) / 1000),
      // From the buckets, like every other figure, so that a histogram and its encoded copy agree.
      max: round3(h.getValueAtPercentile(100) / 1000),
      mean: round3(h.mean / 1000),
    };
  }

  /** Adds every value of `other` into this histogram. */
  add(other: LatencyHistogram): void {
    this.#histogram.add(other.#histogram);
  }

  reset(): void {
    this.#histogram.reset();
  }

  /** HdrHistogram's compressed base64 encoding (values in µs). */
  encode(): string {
    return loadHdr().encodeIntoCompressedBase64(this.#histogram);
  }

  /** Frees the histogram's memory; idempotent. The histogram must not be used afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#histogram.destroy();
  }
}
