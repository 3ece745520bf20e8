/**
 * What every collection of a store shares for the object-store tier: the object store, the one
 * ParallelUploader (so segment uploads, manifests and WAL batches share one concurrency bound, one
 * circuit breaker and one dead-letter queue), the store-wide TierManager, and the store's tier event
 * listener. Created by `openStore`, closed last by `Store.close`.
 */

import { join } from 'node:path';
import type { Clock } from '../../clock.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { omitOptions } from '../../options.ts';
import type { CircuitBreakerStats } from '../../uploaders/circuit-breaker.ts';
import {
  PARALLEL_UPLOADER_LIMITS,
  ParallelUploader,
  type ParallelUploaderOptions,
} from '../../uploaders/parallel-uploader.ts';
import type { TierEventListener } from './tier-accounting.ts';
import { TierManager } from './tier-manager.ts';
import type { ResolvedTieringOptions } from './tiering-options.ts';

/** ParallelUploader options a store passes through (`openStore({ uploads })`). */
export type StoreUploadsOptions = Omit<ParallelUploaderOptions, 'objectStore' | 'deadLetterDir' | 'clock'>;

/** What each `openStore({ uploads })` option may be: the ParallelUploader's, less those the store sets. */
export const STORE_UPLOADS_LIMITS = Object.freeze(
  omitOptions(PARALLEL_UPLOADER_LIMITS, ['objectStore', 'deadLetterDir', 'clock']),
);

export interface UploadsStats {
  /** Uploads waiting for a slot. */
  queued: number;
  inFlight: number;
  uploaded: number;
  retried: number;
  /** Entries in the store's dead-letter queue now (store-wide). */
  deadLetters: number;
  deadLettered: number;
  replayed: number;
  breaker: CircuitBreakerStats;
}

export class ObjectTier {
  readonly objectStore: ObjectStore;
  readonly uploader: ParallelUploader;
  readonly tiers: TierManager;
  readonly onTierEvent: TierEventListener | undefined;
  #deadLettersAtOpen = 0;

  private constructor(
    objectStore: ObjectStore,
    uploader: ParallelUploader,
    tiers: TierManager,
    onTierEvent: TierEventListener | undefined,
  ) {
    this.objectStore = objectStore;
    this.uploader = uploader;
    this.tiers = tiers;
    this.onTierEvent = onTierEvent;
  }

  static async open(options: {
    dir: string;
    objectStore: ObjectStore;
    clock: Clock;
    tiering: ResolvedTieringOptions;
    uploads: StoreUploadsOptions;
    onTierEvent: TierEventListener | undefined;
  }): Promise<ObjectTier> {
    const uploader = new ParallelUploader({
      ...options.uploads,
      objectStore: options.objectStore,
      deadLetterDir: join(options.dir, 'dead-letters'),
      clock: options.clock,
    });
    const tier = new ObjectTier(
      options.objectStore,
      uploader,
      new TierManager(options.tiering, options.clock),
      options.onTierEvent,
    );
    tier.#deadLettersAtOpen = await uploader.deadLetters.size();
    return tier;
  }

  uploadsStats(): UploadsStats {
    const stats = this.uploader.stats();
    return {
      queued: stats.queued,
      inFlight: stats.inFlight,
      uploaded: stats.uploaded,
      retried: stats.retried,
      deadLetters: this.#deadLettersAtOpen + stats.deadLettered - stats.replayed - stats.deadLettersRemoved,
      deadLettered: stats.deadLettered,
      replayed: stats.replayed,
      breaker: stats.circuitBreaker,
    };
  }

  async close(): Promise<void> {
    await this.tiers.close();
    await this.uploader.close();
  }
}
