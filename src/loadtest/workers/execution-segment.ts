/**
 * Execution segments: how one run's load is split between several processes or machines without
 * losing or double-counting an arrival. Segment `i/n` (i from 0 to n − 1) owns arrival k of every
 * open-model group exactly when k mod n = i, where k numbers the arrivals of the single-process
 * schedule from 0; so the n segments partition that schedule exactly and each offers 1/n of it,
 * evenly spread in time (k6's execution segments, restricted to n equal ones). Every segment draws
 * the same seeded arrival stream and skips what it does not own; a closed-model group's clients are
 * dealt out the same way. The module owns the segment arithmetic and never starts a process.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { ArrivalSource } from '../arrivals.ts';
import type { Profile } from '../profile-spec.ts';

/** The most segments one run may be split into. */
export const SEGMENTS_MAX = 1_024;

export interface ExecutionSegment {
  /** From 0 to count − 1. */
  readonly index: number;
  /** How many segments the run is split into (1: the whole run). */
  readonly count: number;
}

/** The whole run as one segment. */
export const WHOLE_RUN: ExecutionSegment = Object.freeze({ index: 0, count: 1 });

function segmentError(field: string, got: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected \`${field}\` to be a segment i/n with n from 1 to ${SEGMENTS_MAX} and i from 0 to n − 1 ` +
      `(for example 0/4), got ${describeValue(got)}`,
  );
}

/** Checks a segment object; INVALID_ARGUMENT naming `field` otherwise. */
export function checkSegment(value: unknown, field = 'segment'): ExecutionSegment {
  const s = value as Partial<ExecutionSegment> | null;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    Number.isInteger(s.count) &&
    Number.isInteger(s.index) &&
    (s.count as number) >= 1 &&
    (s.count as number) <= SEGMENTS_MAX &&
    (s.index as number) >= 0 &&
    (s.index as number) < (s.count as number);
  if (!ok) throw segmentError(field, value);
  return Object.freeze({ index: s.index as number, count: s.count as number });
}

/** Parses `i/n` (as `--segment` and a job index spell it); INVALID_ARGUMENT naming `field` otherwise. */
export function parseSegment(text: unknown, field = '--segment'): ExecutionSegment {
  const match = typeof text === 'string' ? /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text) : null;
  if (match === null) throw segmentError(field, text);
  try {
    return checkSegment({ index: Number(match[1]), count: Number(match[2]) }, field);
  } catch {
    throw segmentError(field, text);
  }
}

export function formatSegment(segment: ExecutionSegment): string {
  return `${segment.index}/${segment.count}`;
}

/** Whether arrival `k` (0-based, of the single-process schedule) belongs to `segment`. */
export function ownsArrival(segment: ExecutionSegment, k: number): boolean {
  return k % segment.count === segment.index;
}

/** How many of the items 0 … total − 1 `segment` owns: ⌈(total − i) / n⌉, never below 0. */
export function shareOf(total: number, segment: ExecutionSegment): number {
  return Math.max(0, Math.ceil((total - segment.index) / segment.count));
}

/** The arrival number of the single-process schedule of the `local`-th arrival `segment` offers. */
export function globalArrivalIndex(segment: ExecutionSegment, local: number): number {
  return local * segment.count + segment.index;
}

/** The arrivals of `source` that `segment` owns, in order; the source itself for the whole run. */
export function segmentArrivals(source: ArrivalSource, segment: ExecutionSegment): ArrivalSource {
  if (segment.count === 1) return source;
  let k = 0;
  return {
    next() {
      for (;;) {
        const tMs = source.next();
        const owned = ownsArrival(segment, k);
        k++;
        if (owned || tMs === Number.POSITIVE_INFINITY) return tMs;
      }
    },
  };
}

/**
 * The profile as seen by the report and the timeline of one segment: the same shape at 1/n of the
 * rate, so that the segments' targets add up to the profile's. Arrivals are drawn from the original.
 */
export function segmentShareProfile(profile: Profile, segment: ExecutionSegment): Profile {
  if (segment.count === 1) return profile;
  const share = 1 / segment.count;
  return {
    kind: profile.kind,
    durationS: profile.durationS,
    rateMax: profile.rateMax * share,
    spike: profile.spike,
    rateAt: (tS) => profile.rateAt(tS) * share,
    integral: (fromS, toS) => profile.integral(fromS, toS) * share,
    inverseCursor: () => {
      const inverse = profile.inverseCursor();
      return (count) => inverse(count * segment.count);
    },
    describe: () => profile.describe(),
  };
}

/** A seeded stream's label for one segment: the label itself for the whole run, so N = 1 replays a plain run. */
export function segmentStreamLabel(label: string, segment: ExecutionSegment): string {
  return segment.count === 1 ? label : `${label}:segment ${formatSegment(segment)}`;
}
