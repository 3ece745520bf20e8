/**
 * Fixtures for the tiering suites: a store on a fresh directory with a MockS3ObjectStore (zero
 * latency, so its effects are immediate) and a ManualClock, documents from seeded vectors, a driver
 * that moves the manual clock until a promise settles, and a wait for background tier moves.
 */

import { afterEach, vi } from 'vitest';
import { ManualClock } from '../../../../src/clock.ts';
import { MockS3ObjectStore, type MockS3Options } from '../../../../src/object-store/testing/mock-s3.ts';
import type { Collection } from '../../../../src/storage/collection.ts';
import { openStore, type Store } from '../../../../src/storage/store.ts';
import type { StoreOptions } from '../../../../src/storage/store-options.ts';
import type { StoreWarning } from '../../../../src/storage/store-warning.ts';
import { seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

export const DIMENSION = 8;

export interface Tiered {
  store: Store;
  docs: Collection;
  mock: MockS3ObjectStore;
  clock: ManualClock;
  dir: string;
  warnings: StoreWarning[];
}

export function useTieredStores(prefix = 'tiervec-tiering-') {
  const temp = useTempDirs(prefix);
  // Every store a test opened is closed after it (a store left open leaks its WAL file handle).
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((store) => store.close()));
  });
  return {
    temp,
    async open(
      options: Partial<StoreOptions> & {
        mockOptions?: MockS3Options;
        dir?: string;
        /** Create "docs" (true), look it up (false), or neither ('skip': `docs` is undefined). */
        create?: boolean | 'skip';
      } = {},
    ): Promise<Tiered> {
      const { mockOptions, dir: givenDir, create = true, ...storeOptions } = options;
      const dir = givenDir ?? (await temp.make());
      const clock = (storeOptions.clock as ManualClock | undefined) ?? new ManualClock();
      const mock =
        (storeOptions.objectStore as MockS3ObjectStore | undefined) ??
        new MockS3ObjectStore({ seed: 1, rateLimit: false, clock, ...mockOptions });
      const warnings: StoreWarning[] = [];
      const store = await openStore({
        segmentVectorsMax: 20,
        onWarning: (warning) => warnings.push(warning),
        ...storeOptions,
        dir,
        clock,
        objectStore: mock,
      });
      opened.push(store);
      const docs =
        create === 'skip'
          ? (undefined as unknown as Collection)
          : create
            ? await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' })
            : store.collection('docs');
      return { store, docs, mock, clock, dir, warnings };
    },
  };
}

export function doc(i: number) {
  return { id: `d${i}`, vector: seededVector(i + 1, DIMENSION), metadata: { i, group: i % 3 } };
}

export function range(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => doc(from + k));
}

/** Advances the manual clock in steps until `promise` settles, then returns it. */
export async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 100): Promise<T> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let step = 0; step < 100_000 && !done; step++) await clock.advance(stepMs);
  return promise;
}

/** Tier of each sealed segment, in segment order. */
export function tiersOf(docs: Collection): string[] {
  return docs
    .stats()
    .segments.filter((segment) => segment.state !== 'active')
    .map((segment) => segment.tier);
}

/** Waits until the background tier moves reach the expected tiers (or fails after 5 s). */
export async function expectTiers(docs: Collection, expected: string[]): Promise<void> {
  await vi.waitFor(
    () => {
      if (JSON.stringify(tiersOf(docs)) !== JSON.stringify(expected)) {
        throw new Error(`tiers are ${JSON.stringify(tiersOf(docs))}, expected ${JSON.stringify(expected)}`);
      }
    },
    { timeout: 5_000, interval: 5 },
  );
}
