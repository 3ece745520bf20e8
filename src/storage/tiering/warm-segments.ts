/**
 * Pre-loading segments ahead of traffic (`collection.warm()`): given sealed segments most wanted
 * first, it plans by the budgets, then downloads and loads through the TierManager.
 *
 * The plan: the longest prefix whose expected memory (`memoryBytesExpected`) fits `hotBytesMax` is
 * loaded into memory; of the rest, the longest run whose files fit `warmBytesMax` is brought to
 * local disk only (cold ones downloaded); what follows stays cold. Segments are loaded while held,
 * so the policy cannot demote one before the others are in; then they are marked accessed with the
 * most wanted last (most recently used), released, and the policy settles: it demotes other
 * segments first to make room, and should an estimate have been short, the least wanted of these.
 * The outcome counts the tiers the segments are in once the policy has settled, so it never claims
 * more than the budgets hold.
 *
 * It moves segments only through the TierManager (so every transition is counted and emitted as a
 * tier event with reason `warm`) and must never hold a segment past its return, also when a
 * download or load fails (it then rejects with that typed error; what was loaded stays loaded).
 * Segments a concurrent compaction replaces are skipped, not followed to their successors. An
 * aborted `signal` starts no further download or load, and the call rejects with its reason once
 * those running have ended (and what it held is released).
 */

import { mapConcurrent } from '../../map-concurrent.ts';
import type { SealedSegment } from '../segment/sealed-segment.ts';
import type { TierManager } from './tier-manager.ts';

export interface WarmOutcome {
  /** Segments covered. */
  segments: number;
  /** Covered segments in memory once the call returns, and their bytes in memory. */
  hot: number;
  hotBytes: number;
  /** Covered segments left on local disk only: the hot budget had no room for them. */
  leftWarm: number;
  /** Covered segments left in the object store only: the warm budget had no room for them either. */
  leftCold: number;
  /** Covered segments this call downloaded from the object store, and their files' bytes. */
  fetched: number;
  fetchedBytes: number;
}

interface WarmPlan {
  readonly load: readonly SealedSegment[];
  readonly download: readonly SealedSegment[];
}

/** Plans by the budgets: what to load (a prefix) and what only to bring to local disk (the next run). */
export function planWarm(
  segments: readonly SealedSegment[],
  budgets: { readonly hotBytesMax: number; readonly warmBytesMax: number },
): WarmPlan {
  let hotBytes = 0;
  let i = 0;
  for (; i < segments.length; i++) {
    const bytes = (segments[i] as SealedSegment).memoryBytesExpected();
    if (hotBytes + bytes > budgets.hotBytesMax) break;
    hotBytes += bytes;
  }
  const load = segments.slice(0, i);
  let warmBytes = 0;
  let j = i;
  for (; j < segments.length; j++) {
    const segment = segments[j] as SealedSegment;
    // A segment already in memory stays there (the policy decides when it leaves); it needs no room on disk.
    if (segment.tier === 'hot') continue;
    const bytes = segment.bytes().filesBytes;
    if (warmBytes + bytes > budgets.warmBytesMax) break;
    warmBytes += bytes;
  }
  return { load, download: segments.slice(i, j).filter((segment) => segment.tier === 'cold') };
}

/** Brings `segments` (most wanted first) local and into memory as far as the budgets allow. */
export async function warmSegments(
  tiers: TierManager,
  segments: readonly SealedSegment[],
  signal?: AbortSignal,
): Promise<WarmOutcome> {
  const plan = planWarm(segments, tiers.options);
  const coldBefore = new Set(segments.filter((segment) => segment.tier === 'cold'));
  const held = new Set<SealedSegment>();
  const loads = new Set(plan.load);
  try {
    await mapConcurrent(
      [...plan.load, ...plan.download],
      tiers.options.promotionsConcurrentMax,
      async (segment) => {
        // A compaction that ran meanwhile replaced it: its successor is not covered by this call.
        if (!tiers.tracks(segment)) return;
        if (!loads.has(segment)) return tiers.download(segment, 'warm');
        await tiers.acquire(segment, 'warm');
        held.add(segment);
        // Held segments cannot be demoted: the policy makes room among the others as they come in.
        tiers.kick();
      },
      { signal },
    );
    // The most wanted becomes the most recently used: the last a budget demotes.
    tiers.touch([...plan.load, ...plan.download].reverse());
  } finally {
    for (const segment of held) tiers.release(segment);
  }
  await tiers.settle();
  return outcomeOf(segments, coldBefore);
}

function outcomeOf(segments: readonly SealedSegment[], coldBefore: ReadonlySet<SealedSegment>): WarmOutcome {
  const outcome: WarmOutcome = {
    segments: segments.length,
    hot: 0,
    hotBytes: 0,
    leftWarm: 0,
    leftCold: 0,
    fetched: 0,
    fetchedBytes: 0,
  };
  for (const segment of segments) {
    const tier = segment.tier;
    if (tier === 'hot') {
      outcome.hot++;
      outcome.hotBytes += segment.memoryBytesExpected();
    } else if (tier === 'warm') outcome.leftWarm++;
    else outcome.leftCold++;
    if (coldBefore.has(segment) && tier !== 'cold') {
      outcome.fetched++;
      outcome.fetchedBytes += segment.bytes().filesBytes;
    }
  }
  return outcome;
}
