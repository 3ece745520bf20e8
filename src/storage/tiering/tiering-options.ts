/**
 * The tiering policy's options: their defaults (one frozen object, which the README's table is tested
 * against) and their validation. Budgets are store-wide (every collection's sealed segments share
 * them); idle times run on the store's clock.
 */

import { checkOption, checkOptions, integer, oneOf } from '../../options.ts';

export interface TieringOptions {
  /**
   * Bytes of sealed segments kept in memory (vectors, metadata and HNSW graph), store-wide; beyond it
   * the least recently used are demoted to warm. @default 1_073_741_824 (1 GiB)
   */
  hotBytesMax?: number;
  /**
   * Bytes of warm segments' files kept on local disk, store-wide; beyond it the least recently used
   * that are durable in the object store go cold. @default 17_179_869_184 (16 GiB)
   */
  warmBytesMax?: number;
  /** A hot segment not accessed for this long is demoted to warm, in ms. @default 600_000 (10 min) */
  hotIdleMs?: number;
  /** A warm segment not accessed for this long goes cold, in ms. @default 86_400_000 (24 h) */
  warmIdleMs?: number;
  /** Segments one search or tier change promotes at the same time. @default 4 */
  promotionsConcurrentMax?: number;
  /** Wait before a failed publish to the object store is tried again, in ms. @default 30_000 */
  publishRetryMs?: number;
}

export const TIERING_DEFAULTS = Object.freeze({
  hotBytesMax: 2 ** 30,
  warmBytesMax: 16 * 2 ** 30,
  hotIdleMs: 600_000,
  warmIdleMs: 86_400_000,
  promotionsConcurrentMax: 4,
  publishRetryMs: 30_000,
});

export type ResolvedTieringOptions = Readonly<Required<TieringOptions>>;

/** What each tiering option may be; any other key is rejected. */
export const TIERING_LIMITS = Object.freeze({
  hotBytesMax: integer(0, Number.MAX_SAFE_INTEGER),
  warmBytesMax: integer(0, Number.MAX_SAFE_INTEGER),
  hotIdleMs: integer(0, Number.MAX_SAFE_INTEGER),
  warmIdleMs: integer(0, Number.MAX_SAFE_INTEGER),
  promotionsConcurrentMax: integer(1, Number.MAX_SAFE_INTEGER),
  publishRetryMs: integer(1, Number.MAX_SAFE_INTEGER),
});

/** Defaults first, then the caller's options, each checked; INVALID_ARGUMENT names the option. */
export function resolveTieringOptions(input: unknown): ResolvedTieringOptions {
  return checkOptions(input ?? {}, TIERING_LIMITS, TIERING_DEFAULTS, 'tiering');
}

export type TierName = 'hot' | 'warm' | 'cold';
export const TIER_NAMES: readonly TierName[] = Object.freeze(['hot', 'warm', 'cold']);

const TIER_RULE = oneOf(TIER_NAMES);

/** Checks a tier argument (`setTier`, `pin`). */
export function checkTier(value: unknown, name = 'tier'): TierName {
  return checkOption(name, value, TIER_RULE);
}
