/**
 * The piecewise-linear rate curve every profile but `periodic` is built on: points collected over
 * [0, durationS] (a step is two points at the same time), then a `Profile` whose rate, integral and
 * inverse have closed forms. Knows nothing about profile kinds or their fields; never checks input.
 */

import type { Profile, ProfileDescription, ProfileKind, ProfileSpec } from './profile-spec.ts';

/** Collects the points of a piecewise-linear curve over [0, durationS], cutting it at the end. */
export class PointsBuilder {
  readonly times: number[] = [];
  readonly rates: number[] = [];
  readonly #durationS: number;
  #closed = false;

  constructor(durationS: number) {
    this.#durationS = durationS;
  }

  add(tS: number, rate: number): this {
    if (this.#closed) return this;
    const last = this.times.length - 1;
    if (tS >= this.#durationS && last >= 0) {
      const t0 = this.times[last] as number;
      const r0 = this.rates[last] as number;
      const cutRate = tS === t0 ? rate : r0 + ((rate - r0) * (this.#durationS - t0)) / (tS - t0);
      this.times.push(this.#durationS);
      this.rates.push(tS === this.#durationS ? rate : cutRate);
      this.#closed = true;
      return this;
    }
    this.times.push(tS);
    this.rates.push(rate);
    return this;
  }

  /** Holds the last rate until the end of the run. */
  hold(): void {
    this.add(this.#durationS, this.rates[this.rates.length - 1] as number);
  }
}

export class PiecewiseLinearProfile implements Profile {
  readonly kind: ProfileKind;
  readonly durationS: number;
  readonly rateMax: number;
  readonly spike: { startS: number; endS: number } | undefined;
  readonly #spec: ProfileSpec;
  readonly #t: Float64Array;
  readonly #r: Float64Array;
  /** Cumulative expected arrivals at each point. */
  readonly #c: Float64Array;

  constructor(
    kind: ProfileKind,
    spec: ProfileSpec,
    durationS: number,
    points: PointsBuilder,
    spike: { startS: number; endS: number } | undefined,
  ) {
    if (points.times[points.times.length - 1] !== durationS) points.hold();
    this.kind = kind;
    this.#spec = spec;
    this.durationS = durationS;
    this.spike = spike;
    this.#t = Float64Array.from(points.times);
    this.#r = Float64Array.from(points.rates);
    this.#c = new Float64Array(this.#t.length);
    let rateMax = 0;
    for (let i = 0; i < this.#t.length; i++) {
      rateMax = Math.max(rateMax, this.#r[i] as number);
      if (i > 0) {
        const lengthS = (this.#t[i] as number) - (this.#t[i - 1] as number);
        this.#c[i] =
          (this.#c[i - 1] as number) + (lengthS * ((this.#r[i - 1] as number) + (this.#r[i] as number))) / 2;
      }
    }
    this.rateMax = rateMax;
  }

  /** Index of the last point at or before `tS` (tS within [0, durationS)). */
  #segment(tS: number): number {
    let lo = 0;
    let hi = this.#t.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((this.#t[mid] as number) <= tS) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  rateAt(tS: number): number {
    if (!(tS >= 0 && tS < this.durationS)) return 0;
    const i = this.#segment(tS);
    const t0 = this.#t[i] as number;
    const t1 = this.#t[i + 1] as number;
    const r0 = this.#r[i] as number;
    return t1 === t0
      ? (this.#r[i + 1] as number)
      : r0 + (((this.#r[i + 1] as number) - r0) * (tS - t0)) / (t1 - t0);
  }

  #cumulative(tS: number): number {
    if (tS <= 0) return 0;
    if (tS >= this.durationS) return this.#c[this.#c.length - 1] as number;
    const i = this.#segment(tS);
    const t0 = this.#t[i] as number;
    const lengthS = (this.#t[i + 1] as number) - t0;
    const r0 = this.#r[i] as number;
    const dt = tS - t0;
    const slope = lengthS === 0 ? 0 : ((this.#r[i + 1] as number) - r0) / lengthS;
    return (this.#c[i] as number) + r0 * dt + (slope * dt * dt) / 2;
  }

  integral(fromS: number, toS: number): number {
    return toS <= fromS ? 0 : this.#cumulative(toS) - this.#cumulative(fromS);
  }

  inverseCursor(): (count: number) => number {
    const last = this.#t.length - 1;
    const total = this.#c[last] as number;
    let i = 0;
    return (count: number) => {
      if (!(count < total)) return Number.POSITIVE_INFINITY;
      // Find the segment [i, i + 1] with c[i] < count ≤ c[i + 1]; zero-rate stretches are skipped.
      while (i < last - 1 && (this.#c[i + 1] as number) < count) i++;
      const t0 = this.#t[i] as number;
      const lengthS = (this.#t[i + 1] as number) - t0;
      const r0 = this.#r[i] as number;
      const d = count - (this.#c[i] as number);
      const halfSlope = lengthS === 0 ? 0 : ((this.#r[i + 1] as number) - r0) / (2 * lengthS);
      // Solve r0·x + halfSlope·x² = d in the form that stays accurate when halfSlope is tiny.
      const x =
        halfSlope === 0 ? d / r0 : (2 * d) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * halfSlope * d)));
      return t0 + Math.min(Math.max(x, 0), lengthS);
    };
  }

  describe(): ProfileDescription {
    const expected = this.integral(0, this.durationS);
    return {
      kind: this.kind,
      spec: this.#spec,
      durationS: this.durationS,
      rateMax: this.rateMax,
      meanRate: expected / this.durationS,
      expectedOperations: expected,
      ...(this.spike === undefined ? {} : { spike: this.spike }),
    };
  }
}
