/**
 * What a `collection.warm()` hint covers: it checks the options (exactly one of `partitions`,
 * `queries` or `all`) and turns them into the sealed segments to bring local, most wanted first.
 *
 * - `partitions`: those partitions, in the order given, each one's segments in routing-index order.
 * - `queries`: the partitions the queries' searches would probe (`nprobe` nearest each), most
 *   requested first (probed by more queries), then by their best rank among the queries' nearest,
 *   then by number; the not-yet-partitioned segments come before them, since every search reads them.
 * - `all`: the not-yet-partitioned segments, then every partition in order.
 * On a collection that is not partitioned, `queries` (checked all the same) and `all` cover every
 * sealed segment, oldest first, and `partitions` is INVALID_ARGUMENT.
 *
 * It only reads the routing index and the segment list; it must never move, load or fetch anything,
 * and it throws before the caller has changed anything.
 */

import { checkInteger, describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { CollectionSpec } from '../collection-spec.ts';
import { norm } from '../segment/distance.ts';
import type { SealedSegment } from '../segment/sealed-segment.ts';
import { checkOptionsObject, validateQueryVector } from '../validation.ts';
import { PARTITION_DEFAULTS } from './partition-defaults.ts';
import type { RoutingIndex } from './routing-index.ts';

/** Exactly one of `partitions`, `queries` or `all`, and optionally a `signal`. */
export type WarmOptions = (
  | {
      /** Partition numbers (0 to `stats().partitions.count` − 1) to bring local. */
      partitions: readonly number[];
    }
  | {
      /** Query vectors a service expects: the partitions their searches would probe are brought local. */
      queries: readonly (Float32Array | readonly number[])[];
      /** Partitions each query probes, as in `search`. @default PARTITION_DEFAULTS.nprobe (8) */
      nprobe?: number;
    }
  | {
      /** Every sealed segment (every partition, and the not-yet-partitioned segments). */
      all: true;
    }
) & {
  /** Starts no further download or load once aborted; the call then rejects with its reason. */
  signal?: AbortSignal;
};

export const WARM_LIMITS = Object.freeze({
  /** Query vectors one `warm({ queries })` call takes. */
  queriesMax: 10_000,
});

export interface WarmTarget {
  /** Partitions covered, most wanted first (empty when the collection is not partitioned). */
  readonly partitions: readonly number[];
  /** Sealed segments covered, most wanted first. */
  readonly segments: readonly SealedSegment[];
  /** Each covered partition's segments, in the order of `partitions`. */
  readonly partitionSegments: readonly (readonly SealedSegment[])[];
  readonly signal: AbortSignal | undefined;
}

type CheckedWarm = (
  | { kind: 'partitions'; partitions: number[] }
  | { kind: 'queries'; queries: Float32Array[]; nprobe: number }
  | { kind: 'all' }
) & { signal: AbortSignal | undefined };

/** Checks the options against the collection; INVALID_ARGUMENT, DIMENSION_MISMATCH or INVALID_VECTOR name the input. */
export function checkWarmOptions(
  options: unknown,
  spec: CollectionSpec,
  routing: RoutingIndex | undefined,
): CheckedWarm {
  const checked = checkOptionsObject('warm options', options, [
    'partitions',
    'queries',
    'nprobe',
    'all',
    'signal',
  ]);
  const given = (['partitions', 'queries', 'all'] as const).filter((key) => checked[key] !== undefined);
  if (given.length !== 1) {
    throw invalid(
      given.length === 0 ? 'options' : given.join(' and '),
      `Expected warm options to have exactly one of \`partitions\`, \`queries\` or \`all\`, got ${given.length === 0 ? 'none' : given.map((key) => `\`${key}\``).join(' and ')}`,
    );
  }
  if (checked.nprobe !== undefined && checked.queries === undefined) {
    throw invalid('nprobe', 'Expected `nprobe` only together with `queries`');
  }
  const signal = checked.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid('signal', `Expected \`signal\` to be an AbortSignal, got ${describeValue(signal)}`);
  }
  if (checked.all !== undefined) {
    if (checked.all !== true)
      throw invalid('all', `Expected \`all\` to be true, got ${describeValue(checked.all)}`);
    return { kind: 'all', signal };
  }
  if (checked.partitions !== undefined)
    return { kind: 'partitions', partitions: checkPartitions(checked.partitions, routing), signal };
  const nprobe = checkInteger(
    'nprobe',
    checked.nprobe ?? PARTITION_DEFAULTS.nprobe,
    1,
    PARTITION_DEFAULTS.nprobeMax,
  );
  return { kind: 'queries', queries: checkQueries(checked.queries, spec), nprobe, signal };
}

/** The segments and partitions a checked hint covers, most wanted first. */
export function warmTarget(
  warm: CheckedWarm,
  sealed: readonly SealedSegment[],
  routing: RoutingIndex | undefined,
): WarmTarget {
  const { signal } = warm;
  if (routing === undefined) return { partitions: [], segments: [...sealed], partitionSegments: [], signal };
  const byId = new Map(sealed.map((segment) => [segment.id, segment]));
  const unpartitioned = sealed.filter((segment) => routing.partitionOf(segment.id) === undefined);
  let partitions: number[];
  if (warm.kind === 'partitions') partitions = warm.partitions;
  else if (warm.kind === 'all') partitions = routing.partitions.map((_, p) => p);
  else partitions = rankProbed(warm.queries, warm.nprobe, routing);
  const partitionSegments = partitions.map((p) =>
    (routing.partitions[p]?.segmentIds ?? []).flatMap((id) => byId.get(id) ?? []),
  );
  const segments = (warm.kind === 'partitions' ? [] : unpartitioned).concat(...partitionSegments);
  return { partitions, segments, partitionSegments, signal };
}

/** Partitions whose every segment is in memory. */
export function partitionsHot(target: WarmTarget): number[] {
  return target.partitions.filter((_, i) =>
    (target.partitionSegments[i] ?? []).every((segment) => segment.tier === 'hot'),
  );
}

/** Partitions the queries probe: most requested first, then by best rank, then by number. */
function rankProbed(queries: readonly Float32Array[], nprobe: number, routing: RoutingIndex): number[] {
  const wanted = new Map<number, { requests: number; bestRank: number }>();
  for (const query of queries) {
    routing.nearest(query, norm(query, 0, query.length), nprobe).forEach((p, rank) => {
      const entry = wanted.get(p);
      if (entry === undefined) wanted.set(p, { requests: 1, bestRank: rank });
      else {
        entry.requests++;
        entry.bestRank = Math.min(entry.bestRank, rank);
      }
    });
  }
  return [...wanted.entries()]
    .sort(([pa, a], [pb, b]) => b.requests - a.requests || a.bestRank - b.bestRank || pa - pb)
    .map(([p]) => p);
}

function checkPartitions(value: unknown, routing: RoutingIndex | undefined): number[] {
  if (routing === undefined) {
    throw invalid(
      'partitions',
      'Expected `partitions` only on a partitioned collection; this one is not partitioned yet (see `compact()`); use `queries` or `all`',
    );
  }
  const last = routing.count - 1;
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(
      'partitions',
      `Expected \`partitions\` to be a non-empty array of partition numbers from 0 to ${last}, got ${describeValue(value)}`,
    );
  }
  for (const p of value) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > last) {
      throw invalid(
        'partitions',
        `Expected \`partitions\` to hold partition numbers from 0 to ${last}, got ${describeValue(p)}`,
      );
    }
  }
  return [...new Set(value as number[])];
}

function checkQueries(value: unknown, spec: CollectionSpec): Float32Array[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > WARM_LIMITS.queriesMax) {
    throw invalid(
      'queries',
      `Expected \`queries\` to be a non-empty array of at most ${WARM_LIMITS.queriesMax} query vectors, got ${describeValue(value)}`,
    );
  }
  return value.map((query, i) =>
    Float32Array.from(validateQueryVector(query, spec.dimension, spec.metric, `\`queries[${i}]\``)),
  );
}

function invalid(option: string, message: string): TierVecError {
  return new TierVecError(ErrorCode.INVALID_ARGUMENT, message, { details: { option } });
}
