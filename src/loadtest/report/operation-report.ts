/**
 * One operation's report, assembled from parts: the recorder's slots of one run (live histograms)
 * or the same operation's reports from several runs (encoded histograms). Counts and errors by code
 * add, histograms add exactly and every percentile is recomputed from the sum, so a report built
 * by `buildReport` and one built by `mergeReports` are the same shape from the same arithmetic. It
 * owns the temporary histograms it decodes and frees them; it never frees a histogram it was given.
 */

import { LatencyHistogram } from '../histogram.ts';
import type { LatencySummaryMs, OperationReport } from './schema.ts';

/** A live histogram, or one encoded as HdrHistogram compressed base64 (µs). */
export type HistogramSource = LatencyHistogram | string;

/** The most sample error messages an operation's report keeps per code (as the recorder does). */
export const REPORT_ERROR_SAMPLES_MAX = 3;

/** What one part (a slot of a run, or a run's report) contributes to an operation's report. */
export interface OperationPart {
  count: number;
  errors: number;
  errorsByCode: Iterable<readonly [string, number]>;
  /** The first few messages of each code. */
  errorSamples?: Iterable<readonly [string, readonly string[]]>;
  dropped: number;
  cutOff: number;
  response: HistogramSource;
  service: HistogramSource;
  errorResponse: HistogramSource;
}

/** Adds `sources` into a new histogram, calls `use` with it, and frees it and every decoded part. */
export function withHistogramSum<T>(
  sources: Iterable<HistogramSource>,
  use: (sum: LatencyHistogram) => T,
): T {
  const sum = new LatencyHistogram();
  try {
    for (const source of sources) {
      if (typeof source !== 'string') {
        sum.add(source);
        continue;
      }
      const decoded = LatencyHistogram.decode(source);
      try {
        sum.add(decoded);
      } finally {
        decoded.destroy();
      }
    }
    return use(sum);
  } finally {
    sum.destroy();
  }
}

/** The summary and encoding of the sum of `sources`. */
export function sumHistograms(sources: Iterable<HistogramSource>): {
  summary: LatencySummaryMs;
  encoded: string;
} {
  return withHistogramSum(sources, (sum) => ({ summary: sum.summaryMs(), encoded: sum.encode() }));
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

function addCodes(parts: readonly OperationPart[]): Record<string, number> {
  const errorsByCode: Record<string, number> = {};
  for (const part of parts) {
    for (const [code, count] of part.errorsByCode) errorsByCode[code] = (errorsByCode[code] ?? 0) + count;
  }
  return errorsByCode;
}

/** The first REPORT_ERROR_SAMPLES_MAX distinct messages per code across the parts; undefined when none. */
function joinSamples(parts: readonly OperationPart[]): Record<string, string[]> | undefined {
  let samples: Record<string, string[]> | undefined;
  for (const part of parts) {
    for (const [code, messages] of part.errorSamples ?? []) {
      samples ??= {};
      samples[code] ??= [];
      const kept = samples[code];
      for (const message of messages) {
        if (kept.length < REPORT_ERROR_SAMPLES_MAX && !kept.includes(message)) kept.push(message);
      }
    }
  }
  return samples;
}

/** A finished operation report as a part of a larger one (its histograms stay encoded). */
export function operationPart(report: OperationReport): OperationPart {
  return {
    count: report.count,
    errors: report.errors,
    errorsByCode: Object.entries(report.errorsByCode),
    errorSamples: Object.entries(report.errorSamples ?? {}),
    dropped: report.dropped,
    cutOff: report.cutOff,
    response: report.histogram,
    service: report.serviceTimeHistogram,
    errorResponse: report.errorHistogram,
  };
}

/** One operation's report from its parts. */
export function buildOperationReport(parts: readonly OperationPart[]): OperationReport {
  const response = sumHistograms(parts.map((p) => p.response));
  const service = sumHistograms(parts.map((p) => p.service));
  const failed = sumHistograms(parts.map((p) => p.errorResponse));
  const errorSamples = joinSamples(parts);
  return {
    count: sumOf(parts, (p) => p.count),
    errors: sumOf(parts, (p) => p.errors),
    errorsByCode: addCodes(parts),
    ...(errorSamples === undefined ? {} : { errorSamples }),
    dropped: sumOf(parts, (p) => p.dropped),
    cutOff: sumOf(parts, (p) => p.cutOff),
    latencyMs: response.summary,
    serviceTimeMs: service.summary,
    errorLatencyMs: failed.summary,
    histogram: response.encoded,
    serviceTimeHistogram: service.encoded,
    errorHistogram: failed.encoded,
  };
}
