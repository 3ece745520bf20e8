/**
 * Recall@k: of the k true nearest neighbours of each query, the fraction an approximate search
 * returned among its first k, averaged over queries. The exact neighbours come from a brute-force
 * scan the suite computes on the same data; this module only scores.
 */

import { ErrorCode, TierVecError } from '../../src/errors.ts';

/**
 * Mean recall@k over queries. `found[q]` and `truth[q]` are the ids returned for query q, best first;
 * only the first k of each count. A query whose truth has fewer than k ids (a collection smaller
 * than k) is scored against the ids it has.
 */
export function recallAtK<Id>(
  found: readonly (readonly Id[])[],
  truth: readonly (readonly Id[])[],
  k: number,
): number {
  if (!Number.isInteger(k) || k < 1) {
    throw new TierVecError(ErrorCode.INVALID_ARGUMENT, `Expected \`k\` to be an integer from 1 up, got ${k}`);
  }
  if (found.length !== truth.length || truth.length === 0) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected as many result lists as truth lists (at least one), got ${found.length} and ${truth.length}`,
    );
  }
  let sum = 0;
  truth.forEach((exact, q) => {
    const expected = new Set(exact.slice(0, k));
    if (expected.size === 0) {
      throw new TierVecError(ErrorCode.INVALID_ARGUMENT, `Expected truth list ${q} to hold at least one id`);
    }
    const returned = new Set((found[q] ?? []).slice(0, k));
    let hits = 0;
    for (const id of returned) if (expected.has(id)) hits++;
    sum += hits / expected.size;
  });
  return sum / truth.length;
}
