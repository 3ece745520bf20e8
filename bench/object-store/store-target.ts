/**
 * The object stores the object-store suite measures, each opened on first use and released by the
 * plan: the mock with zero and with simulated latency, a LocalObjectStore in a temporary directory,
 * and (in `s3rver-target.ts`) S3ObjectStore against s3rver over HTTP on 127.0.0.1.
 *
 * A target may carry a `raw` baseline: the same operation done with the primitives underneath and
 * nothing else (for local: write, fsync, rename, fsync the directory; for s3rver: the bare SDK
 * command), so the table shows what the ObjectStore layer costs on top of what it must do anyway.
 */

import { mkdir, mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/clock.ts';
import { LocalObjectStore } from '../../src/object-store/local.ts';
import type { ObjectStore } from '../../src/object-store/object-store.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import { type Lazy, lazy } from '../runner/lazy.ts';

/** The same put and get done with the primitives under the store, for an in-run baseline. */
export interface RawOperations {
  put(key: string, body: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
}

export interface StoreTarget {
  /** Kebab-case; the prefix of the target's task names. */
  readonly name: string;
  readonly store: Lazy<ObjectStore>;
  /** Simulated latency per request, in milliseconds; gives the bound 1000 ÷ latency requests/s. */
  readonly latencyMs: number | undefined;
  readonly raw: Lazy<RawOperations> | undefined;
  /** Releases the store, the raw baseline and whatever they share (a directory, a server). */
  release(): Promise<void>;
}

/**
 * The mock on real time (`systemClock`): these figures are throughput, so simulated latency must
 * really pass. Rate limits are off and the call history is not kept, so neither SlowDown answers
 * nor a growing history array are part of what is measured.
 */
export function mockTarget(latencyMs: number): StoreTarget {
  const store = lazy(
    async () =>
      new MockS3ObjectStore({
        seed: 1,
        clock: systemClock,
        latency: { fixedMs: latencyMs, jitterMs: 0 },
        rateLimit: false,
        callHistoryMax: 0,
      }) as ObjectStore,
    () => undefined,
  );
  return {
    name: `mock-${latencyMs}ms`,
    store,
    latencyMs: latencyMs > 0 ? latencyMs : undefined,
    raw: undefined,
    release: () => store.release(),
  };
}

/** LocalObjectStore in a fresh temporary directory, with raw fs operations beside it. */
export function localTarget(): StoreTarget {
  const dir = lazy(
    () => mkdtemp(path.join(os.tmpdir(), 'tiervec-bench-local-')),
    (created) => rm(created, { recursive: true, force: true }),
  );
  const store = lazy(
    async () => new LocalObjectStore({ dir: path.join(await dir.get(), 'store') }) as ObjectStore,
    () => undefined,
  );
  const raw = lazy(
    async () => rawFileOperations(path.join(await dir.get(), 'raw')),
    () => undefined,
  );
  return {
    name: 'local',
    store,
    latencyMs: undefined,
    raw,
    release: async () => {
      await store.release();
      await raw.release();
      await dir.release();
    },
  };
}

/**
 * What a durable, atomic file write needs at the least: write a temporary file, fsync it, rename
 * it over the target, fsync the directory. Keys are flat file names here; the baseline does not
 * create directories per key.
 */
async function rawFileOperations(dir: string): Promise<RawOperations> {
  await mkdir(dir, { recursive: true });
  const fileOf = (key: string) => path.join(dir, key.replaceAll('/', '_'));
  return {
    async put(key, body) {
      const target = fileOf(key);
      const temp = `${target}.tmp`;
      const file = await open(temp, 'w');
      try {
        await file.write(body);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
      const directory = await open(dir, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    },
    async get(key) {
      return new Uint8Array(await readFile(fileOf(key)));
    },
  };
}
