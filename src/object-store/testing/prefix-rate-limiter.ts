/**
 * Per-prefix request-rate limits as S3 applies them: each prefix sustains a number of write requests
 * (PUT, DELETE) and read requests (GET, HEAD, LIST) per second, and requests beyond that are answered
 * with `SlowDown`. One token bucket per prefix and class, refilled continuously from the injected
 * clock, holding at most one second of requests (so a burst of `ratePerS` passes at once).
 *
 * A key's prefix is the key up to and including its last `/` (`tenants/a/wal/0001.arrow` →
 * `tenants/a/wal/`; `top` → ``); a listing's prefix is its prefix argument cut the same way. S3
 * partitions prefixes dynamically; a fixed rule keeps the mock predictable.
 */

import type { Clock } from '../../clock.ts';

export type RequestClass = 'read' | 'write';

export interface PrefixRateLimits {
  /** Write requests (put, delete) per second per prefix. @default 3500 */
  writesPerS: number;
  /** Read requests (get, head, list) per second per prefix. @default 5500 */
  readsPerS: number;
}

/** Buckets kept before full ones (idle prefixes) are dropped; bounds memory under many prefixes. */
export const RATE_LIMIT_BUCKETS_MAX = 10_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** The prefix S3 rate limits a key under: the key up to and including its last `/`. */
export function rateLimitPrefixOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

export class PrefixRateLimiter {
  readonly #limits: PrefixRateLimits;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limits: PrefixRateLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Takes one request's token for `key`'s prefix; false when the prefix is over its rate. */
  tryAcquire(requestClass: RequestClass, key: string): boolean {
    const ratePerS = requestClass === 'write' ? this.#limits.writesPerS : this.#limits.readsPerS;
    if (ratePerS === Number.POSITIVE_INFINITY) return true;
    // A bucket holds one second of requests, and at least one so that a rate below 1/s still passes.
    const capacity = Math.max(1, ratePerS);
    const nowMs = this.#clock.now();
    const id = `${requestClass}:${rateLimitPrefixOf(key)}`;
    let bucket = this.#buckets.get(id);
    if (bucket === undefined) {
      if (this.#buckets.size >= RATE_LIMIT_BUCKETS_MAX) this.#dropFullBuckets(nowMs);
      bucket = { tokens: capacity, updatedMs: nowMs };
      this.#buckets.set(id, bucket);
    }
    const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
    bucket.tokens = Math.min(capacity, bucket.tokens + (elapsedMs * ratePerS) / 1000);
    bucket.updatedMs = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #dropFullBuckets(nowMs: number): void {
    for (const [id, bucket] of this.#buckets) {
      const ratePerS = id.startsWith('write:') ? this.#limits.writesPerS : this.#limits.readsPerS;
      const capacity = Math.max(1, ratePerS);
      if (bucket.tokens + ((nowMs - bucket.updatedMs) * ratePerS) / 1000 >= capacity)
        this.#buckets.delete(id);
    }
  }
}
