/**
 * The uploaders' limits hold against the mock S3 on a manual clock: batch size, the concurrency
 * bound (checked inside the store as each put arrives), the partial-batch timer, document checks,
 * and what happens at every queue's limit (wait or a loud rejection, never a silent drop).
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { ErrorCode, isTierVecError } from '../../src/errors.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import { type BatchReceipt, BatchUploader } from '../../src/uploaders/batch-uploader.ts';
import { ParallelUploader } from '../../src/uploaders/parallel-uploader.ts';
import { batchRows, documents, drive, withTempDir } from './uploaders-support.ts';

function settledCodes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const result of results) {
    const code =
      result.status === 'fulfilled' ? 'ok' : isTierVecError(result.reason) ? result.reason.code : 'other';
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return codes;
}

describe('uploaders: quotas and limits', () => {
  it('batchSizeMax = 10 with 25 documents writes batches of 10, 10 and 5, in add order', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({ seed: 1, clock, latency: { fixedMs: 5 }, rateLimit: false });
      const batches = new BatchUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        keyPrefix: 'wal/',
        dimension: 4,
        batchSizeMax: 10,
        waitMsMax: 50,
        clock,
        seed: 1,
      });
      const docs = documents('doc', 25, 4, 7);
      const receipts = await drive(clock, Promise.all(docs.map((doc) => batches.add('docs', doc))), [
        batches.uploader,
      ]);
      const rows = batchRows(mock, 'wal/docs/');
      expect([...rows.keys()]).toEqual(
        [0, 1, 2].map((seq) => `wal/docs/${String(seq).padStart(20, '0')}.arrow`),
      );
      expect([...rows.values()].map((ids) => ids.length)).toEqual([10, 10, 5]);
      expect([...rows.values()].flat()).toEqual(docs.map((doc) => doc.id));
      // Every receipt names the object and row that hold its document.
      receipts.forEach((receipt: BatchReceipt, i) => {
        expect(rows.get(receipt.key)?.[receipt.row]).toBe(docs[i]!.id);
      });
      // The two full batches left as soon as the 5 ms listing that finds the collection's next
      // sequence number returned; only the partial one waited for its 50 ms timer.
      expect(mock.calls.map((call) => [call.operation, call.atMs])).toEqual([
        ['list', 0],
        ['put', 5],
        ['put', 5],
        ['put', 50],
      ]);
      await batches.close();
    });
  });

  it('concurrencyMax = 5 is never exceeded, checked inside the mock as each put arrives', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const observed: { inFlight: number; atMs: number }[] = [];
      const mock: MockS3ObjectStore = new MockS3ObjectStore({
        seed: 3,
        clock,
        latency: { fixedMs: 20, jitterMs: 30 },
        rateLimit: false,
        onRequest: (call) => {
          if (call.operation === 'put') observed.push({ inFlight: mock.inFlight('put'), atMs: clock.now() });
        },
      });
      const uploader = new ParallelUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        concurrencyMax: 5,
        clock,
        seed: 3,
      });
      const uploads = Array.from({ length: 60 }, (_, i) => uploader.upload(`obj/${i}`, new Uint8Array([i])));
      const results = await drive(clock, Promise.all(uploads), [uploader]);
      expect(results.every((result) => result.state === 'uploaded')).toBe(true);
      expect(observed).toHaveLength(60);
      expect(Math.max(...observed.map((o) => o.inFlight))).toBe(5);
      expect(mock.inFlightMax('put')).toBe(5);
      // The bound really held work back: with at least 20 ms per put, 60 puts 5 at a time need
      // at least 12 rounds of 20 ms on the mock's clock.
      expect(clock.now()).toBeGreaterThanOrEqual(240);
      expect(new Set(observed.map((o) => o.atMs)).size).toBeGreaterThan(12);
      expect(uploader.stats()).toMatchObject({ inFlight: 0, queued: 0, uploaded: 60 });
    });
  });

  it('waitMsMax writes a partial batch on its timer with no further add', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(1_000);
      const mock = new MockS3ObjectStore({ seed: 1, clock, rateLimit: false });
      const batches = new BatchUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        dimension: 3,
        batchSizeMax: 100,
        waitMsMax: 40,
        clock,
        seed: 1,
      });
      await batches.uploader.deadLetters.size();
      let durable = 0;
      const adds = documents('lone', 3, 3, 1).map((doc) => batches.add('docs', doc).then(() => durable++));
      await clock.advance(39);
      expect(durable).toBe(0);
      expect(mock.calls.filter((call) => call.operation === 'put')).toEqual([]);
      await clock.advance(1);
      await drive(clock, Promise.all(adds), [batches.uploader]);
      expect(durable).toBe(3);
      const puts = mock.calls.filter((call) => call.operation === 'put');
      expect(puts.map((call) => [call.key, call.atMs])).toEqual([['docs/00000000000000000000.arrow', 1_040]]);
      expect([...batchRows(mock, 'docs/').values()]).toEqual([['lone-0', 'lone-1', 'lone-2']]);
      await batches.close();
    });
  });

  it('rejects a dimension mismatch or a non-finite number at add, and queues nothing of it', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({ seed: 1, clock, rateLimit: false });
      const batches = new BatchUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        dimension: 4,
        clock,
        seed: 1,
      });
      const results = await Promise.allSettled([
        batches.add('docs', { id: 'short', vector: [1, 2, 3] }),
        batches.add('docs', { id: 'long', vector: new Float32Array(5) }),
        batches.add('docs', { id: 'nan', vector: [1, 2, Number.NaN, 4] }),
        batches.add('docs', { id: 'inf', vector: [1, 2, 3, Number.NEGATIVE_INFINITY] }),
      ]);
      expect(results.map((r) => (r.status === 'rejected' ? r.reason.code : 'accepted'))).toEqual([
        ErrorCode.DIMENSION_MISMATCH,
        ErrorCode.DIMENSION_MISMATCH,
        ErrorCode.INVALID_VECTOR,
        ErrorCode.INVALID_VECTOR,
      ]);
      expect((results[0] as PromiseRejectedResult).reason.message).toBe(
        'Expected the `vector` of document "short" to have 4 numbers (the collection\'s dimension), got 3',
      );
      expect(batches.stats()).toMatchObject({ pendingDocs: 0, openBatches: 0, batchesInFlight: 0 });
      await drive(clock, batches.close(), [batches.uploader]);
      expect(mock.keys()).toEqual([]);
      expect(mock.calls.filter((call) => call.operation === 'put')).toEqual([]);
    });
  });

  it('pendingDocsMax with onBackpressure reject accepts exactly that many and rejects the rest with RATE_LIMITED', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({ seed: 1, clock, latency: { fixedMs: 100 }, rateLimit: false });
      const batches = new BatchUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        dimension: 2,
        batchSizeMax: 10,
        pendingDocsMax: 20,
        onBackpressure: 'reject',
        clock,
        seed: 1,
      });
      const adds = documents('burst', 50, 2, 5).map((doc) => batches.add('docs', doc));
      expect(batches.stats().pendingDocs).toBe(20);
      const results = await drive(clock, Promise.allSettled(adds), [batches.uploader]);
      expect(settledCodes(results)).toEqual({ ok: 20, [ErrorCode.RATE_LIMITED]: 30 });
      expect([...batchRows(mock, 'docs/').values()].flat()).toHaveLength(20);
      // Once the accepted documents are durable there is room again.
      await drive(clock, batches.add('docs', documents('later', 1, 2, 6)[0]!), [batches.uploader]);
      await batches.close();
    });
  });

  it('pendingDocsMax with onBackpressure wait holds writers until room frees, and every document lands', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({ seed: 1, clock, latency: { fixedMs: 100 }, rateLimit: false });
      const batches = new BatchUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        dimension: 2,
        batchSizeMax: 10,
        pendingDocsMax: 20,
        clock,
        seed: 1,
      });
      let pendingMax = 0;
      const adds = documents('burst', 50, 2, 5).map((doc) =>
        batches.add('docs', doc).then((receipt) => {
          pendingMax = Math.max(pendingMax, batches.stats().pendingDocs);
          return receipt;
        }),
      );
      expect(batches.stats()).toMatchObject({ pendingDocs: 20, waitingAdds: 30 });
      await drive(clock, Promise.all(adds), [batches.uploader]);
      expect(pendingMax).toBeLessThanOrEqual(20);
      expect([...batchRows(mock, 'docs/').values()].flat()).toEqual(
        Array.from({ length: 50 }, (_, i) => `burst-${i}`),
      );
      await batches.close();
    });
  });

  it('queuedMax and deadLettersMax reject loudly at their limit while everything accepted completes', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({
        seed: 1,
        clock,
        latency: { fixedMs: 10 },
        rateLimit: false,
        failures: { always: 'AccessDenied', keyPrefix: 'denied/' },
      });
      const uploader = new ParallelUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        concurrencyMax: 2,
        queuedMax: 3,
        deadLettersMax: 1,
        clock,
        seed: 1,
      });
      const accepted = Array.from({ length: 5 }, (_, i) => uploader.upload(`ok/${i}`, new Uint8Array([i])));
      const overflow = uploader.upload('ok/5', new Uint8Array([5]));
      await expect(overflow).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
      const uploaded = await drive(clock, Promise.all(accepted), [uploader]);
      expect(uploaded.map((r) => r.state)).toEqual(Array(5).fill('uploaded'));

      const first = await drive(clock, uploader.upload('denied/a', new Uint8Array([1])), [uploader]);
      expect(first).toMatchObject({ state: 'dead-lettered', attempts: 1 });
      const second = drive(clock, uploader.upload('denied/b', new Uint8Array([2])), [uploader]);
      await expect(second).rejects.toMatchObject({ code: ErrorCode.DEAD_LETTER_FULL });
      expect((await uploader.deadLetters.list()).map((entry) => entry.key)).toEqual(['denied/a']);
      expect(uploader.stats()).toMatchObject({ uploaded: 5, deadLettered: 1, failed: 2 });
    });
  });
});
