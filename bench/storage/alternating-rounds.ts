/**
 * Ratios measured on a shared, noisy machine: the two sides of a ratio alternate in short windows,
 * in rounds ordered A B B A so that a machine speeding up or slowing down steadily within a round
 * weighs on both sides alike, and the figure is the median of the rounds' ratios, so that a round
 * that another tenant's burst hit on one side only moves it less than a mean would.
 */

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** One round's rates: side A measured first and last, side B twice in between. */
export interface AbbaRound {
  readonly a: readonly [number, number];
  readonly b: readonly [number, number];
}

/** B's rate ÷ A's in one round: the sum of B's two windows ÷ the sum of A's. */
export function abbaRatio(round: AbbaRound): number {
  return (round.b[0] + round.b[1]) / (round.a[0] + round.a[1]);
}
