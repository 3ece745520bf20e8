/**
 * What one collection's segments did between tiers: every transition counted, with the bytes it
 * moved and the time it took, promotion latencies (from the access that needed a segment to the
 * segment being in memory), failed promotions, and an event stream for listeners (the load harness
 * tags latencies with the tier state through it). Pure bookkeeping: no I/O, no timers.
 */

import type { TierVecError } from '../../errors.ts';
import type { TierName } from './tiering-options.ts';

export type TransitionKind = 'hotToWarm' | 'warmToCold' | 'coldToWarm' | 'warmToHot';

/** Why a segment moved (`warm`: a `collection.warm()` hint loading or downloading it ahead of use). */
export type TierReason = 'search' | 'get' | 'budget' | 'idle' | 'setTier' | 'pin' | 'compact' | 'warm';

export type TierEvent =
  | {
      readonly type: 'transition';
      readonly tenant: string;
      readonly collection: string;
      readonly segmentId: string;
      readonly from: TierName;
      readonly to: TierName;
      readonly reason: TierReason;
      readonly bytes: number;
      readonly durationMs: number;
      readonly atMs: number;
    }
  | {
      readonly type: 'promotion-failed';
      readonly tenant: string;
      readonly collection: string;
      readonly segmentId: string;
      /** The tier the segment stayed in. */
      readonly tier: TierName;
      readonly reason: TierReason;
      readonly error: TierVecError;
      readonly atMs: number;
    };

export type TierEventListener = (event: TierEvent) => void;

/**
 * Counts per transition kind. Only counts sit directly under `transitions`; bytes and times are
 * in the nested `bytesMoved`, `durationMs` and `promotionMs` records.
 */
export interface TransitionStats {
  hotToWarm: number;
  warmToCold: number;
  coldToWarm: number;
  warmToHot: number;
  bytesMoved: Record<TransitionKind, number>;
  durationMs: Record<TransitionKind, number>;
  /** Promotions that brought a warm or cold segment into memory for an access or a tier change. */
  promotionMs: { count: number; total: number; max: number; last: number };
}

const KIND_OF: Record<string, TransitionKind> = {
  'hot>warm': 'hotToWarm',
  'warm>cold': 'warmToCold',
  'cold>warm': 'coldToWarm',
  'warm>hot': 'warmToHot',
};

function perKind(): Record<TransitionKind, number> {
  return { hotToWarm: 0, warmToCold: 0, coldToWarm: 0, warmToHot: 0 };
}

export class TierAccounting {
  readonly tenant: string;
  readonly collection: string;
  readonly #counts = perKind();
  readonly #bytes = perKind();
  readonly #durations = perKind();
  readonly #promotion = { count: 0, total: 0, max: 0, last: 0 };
  #promotionFailures = 0;
  readonly #listeners = new Set<TierEventListener>();
  readonly #storeListener: TierEventListener | undefined;

  constructor(tenant: string, collection: string, storeListener?: TierEventListener) {
    this.tenant = tenant;
    this.collection = collection;
    this.#storeListener = storeListener;
  }

  transition(
    segmentId: string,
    from: TierName,
    to: TierName,
    reason: TierReason,
    bytes: number,
    durationMs: number,
    atMs: number,
  ): void {
    const kind = KIND_OF[`${from}>${to}`];
    if (kind === undefined) throw new Error(`TierAccounting: no transition ${from} → ${to}`);
    this.#counts[kind]++;
    this.#bytes[kind] += bytes;
    this.#durations[kind] += durationMs;
    this.#emit({
      type: 'transition',
      tenant: this.tenant,
      collection: this.collection,
      segmentId,
      from,
      to,
      reason,
      bytes,
      durationMs,
      atMs,
    });
  }

  promoted(latencyMs: number): void {
    const p = this.#promotion;
    p.count++;
    p.total += latencyMs;
    p.max = Math.max(p.max, latencyMs);
    p.last = latencyMs;
  }

  promotionFailed(segmentId: string, tier: TierName, reason: TierReason, error: TierVecError, atMs: number) {
    this.#promotionFailures++;
    this.#emit({
      type: 'promotion-failed',
      tenant: this.tenant,
      collection: this.collection,
      segmentId,
      tier,
      reason,
      error,
      atMs,
    });
  }

  get promotionFailures(): number {
    return this.#promotionFailures;
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: TierEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): TransitionStats {
    return {
      ...this.#counts,
      bytesMoved: { ...this.#bytes },
      durationMs: { ...this.#durations },
      promotionMs: { ...this.#promotion },
    };
  }

  #emit(event: TierEvent): void {
    // A listener's failure must not break the store's bookkeeping.
    for (const listener of [...this.#listeners, ...(this.#storeListener ? [this.#storeListener] : [])]) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`A tier event listener threw: ${(error as Error)?.message ?? error}`, {
          code: 'TIERVEC_TIER_LISTENER_FAILED',
        });
      }
    }
  }
}
