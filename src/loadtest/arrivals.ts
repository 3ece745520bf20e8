/**
 * Arrival processes: turn a rate profile into the sequence of intended start times t_i of an open
 * model. `uniform` places arrival i where the profile's cumulative rate reaches i + ½ (evenly spaced
 * at a constant rate, following ramps and steps exactly); `poisson` draws exponential gaps from a
 * seeded Rng, and follows a non-constant rate by thinning against the profile's highest rate.
 * Sources are pull-based and allocate nothing per arrival; they never read a clock.
 */

import type { Rng } from '../random.ts';
import type { Profile } from './profile-spec.ts';

export const ARRIVAL_PROCESSES = ['uniform', 'poisson'] as const;
export type ArrivalProcess = (typeof ARRIVAL_PROCESSES)[number];

export interface ArrivalSource {
  /** The next intended start, in ms since the run started; Infinity once the profile's run is over. */
  next(): number;
}

export function createArrivals(profile: Profile, process: ArrivalProcess, rng: Rng): ArrivalSource {
  if (process === 'uniform') return uniformArrivals(profile);
  return profile.kind === 'constant' ? homogeneousPoisson(profile, rng) : thinnedPoisson(profile, rng);
}

function uniformArrivals(profile: Profile): ArrivalSource {
  const inverse = profile.inverseCursor();
  let index = 0;
  return {
    next() {
      const tS = inverse(index + 0.5);
      index++;
      return tS < profile.durationS ? tS * 1000 : Number.POSITIVE_INFINITY;
    },
  };
}

function homogeneousPoisson(profile: Profile, rng: Rng): ArrivalSource {
  const rate = profile.rateMax;
  let tS = 0;
  return {
    next() {
      tS += rng.nextExponential(rate);
      return tS < profile.durationS ? tS * 1000 : Number.POSITIVE_INFINITY;
    },
  };
}

/**
 * Lewis–Shedler thinning: candidates from a homogeneous process at the envelope rate λmax, each kept
 * with probability λ(t)/λmax, give a Poisson process of rate λ(t).
 */
function thinnedPoisson(profile: Profile, rng: Rng): ArrivalSource {
  const envelope = profile.rateMax;
  let tS = 0;
  return {
    next() {
      for (;;) {
        tS += rng.nextExponential(envelope);
        if (!(tS < profile.durationS)) return Number.POSITIVE_INFINITY;
        if (rng.next() * envelope < profile.rateAt(tS)) return tS * 1000;
      }
    },
  };
}
