/**
 * The cold tier a tiervec load target runs against: the fault-injecting mock S3 (the default), a
 * local directory, s3rver started on 127.0.0.1 for the run and stopped after it, or a real S3
 * endpoint. Also schedules the scenario's partitions on the mock, in seconds from the start of the
 * run. Owns only what it started: `close()` stops the s3rver child and clears pending timers, and
 * never touches a real bucket's contents.
 */

import path from 'node:path';
import { type Clock, systemClock, type TimerHandle } from '../../clock.ts';
import { ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import { LocalObjectStore } from '../../object-store/local.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import {
  isObjectStoreError,
  isS3ErrorCode,
  S3_ERRORS,
  type S3ErrorCode,
} from '../../object-store/object-store-error.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../object-store/s3.ts';
import { MockS3ObjectStore } from '../../object-store/testing/mock-s3.ts';
import type { MockFailureRule } from '../../object-store/testing/mock-s3-faults.ts';
import { type S3rverProcess, startS3rver } from '../../object-store/testing/s3rver-process.ts';
import type { TiervecTargetConfig } from './tiervec-config.ts';

/** Mock requests remembered for inspection; the load test reads stats, not the history. */
const MOCK_CALL_HISTORY_MAX = 1_000;

/** The S3 error codes a scenario's faults may inject on the mock (`InternalError`, `SlowDown`, …). */
export const FAULT_CODES: readonly string[] = Object.freeze(Object.keys(S3_ERRORS));

export function isFaultCode(code: string): code is S3ErrorCode {
  return isS3ErrorCode(code);
}

/**
 * How a report counts an error from the store or its object store: a store error wrapping an S3 one
 * as `OBJECT_STORE/SlowDown`, a bare S3 error by its code; undefined for anything else.
 */
export function classifyObjectStoreError(error: unknown): string | undefined {
  if (isTierVecError(error)) {
    return isObjectStoreError(error.cause) ? `${error.code}/${error.cause.code}` : undefined;
  }
  return isObjectStoreError(error) ? error.code : undefined;
}

export interface TargetObjectStore {
  readonly objectStore: ObjectStore;
  /** Set for `mock`: partitions are switched on it, and its stats become gauges. */
  readonly mock: MockS3ObjectStore | undefined;
  /** What to show in reports (`mock (latency 10 ms ± 5 ms, flaky 20% InternalError)`, an endpoint, …). */
  readonly description: string;
  /** For `s3rver` and `s3`: the S3ObjectStore options, so other processes (read replicas) reach the same bucket. */
  readonly s3Options?: S3ObjectStoreOptions;
  /** Starts the scenario's partition schedule; call when the load starts. */
  startFaults(): void;
  /**
   * Ends every injected fault now (the partition schedule and the flaky rules) before verification
   * reads the store back, so that check measures loss, not availability under faults.
   */
  heal(): void;
  close(): Promise<void>;
}

export interface TargetObjectStoreOptions {
  target: Pick<TiervecTargetConfig, 'objectStore' | 's3' | 'mockS3' | 'faults'>;
  seed: number;
  /** The run's directory; `local` keeps its objects under `objects/`. */
  dir: string;
  clock?: Clock;
  /** Told when a partition starts or ends. */
  onEvent?: (message: string) => void;
}

export async function openTargetObjectStore(options: TargetObjectStoreOptions): Promise<TargetObjectStore> {
  const { target } = options;
  switch (target.objectStore) {
    case 'mock':
      return openMock(options);
    case 'local':
      return passive(new LocalObjectStore({ dir: path.join(options.dir, 'objects') }), 'local directory');
    case 's3rver': {
      const server = await startS3rver({ bucket: target.s3.bucket ?? 'tiervec-loadtest' });
      const s3Options = server.s3Options;
      return { ...passive(new S3ObjectStore(s3Options), `s3rver at ${server.endpoint}`, server), s3Options };
    }
    case 's3': {
      const { endpoint, bucket, region, forcePathStyle } = target.s3;
      if (bucket === undefined) {
        throw new TierVecError(
          ErrorCode.INVALID_ARGUMENT,
          'Expected a bucket for object store "s3": set [target.s3] bucket or pass --s3-bucket',
        );
      }
      const s3Options = { bucket, region, forcePathStyle, ...(endpoint ? { endpoint } : {}) };
      const store = new S3ObjectStore(s3Options);
      return { ...passive(store, `s3 bucket ${bucket}${endpoint ? ` at ${endpoint}` : ''}`), s3Options };
    }
  }
}

function passive(objectStore: ObjectStore, description: string, server?: S3rverProcess): TargetObjectStore {
  return {
    objectStore,
    mock: undefined,
    description,
    startFaults() {},
    heal() {},
    async close() {
      await server?.stop();
    },
  };
}

function s3Code(code: string, what: string): S3ErrorCode {
  if (!isS3ErrorCode(code)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${what} to be an S3 error code, got "${code}"`,
    );
  }
  return code;
}

function openMock(options: TargetObjectStoreOptions): TargetObjectStore {
  const { mockS3, faults } = options.target;
  const failures: MockFailureRule[] = [];
  for (const fault of faults) {
    if (fault.kind !== 'flaky') continue;
    const rule: MockFailureRule = { rate: fault.rate, code: s3Code(fault.code, 'a flaky fault code') };
    if (fault.operations !== undefined) rule.operations = fault.operations as MockFailureRule['operations'];
    failures.push(rule);
  }
  const perS = mockS3.requestsPerSMax;
  const mock = new MockS3ObjectStore({
    seed: options.seed,
    latency: { fixedMs: mockS3.latencyMs, jitterMs: mockS3.jitterMs },
    rateLimit: perS === undefined ? false : { writesPerS: perS, readsPerS: perS },
    callHistoryMax: MOCK_CALL_HISTORY_MAX,
  });
  const partitions = faults.filter((fault) => fault.kind === 'partition');
  const clock = options.clock ?? systemClock;
  const timers: TimerHandle[] = [];
  // Overlapping windows (random partitions may overlap) keep the mock partitioned until the last ends.
  let open = 0;
  const describeParts = [`latency ${mockS3.latencyMs} ms ± ${mockS3.jitterMs} ms`];
  for (const rule of failures)
    if ('rate' in rule) describeParts.push(`flaky ${rule.rate * 100}% ${rule.code}`);
  for (const p of partitions)
    describeParts.push(`partition ${p.code} at ${p.startS.toFixed(1)} s for ${p.lengthS.toFixed(1)} s`);
  return {
    objectStore: mock,
    mock,
    description: `mock S3 (${describeParts.join(', ')})`,
    startFaults() {
      // Flaky rules start with the load, like the partitions: the preload is setup, not under test.
      if (failures.length > 0) mock.setFailures(failures);
      for (const partition of partitions) {
        const code = s3Code(partition.code, 'a partition code');
        timers.push(
          clock.setTimeout(() => {
            open++;
            mock.partition(code);
            options.onEvent?.(`partition (${code}) started`);
          }, partition.startS * 1000),
          clock.setTimeout(
            () => {
              open--;
              if (open === 0) {
                mock.heal();
                options.onEvent?.('partition healed');
              }
            },
            (partition.startS + partition.lengthS) * 1000,
          ),
        );
      }
    },
    heal() {
      for (const timer of timers.splice(0)) clock.clearTimeout(timer);
      open = 0;
      mock.clearFailures();
    },
    async close() {
      for (const timer of timers.splice(0)) clock.clearTimeout(timer);
    },
  };
}
