/**
 * The writer lease: at most one store writes to an object-store prefix at a time. A writer takes the
 * lease object (lease-record.ts) with a conditional put: create-only (`ifNoneMatch: '*'`) when there
 * is none, compare-and-swap on its etag (`ifMatch`) when the one there has expired. A second writer
 * finds a live lease and is refused with LEASE_HELD. The holder renews it every `durationMs / 3`
 * (again by compare-and-swap on the etag of its own last put); a renewal that finds another etag
 * means another writer took over, and the lease is lost for good.
 *
 * The holder counts its lease valid until `durationMs - clockSkewMarginMs` after the start of its
 * last successful put (`validUntilMs`), so it stops writing before any other machine, whose clock
 * may be up to `clockSkewMarginMs` ahead, can see the lease expire. `check()` throws LEASE_LOST after
 * that; the store checks it before every write and every object-store put (fenced-object-store.ts).
 *
 * This module must never overwrite a live lease of another holder, and never report a lease valid
 * after its holder could have been replaced.
 */

import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { isObjectStoreError } from '../../object-store/object-store-error.ts';
import { decodeLease, encodeLease, LEASE_KEY, type LeaseRecord } from './lease-record.ts';

export const LEASE_DEFAULTS = Object.freeze({
  /** How long a lease lives without renewal, in milliseconds. */
  durationMs: 10_000,
});

/** Attempts of one acquisition that lost a race or read a lease replaced under it. */
const ACQUIRE_ATTEMPTS_MAX = 5;

export interface WriterLeaseOptions {
  readonly objectStore: ObjectStore;
  readonly clock: Clock;
  /** @default LEASE_DEFAULTS.durationMs */
  readonly durationMs?: number;
  /** @default a random UUID */
  readonly holder?: string;
  /** Called once when a renewal finds the lease taken over by another writer. */
  readonly onLost?: (error: TierVecError) => void;
}

export interface LeaseStats {
  holder: string;
  term: number;
  durationMs: number;
  validUntilMs: number;
  renewals: number;
  renewalFailures: number;
  lost: boolean;
}

interface Found {
  readonly record: LeaseRecord;
  readonly etag: string;
}

/** The lease object and its etag, or undefined when there is none. Head first: see `acquire`. */
async function readLease(store: ObjectStore): Promise<Found | undefined> {
  // The etag is read before the body: if the object changes in between, a put on this etag fails,
  // so a decision is never taken on a body newer than the etag it would replace.
  const head = await store.head(LEASE_KEY);
  if (head === undefined) return undefined;
  try {
    return { record: decodeLease(await store.get(LEASE_KEY)), etag: head.etag };
  } catch (error) {
    if (isObjectStoreError(error, 'NoSuchKey')) return undefined;
    throw error;
  }
}

export class WriterLease {
  readonly holder: string;
  /** The fencing token of this holder. */
  readonly term: number;
  readonly durationMs: number;
  readonly #options: WriterLeaseOptions;
  #etag: string;
  #validUntilMs: number;
  #lost: TierVecError | undefined;
  #timer: TimerHandle | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #stats = { renewals: 0, renewalFailures: 0 };

  private constructor(options: WriterLeaseOptions, record: LeaseRecord, etag: string, startedAtMs: number) {
    this.#options = options;
    this.holder = record.holder;
    this.term = record.term;
    this.durationMs = record.durationMs;
    this.#etag = etag;
    this.#validUntilMs = startedAtMs + this.durationMs - clockSkewMarginMs(this.durationMs);
    this.#schedule();
  }

  /** Takes the lease, or rejects with LEASE_HELD while another holder's lease is live. */
  static async acquire(options: WriterLeaseOptions): Promise<WriterLease> {
    const durationMs = options.durationMs ?? LEASE_DEFAULTS.durationMs;
    const holder = options.holder ?? randomUUID();
    const { objectStore: store, clock } = options;
    for (let attempt = 1; ; attempt++) {
      const found = await readLease(store);
      const now = clock.now();
      if (found !== undefined && found.record.holder !== holder && found.record.expiresAtMs > now) {
        throw leaseHeld(found.record);
      }
      const record: LeaseRecord = {
        format: 1,
        holder,
        term: (found?.record.term ?? 0) + 1,
        durationMs,
        renewedAtMs: now,
        expiresAtMs: now + durationMs,
      };
      const condition = found === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: found.etag };
      try {
        const { etag } = await store.put(LEASE_KEY, encodeLease(record), condition);
        return new WriterLease({ ...options, durationMs, holder }, record, etag, now);
      } catch (error) {
        // Another writer got there first (or changed the lease between our reads): look again.
        if (!isObjectStoreError(error, 'PreconditionFailed') || attempt >= ACQUIRE_ATTEMPTS_MAX) throw error;
      }
    }
  }

  /** Throws LEASE_LOST unless this holder may still write. */
  check(): void {
    if (this.#lost !== undefined) throw this.#lost;
    const now = this.#options.clock.now();
    if (now >= this.#validUntilMs) {
      throw new TierVecError(
        ErrorCode.LEASE_LOST,
        `The writer lease (term ${this.term}) has not been renewed since ${Math.round(now - this.#validUntilMs)} ms past its validity: another writer may have taken over, so this store refuses writes and publishes`,
        { details: { term: this.term, holder: this.holder, validUntilMs: this.#validUntilMs } },
      );
    }
  }

  get valid(): boolean {
    return this.#lost === undefined && this.#options.clock.now() < this.#validUntilMs;
  }

  stats(): LeaseStats {
    return {
      holder: this.holder,
      term: this.term,
      durationMs: this.durationMs,
      validUntilMs: this.#validUntilMs,
      ...this.#stats,
      lost: this.#lost !== undefined,
    };
  }

  /** Renews now (the background renewal does this every `durationMs / 3`). */
  renew(): Promise<void> {
    this.#renewing = this.#renewing.then(() => this.#renewOnce());
    return this.#renewing;
  }

  /** This holder's lease record, renewed at `now` and valid until `expiresAtMs` (0: released). */
  #record(now: number, expiresAtMs: number): LeaseRecord {
    return {
      format: 1,
      holder: this.holder,
      term: this.term,
      durationMs: this.durationMs,
      renewedAtMs: now,
      expiresAtMs,
    };
  }

  async #renewOnce(): Promise<void> {
    if (this.#lost !== undefined || this.#stopped) return;
    const now = this.#options.clock.now();
    const record = this.#record(now, now + this.durationMs);
    try {
      const { etag } = await this.#options.objectStore.put(LEASE_KEY, encodeLease(record), {
        ifMatch: this.#etag,
      });
      this.#etag = etag;
      this.#validUntilMs = Math.max(
        this.#validUntilMs,
        now + this.durationMs - clockSkewMarginMs(this.durationMs),
      );
      this.#stats.renewals++;
    } catch (error) {
      this.#stats.renewalFailures++;
      if (isObjectStoreError(error, 'PreconditionFailed')) await this.#lostOrOurs(error);
      // Any other failure is retried on the next tick; the lease lapses by itself if none succeeds.
    }
  }

  /** A renewal's etag did not match: an earlier renewal of ours whose answer was lost, or a takeover. */
  async #lostOrOurs(cause: unknown): Promise<void> {
    const found = await readLease(this.#options.objectStore).catch(() => undefined);
    if (found !== undefined && found.record.holder === this.holder && found.record.term === this.term) {
      this.#etag = found.etag;
      return;
    }
    this.#lost = new TierVecError(
      ErrorCode.LEASE_LOST,
      `The writer lease (term ${this.term}) was taken over by another writer${found === undefined ? '' : ` (term ${found.record.term})`}: this store refuses writes and publishes`,
      { cause, details: { term: this.term, holder: this.holder, newTerm: found?.record.term } },
    );
    this.#options.onLost?.(this.#lost);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#options.clock.setTimeout(
      () => {
        this.renew().finally(() => this.#schedule());
      },
      Math.max(1, Math.floor(this.durationMs / 3)),
    );
  }

  /**
   * Stops renewing and, unless lost, marks the lease expired so that the next writer takes over at
   * once. Best effort: when the put fails, the lease expires by itself after `durationMs`.
   */
  async release(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    await this.#renewing;
    if (this.#lost !== undefined) return;
    this.#validUntilMs = 0;
    const now = this.#options.clock.now();
    const record = this.#record(now, 0);
    await this.#options.objectStore
      .put(LEASE_KEY, encodeLease(record), { ifMatch: this.#etag })
      .catch(() => undefined);
  }
}

/** How much earlier than other machines a holder counts its lease gone: a fifth of its duration. */
export function clockSkewMarginMs(durationMs: number): number {
  return Math.floor(durationMs / 5);
}

function leaseHeld(record: LeaseRecord): TierVecError {
  return new TierVecError(
    ErrorCode.LEASE_HELD,
    `Another writer (holder ${describeValue(record.holder)}, term ${record.term}) holds the writer lease of this object store until clock ${record.expiresAtMs}: open it with readOnly: true, or again after that writer closes or its lease expires`,
    { details: { holder: record.holder, term: record.term, expiresAtMs: record.expiresAtMs } },
  );
}
