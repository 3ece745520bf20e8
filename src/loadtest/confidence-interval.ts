/**
 * Confidence intervals for the figures two runs are compared on, computed from what a report keeps:
 * distribution-free order-statistic intervals for latency quantiles (from the decoded HDR
 * histogram), Wilson score intervals for error rates, and normal-approximation intervals for
 * Poisson counts (throughput), and Welch t intervals for ratios of per-second log medians (the
 * run-to-run noise of an operation's typical latency). Pure arithmetic: nothing here reads a clock
 * or draws a random number, and nothing here decides what a regression is (that is
 * `report/compare.ts`'s job).
 */

import { checkNumber } from '../errors.ts';
import type { LatencyHistogram } from './histogram.ts';

export interface Interval {
  low: number;
  high: number;
}

/** Ranks (1-based) of the order statistics bounding a quantile; null when n is too small to bound it. */
export interface RankInterval {
  lowRank: number;
  highRank: number;
}

/** Evaluates a polynomial with coefficients from the highest power down (Horner). */
function horner(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const c of coefficients) value = value * x + c;
  return value;
}

const ACKLAM = Object.freeze({
  a: [
    -39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472,
    2.50662827745924,
  ],
  b: [-54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857, 1],
  c: [
    -0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373, 4.37466414146497,
    2.93816398269878,
  ],
  d: [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742, 1],
});

/** The standard normal quantile (inverse CDF) of p in (0, 1), Acklam's approximation (error < 1.2e-9). */
export function normalQuantile(p: number): number {
  checkNumber('p', p, Number.MIN_VALUE, 1 - Number.EPSILON);
  const { a, b, c, d } = ACKLAM;
  const pLow = 0.02425;
  if (p < pLow || p > 1 - pLow) {
    const r = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const x = horner(c, r) / horner(d, r);
    return p < pLow ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (horner(a, r) * q) / horner(b, r);
}

/**
 * The probabilities of Binomial(n, q) over the range that holds all but a negligible part of its
 * mass, walked outwards from the mode with the ratio of consecutive terms (no factorials, so any n).
 */
function binomialMass(n: number, q: number): { start: number; mass: number[] } {
  const mode = Math.min(n, Math.floor((n + 1) * q));
  const up: number[] = [];
  const down: number[] = [];
  const ratioUp = q / (1 - q);
  let p = 1;
  for (let k = mode; k < n; k++) {
    p *= ((n - k) / (k + 1)) * ratioUp;
    if (p < 1e-18) break;
    up.push(p);
  }
  p = 1;
  for (let k = mode; k > 0; k--) {
    p *= k / (n - k + 1) / ratioUp;
    if (p < 1e-18) break;
    down.push(p);
  }
  const mass = [...down.reverse(), 1, ...up];
  const total = mass.reduce((sum, x) => sum + x, 0);
  return { start: mode - down.length, mass: mass.map((x) => x / total) };
}

/**
 * The ranks of the order statistics that bound the q-quantile of n samples from below and from
 * above, each with probability at least 1 - `tail` (the number of samples below the quantile is
 * Binomial(n, q), whatever the distribution). 0 or n + 1 when n is too small for that bound.
 */
function rankBounds(n: number, q: number, tail: number): { lowRank: number; highRank: number } {
  const { start, mass } = binomialMass(n, q);
  let cumulative = 0;
  let lowRank = 0;
  let highRank = n + 1;
  for (let i = 0; i < mass.length; i++) {
    // `cumulative` is P(B ≤ start + i - 1): the chance that X(start + i) lies above the quantile.
    if (cumulative <= tail) lowRank = start + i;
    cumulative += mass[i] as number;
    if (cumulative >= 1 - tail && highRank === n + 1) highRank = start + i + 1;
  }
  return { lowRank, highRank };
}

function checkQuantile(q: number, confidence: number): void {
  checkNumber('q', q, Number.MIN_VALUE, 1 - Number.EPSILON);
  checkNumber('confidence', confidence, 0.5, 0.9999);
}

/**
 * The ranks l ≤ u of the order statistics X(l), X(u) of n samples such that [X(l), X(u)] holds the
 * q-quantile with probability at least `confidence`, whatever the distribution. Null when n is too
 * small for either bound to exist.
 */
export function quantileRanks(n: number, q: number, confidence: number): RankInterval | null {
  checkQuantile(q, confidence);
  if (!Number.isInteger(n) || n < 1) return null;
  const { lowRank, highRank } = rankBounds(n, q, (1 - confidence) / 2);
  if (lowRank < 1 || highRank > n) return null;
  return { lowRank, highRank };
}

/**
 * One-sided bounds (ms) of the q-quantile of a histogram's values, each holding with probability
 * at least `confidence`: the quantile is at least `low` and at most `high`. A bound is null when
 * there are too few samples for it (an upper bound of p99 needs about 300).
 */
export function quantileBounds(
  histogram: LatencyHistogram,
  q: number,
  confidence: number,
): { low: number | null; high: number | null } {
  checkQuantile(q, confidence);
  const n = histogram.count;
  if (n < 1) return { low: null, high: null };
  const { lowRank, highRank } = rankBounds(n, q, 1 - confidence);
  return {
    low: lowRank >= 1 ? histogram.valueAtRankMs(lowRank) : null,
    high: highRank <= n ? histogram.valueAtRankMs(highRank) : null,
  };
}

/** The order-statistic confidence interval (ms) of the q-quantile of a histogram's values. */
export function quantileInterval(
  histogram: LatencyHistogram,
  q: number,
  confidence: number,
): Interval | null {
  const ranks = quantileRanks(histogram.count, q, confidence);
  if (ranks === null) return null;
  return { low: histogram.valueAtRankMs(ranks.lowRank), high: histogram.valueAtRankMs(ranks.highRank) };
}

/** Wilson score interval of a proportion `successes / n`; null when n is 0. */
export function proportionInterval(successes: number, n: number, confidence: number): Interval | null {
  if (!(n > 0)) return null;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  // Rounding leaves crumbs like 3e-17 where the bound is exactly 0 or 1.
  return {
    low: successes <= 0 ? 0 : Math.max(0, centre - half),
    high: successes >= n ? 1 : Math.min(1, centre + half),
  };
}

/** Interval of the mean of a Poisson count observed as `count` (normal approximation, never below 0). */
export function countInterval(count: number, confidence: number): Interval {
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const half = z * Math.sqrt(Math.max(count, 1));
  return { low: Math.max(0, count - half), high: count + half };
}

/**
 * Student's t quantile for `df` degrees of freedom (df ≥ 1, not necessarily whole), by the
 * Cornish–Fisher expansion around the normal quantile (Abramowitz & Stegun 26.7.5): within 0.1 % of
 * the exact value at p ≤ 0.999 from df = 5 on, and at most about 3 % too small at df = 4 and
 * p = 0.9999 (which is why `compare` asks for 5 seconds of data per run).
 */
export function studentTQuantile(p: number, df: number): number {
  checkNumber('df', df, 1, Number.MAX_VALUE);
  const z = normalQuantile(p);
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * (5 * z2 * z2 + 16 * z2 + 3)) / 96;
  const g3 = (z * (3 * z2 ** 3 + 19 * z2 * z2 + 17 * z2 - 15)) / 384;
  const g4 = (z * (79 * z2 ** 4 + 776 * z2 ** 3 + 1482 * z2 * z2 - 1920 * z2 - 945)) / 92_160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((sum, x) => sum + x, 0) / values.length;
  const variance = values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

/**
 * Interval of exp(mean(next) − mean(base)) for two samples of log values (Welch's t interval: the
 * two samples may have different spreads and sizes): with per-second log medians of an operation's
 * latency, the ratio of its typical latency new over base, with the noise the seconds of each run
 * show. Null when either sample has fewer than 2 values.
 */
export function logRatioInterval(
  base: readonly number[],
  next: readonly number[],
  confidence: number,
): Interval | null {
  checkNumber('confidence', confidence, 0.5, 0.9999);
  if (base.length < 2 || next.length < 2) return null;
  const b = meanAndVariance(base);
  const n = meanAndVariance(next);
  const vb = b.variance / base.length;
  const vn = n.variance / next.length;
  const se = Math.sqrt(vb + vn);
  const d = n.mean - b.mean;
  if (!(se > 0)) return { low: Math.exp(d), high: Math.exp(d) };
  // Welch–Satterthwaite degrees of freedom.
  const df = (vb + vn) ** 2 / (vb ** 2 / (base.length - 1) + vn ** 2 / (next.length - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, Math.max(1, df));
  return { low: Math.exp(d - t * se), high: Math.exp(d + t * se) };
}
