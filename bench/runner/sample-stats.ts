/**
 * Summaries of a few repeated whole measurements (reopens, process starts): minimum, median, mean,
 * maximum and the relative margin of error of the mean. Used where a figure group times a handful
 * of runs itself rather than letting tinybench sample a function; it never decides what to run.
 */

import { relativeMarginOfErrorPct } from './suite-runner.ts';

export interface SampleSummary {
  readonly count: number;
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly max: number;
  /** Relative margin of error (95%) of the mean, in percent: the noise `--compare` allows for. */
  readonly rmePct: number;
}

export function summarizeSamples(values: readonly number[]): SampleSummary {
  if (values.length === 0) throw new Error('summarizeSamples: no sample');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return {
    count: sorted.length,
    min: sorted[0] as number,
    median,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    max: sorted.at(-1) as number,
    rmePct: relativeMarginOfErrorPct(sorted),
  };
}
