/**
 * The uploaders under S3 faults from the mock, on a manual clock: transient errors retried with the
 * exact backoff for the seed, permanent ones dead-lettered at once, seeded flaky stores with exact
 * outcomes, a partition that opens the circuit and heals, a latency spike absorbed by timeouts and
 * retries, mixed error classes, and a dead-letter queue that outlives the process that wrote it.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../src/clock.ts';
import { ErrorCode, isTierVecError } from '../../src/errors.ts';
import type {
  ObjectHead,
  ObjectStore,
  PutOptions,
  RequestOptions,
} from '../../src/object-store/object-store.ts';
import { isObjectStoreError, ObjectStoreError } from '../../src/object-store/object-store-error.ts';
import { MockS3ObjectStore, type MockS3Options } from '../../src/object-store/testing/mock-s3.ts';
import { decodeBatch } from '../../src/uploaders/batch-codec.ts';
import { BatchUploader } from '../../src/uploaders/batch-uploader.ts';
import type { CircuitBreakerState } from '../../src/uploaders/circuit-breaker.ts';
import {
  ParallelUploader,
  type ParallelUploaderOptions,
  type UploadResult,
} from '../../src/uploaders/parallel-uploader.ts';
import type { RetryEvent } from '../../src/uploaders/retry.ts';
import { batchRows, documents, drive, withTempDir } from './uploaders-support.ts';

const run = promisify(execFile);

function setup(dir: string, mockOptions: MockS3Options, options: Partial<ParallelUploaderOptions> = {}) {
  const clock = new ManualClock(0);
  const mock = new MockS3ObjectStore({ seed: 7, rateLimit: false, ...mockOptions, clock });
  const retries: RetryEvent[] = [];
  const uploader = new ParallelUploader({
    objectStore: mock,
    deadLetterDir: join(dir, 'dlq'),
    clock,
    seed: 99,
    onRetry: (event) => retries.push(event),
    ...options,
  });
  return { clock, mock, uploader, retries };
}

const putCalls = (mock: MockS3ObjectStore) => mock.calls.filter((call) => call.operation === 'put');
const bytes = (n: number) => new Uint8Array([n, n + 1, n + 2]);

/** Adds `extraMs` of latency on the clock to puts that start inside [fromMs, toMs). */
class LatencySpikeStore implements ObjectStore {
  constructor(
    readonly inner: ObjectStore,
    readonly clock: Clock,
    readonly spike: { fromMs: number; toMs: number; extraMs: number },
  ) {}

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const nowMs = this.clock.now();
    if (nowMs >= this.spike.fromMs && nowMs < this.spike.toMs)
      await this.clock.sleep(this.spike.extraMs, options.signal);
    return this.inner.put(key, body, options);
  }
  get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.inner.get(key, options);
  }
  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    return this.inner.head(key, options);
  }
  delete(key: string, options?: RequestOptions): Promise<void> {
    return this.inner.delete(key, options);
  }
  list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    return this.inner.list(prefix, options);
  }
}

describe('uploaders: failures', () => {
  it('retries SlowDown twice with the seed’s exact full-jitter delays, then succeeds', async () => {
    await withTempDir(async (dir) => {
      const { clock, mock, uploader, retries } = setup(dir, {
        failures: { pattern: ['SlowDown', 'SlowDown'], operations: ['put'] },
      });
      const result = await drive(clock, uploader.upload('batch/0001', bytes(1)), [uploader]);
      expect(result).toEqual({ state: 'uploaded', key: 'batch/0001', attempts: 3 });
      // Seed 99, key batch/0001: floor(rng * 50) = 43, then floor(rng * 100) = 89 (caps 50 and 100 ms).
      expect(retries.map((event) => [event.attempt, event.delayMs])).toEqual([
        [1, 43],
        [2, 89],
      ]);
      expect(putCalls(mock).map((call) => [call.atMs, call.outcome])).toEqual([
        [0, 'SlowDown'],
        [43, 'SlowDown'],
        [132, 'ok'],
      ]);
      for (const event of retries) {
        expect(event.error).toBeInstanceOf(ObjectStoreError);
        expect(event.error).toMatchObject({ code: 'SlowDown', status: 503, retryable: true });
      }
      expect(uploader.stats()).toMatchObject({ uploaded: 1, retried: 2, deadLettered: 0 });
      expect(await uploader.deadLetters.list()).toEqual([]);
    });
  });

  it('does not retry AccessDenied and dead-letters it exactly once', async () => {
    await withTempDir(async (dir) => {
      const { clock, mock, uploader, retries } = setup(dir, {
        failures: { pattern: ['AccessDenied'], operations: ['put'] },
      });
      const result = await drive(clock, uploader.upload('private/x', bytes(2)), [uploader]);
      expect(result).toMatchObject({ state: 'dead-lettered', key: 'private/x', attempts: 1 });
      expect((result as Extract<UploadResult, { state: 'dead-lettered' }>).error).toMatchObject({
        code: 'AccessDenied',
        status: 403,
        retryable: false,
      });
      expect(putCalls(mock)).toHaveLength(1);
      expect(retries).toEqual([]);
      const entries = await uploader.deadLetters.list();
      expect(entries).toEqual([
        {
          id: (result as Extract<UploadResult, { state: 'dead-lettered' }>).deadLetterId,
          key: 'private/x',
          sizeBytes: 3,
          error: expect.objectContaining({ code: 'AccessDenied', status: 403, retryable: false }),
          attempts: 1,
          timeMs: 0,
          replays: 0,
        },
      ]);
      expect(uploader.circuitBreaker.state).toBe('closed');
    });
  });

  it('seeded 30% flaky puts give the exact same outcome for the seed on every run', async () => {
    const once = () =>
      withTempDir(async (dir) => {
        const { clock, mock, uploader } = setup(
          dir,
          { seed: 30, latency: { fixedMs: 5, jitterMs: 20 }, failures: { rate: 0.3, code: 'InternalError' } },
          { concurrencyMax: 10, retry: { attemptsMax: 3 }, circuitBreaker: { failuresMax: 10 } },
        );
        const uploads = Array.from({ length: 100 }, (_, i) => uploader.upload(`flaky/${i}`, bytes(i)));
        const results = await drive(clock, Promise.all(uploads), [uploader]);
        return {
          results: results.map((r) => [r.key, r.state, r.attempts]),
          deadLettered: results.filter((r) => r.state === 'dead-lettered').map((r) => r.key),
          stats: uploader.stats(),
          objects: mock.keys().length,
          endMs: clock.now(),
        };
      });
    const first = await once();
    const second = await once();
    expect(second).toEqual(first);
    // Exact for seed 30: which uploads ran out of attempts, and how many retries it took.
    // 100 uploads, 146 attempts, 48 injected failures: two uploads failed all three attempts.
    expect(first.deadLettered).toEqual(['flaky/46', 'flaky/70']);
    expect(first.stats).toMatchObject({
      uploaded: 98,
      deadLettered: 2,
      retried: 46,
      failed: 0,
      circuitBreaker: { state: 'closed', opened: 0 },
    });
    expect(first.objects).toBe(98);
  });

  it('partition then heal: the breaker opens, fails fast, recovers, and dead letters replay to success', async () => {
    await withTempDir(async (dir) => {
      const { clock, mock, uploader } = setup(
        dir,
        { latency: { fixedMs: 10 } },
        {
          concurrencyMax: 4,
          retry: { attemptsMax: 4, delayMsBase: 50, delayMsMax: 400 },
          circuitBreaker: { failuresMax: 3, cooldownMs: 5_000 },
        },
      );
      const transitions: string[] = [];
      uploader.circuitBreaker.onStateChange((state: CircuitBreakerState, previous) =>
        transitions.push(`${previous}->${state}`),
      );
      const before = await drive(
        clock,
        Promise.all(Array.from({ length: 8 }, (_, i) => uploader.upload(`before/${i}`, bytes(i)))),
        [uploader],
      );
      expect(before.every((r) => r.state === 'uploaded')).toBe(true);

      mock.partition('NetworkError');
      const putsBefore = putCalls(mock).length;
      const during = await drive(
        clock,
        Promise.all(Array.from({ length: 12 }, (_, i) => uploader.upload(`during/${i}`, bytes(i)))),
        [uploader],
      );
      // Only the first wave (4 in flight) reached the store; every later attempt failed fast.
      expect(putCalls(mock).length - putsBefore).toBe(4);
      expect(during.map((r) => r.state)).toEqual(Array(12).fill('dead-lettered'));
      const codes = during.map((r) =>
        r.state === 'dead-lettered' && isTierVecError(r.error) ? r.error.code : 'S3',
      );
      expect(codes).toEqual(Array(12).fill(ErrorCode.CIRCUIT_OPEN));
      expect(uploader.circuitBreaker.state).toBe('open');
      expect(uploader.stats().circuitBreaker.rejected).toBe(12 * 4 - 4);
      expect(clock.now()).toBeLessThan(5_000);

      // A replay while the circuit is still open fails fast and keeps every entry.
      const early = await drive(clock, uploader.deadLetters.replay(), [uploader]);
      expect(early.map((o) => o.state)).toEqual(Array(12).fill('failed'));
      expect(await uploader.deadLetters.size()).toBe(12);

      mock.heal();
      await clock.advance(5_000);
      const putsAtHeal = putCalls(mock).length;
      const replayed = await drive(clock, uploader.deadLetters.replay(), [uploader]);
      expect(replayed.map((o) => o.state)).toEqual(Array(12).fill('uploaded'));
      expect(putCalls(mock).length - putsAtHeal).toBe(12);
      expect(await uploader.deadLetters.list()).toEqual([]);
      expect(uploader.circuitBreaker.state).toBe('closed');
      expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
      for (let i = 0; i < 12; i++) expect(mock.peek(`during/${i}`)).toEqual(bytes(i));
    });
  });

  it('a latency spike makes the attempts inside it time out and retry; nothing is lost or dead-lettered', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({ seed: 8, clock, latency: { fixedMs: 20 }, rateLimit: false });
      const spiky = new LatencySpikeStore(mock, clock, { fromMs: 1_000, toMs: 2_000, extraMs: 3_000 });
      const retries: RetryEvent[] = [];
      const uploader = new ParallelUploader({
        objectStore: spiky,
        deadLetterDir: join(dir, 'dlq'),
        concurrencyMax: 16,
        attemptTimeoutMs: 1_000,
        retry: { attemptsMax: 4, delayMsBase: 200, delayMsMax: 1_000 },
        clock,
        seed: 8,
        onRetry: (event) => retries.push(event),
      });
      // One upload every 100 ms for 3 s; the spike covers the 11th to the 20th.
      const producer = (async () => {
        const uploads: Promise<UploadResult>[] = [];
        for (let i = 0; i < 30; i++) {
          uploads.push(uploader.upload(`spike/${String(i).padStart(2, '0')}`, bytes(i)));
          await clock.sleep(100);
        }
        return Promise.all(uploads);
      })();
      const results = await drive(clock, producer, [uploader]);
      expect(results.every((r) => r.state === 'uploaded')).toBe(true);
      const slow = results.filter((r) => r.attempts === 2).map((r) => r.key);
      expect(slow).toEqual(Array.from({ length: 10 }, (_, i) => `spike/${10 + i}`));
      expect(results.filter((r) => r.attempts === 1)).toHaveLength(20);
      expect(retries.every((event) => isObjectStoreError(event.error, 'RequestTimeout'))).toBe(true);
      expect(retries).toHaveLength(10);
      // Timed-out attempts never reached the store; every object was written exactly once.
      expect(putCalls(mock)).toHaveLength(30);
      expect(mock.keys()).toHaveLength(30);
      expect(uploader.stats()).toMatchObject({
        deadLettered: 0,
        inFlight: 0,
        circuitBreaker: { state: 'closed' },
      });
    });
  });

  it('a mixed pattern of transient and permanent errors is classified right', async () => {
    await withTempDir(async (dir) => {
      const { clock, mock, uploader, retries } = setup(
        dir,
        {
          failures: {
            pattern: [
              'InternalError',
              'ok',
              'AccessDenied',
              'ServiceUnavailable',
              'RequestTimeout',
              'ok',
              'NoSuchBucket',
              'SlowDown',
              'ok',
              'InvalidRequest',
            ],
            operations: ['put'],
          },
        },
        { circuitBreaker: { failuresMax: 3 } },
      );
      const outcomes: [string, string, number][] = [];
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
        const result = await drive(clock, uploader.upload(`mixed/${key}`, bytes(1)), [uploader]);
        outcomes.push([key, result.state, result.attempts]);
      }
      expect(outcomes).toEqual([
        ['a', 'uploaded', 2],
        ['b', 'dead-lettered', 1],
        ['c', 'uploaded', 3],
        ['d', 'dead-lettered', 1],
        ['e', 'uploaded', 2],
        ['f', 'dead-lettered', 1],
        ['g', 'uploaded', 1],
      ]);
      expect(retries.map((event) => (event.error as ObjectStoreError).code)).toEqual([
        'InternalError',
        'ServiceUnavailable',
        'RequestTimeout',
        'SlowDown',
      ]);
      expect(
        (await uploader.deadLetters.list()).map((e) => [
          e.key,
          e.error.code,
          e.error.status,
          e.error.retryable,
        ]),
      ).toEqual([
        ['mixed/b', 'AccessDenied', 403, false],
        ['mixed/d', 'NoSuchBucket', 404, false],
        ['mixed/f', 'InvalidRequest', 400, false],
      ]);
      expect(putCalls(mock)).toHaveLength(11);
      // Two transient failures in a row stay under failuresMax = 3; permanent errors do not count.
      expect(uploader.stats().circuitBreaker).toEqual({ state: 'closed', opened: 0, rejected: 0 });
    });
  });

  it('a dead-letter queue written by one process is replayed by the next', async () => {
    await withTempDir(async (dir) => {
      const deadLetterDir = join(dir, 'dlq');
      const script = join(import.meta.dirname, 'uploaders-dead-letter-writer.ts');
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, deadLetterDir], {
        cwd: join(import.meta.dirname, '..', '..'),
        timeout: 30_000,
      });
      const child = JSON.parse(stdout.trim().split('\n').at(-1) as string);
      // In the child: 10 documents in batches of 4, 4 and 2, each put tried 3 times, all refused.
      expect(child.rejected).toEqual(Array(10).fill(ErrorCode.OBJECT_STORE));
      expect(child.puts).toBe(9);
      expect(child.stats).toMatchObject({ batchesDeadLettered: 3, docsDeadLettered: 10, pendingDocs: 0 });

      // This process: a healthy store, a new uploader on the same directory.
      const clock = new ManualClock(10_000);
      const mock = new MockS3ObjectStore({ seed: 6, clock, latency: { fixedMs: 10 }, rateLimit: false });
      const uploader = new ParallelUploader({ objectStore: mock, deadLetterDir, clock, seed: 6 });
      // Entries are in the order the batches failed; sorted by key here.
      const entries = (await uploader.deadLetters.list()).sort((a, b) => a.key.localeCompare(b.key));
      expect(entries.map((e) => [e.key, e.attempts, e.error.code, e.error.status])).toEqual([
        ['docs/00000000000000000000.arrow', 3, 'ServiceUnavailable', 503],
        ['docs/00000000000000000001.arrow', 3, 'ServiceUnavailable', 503],
        ['docs/00000000000000000002.arrow', 3, 'ServiceUnavailable', 503],
      ]);
      // A new BatchUploader continues after the sequence numbers held by the dead letters.
      const batches = new BatchUploader({ objectStore: mock, uploader, clock, dimension: 4 });
      const late = await drive(clock, batches.add('docs', documents('late', 1, 4, 1)[0]!), [uploader]);
      expect(late.key).toBe('docs/00000000000000000003.arrow');

      const replayed = await drive(clock, uploader.deadLetters.replay(), [uploader]);
      expect(replayed.map((o) => [o.key, o.state]).sort()).toEqual(entries.map((e) => [e.key, 'uploaded']));
      expect(await uploader.deadLetters.list()).toEqual([]);
      const rows = batchRows(mock, 'docs/');
      expect([...rows.values()]).toEqual([
        ['crash-0', 'crash-1', 'crash-2', 'crash-3'],
        ['crash-4', 'crash-5', 'crash-6', 'crash-7'],
        ['crash-8', 'crash-9'],
        ['late-0'],
      ]);
      // The replayed objects are the child's batches, byte for byte decodable with their vectors.
      const original = documents('crash', 10, 4, 9);
      const decoded = decodeBatch(mock.peek('docs/00000000000000000000.arrow')!);
      expect(decoded.documents[1]!.vector).toEqual(new Float32Array(original[1]!.vector));
      expect(decoded.documents[1]!.metadata).toEqual({ writer: 'crash', i: 1 });
      await drive(clock, batches.close(), [uploader]);
    });
  });
});
