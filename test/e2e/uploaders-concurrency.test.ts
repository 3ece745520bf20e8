/**
 * Many concurrent callers against the uploaders and the mock S3 on a manual clock: nothing is lost,
 * nothing is duplicated, flushes never deadlock, and every upload is accounted for exactly, for a
 * fixed seed.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../src/clock.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import { BatchUploader, type BatchUploaderOptions } from '../../src/uploaders/batch-uploader.ts';
import { ParallelUploader } from '../../src/uploaders/parallel-uploader.ts';
import { batchRows, documents, drive, withTempDir } from './uploaders-support.ts';

function makeBatches(
  dir: string,
  mock: MockS3ObjectStore,
  clock: Clock,
  options: Partial<BatchUploaderOptions>,
) {
  return new BatchUploader({
    objectStore: mock,
    deadLetterDir: join(dir, 'dlq'),
    dimension: 8,
    clock,
    seed: 11,
    ...options,
  });
}

/** Asserts that every id appears exactly once across the batch objects, and returns the ids. */
function uniqueRows(mock: MockS3ObjectStore, prefix: string): string[] {
  const ids = [...batchRows(mock, prefix).values()].flat();
  expect(new Set(ids).size).toBe(ids.length);
  return ids;
}

describe('uploaders: concurrency', () => {
  it('10 writers × 100 documents into one collection lose nothing and duplicate nothing', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({
        seed: 21,
        clock,
        latency: { fixedMs: 3, jitterMs: 7 },
        rateLimit: false,
      });
      const batches = makeBatches(dir, mock, clock, { batchSizeMax: 32, waitMsMax: 20 });
      const writers = Array.from({ length: 10 }, async (_, w) => {
        const receipts = [];
        // Each writer waits for its document to be durable before it sends the next one.
        for (const doc of documents(`w${w}`, 100, 8, w)) receipts.push(await batches.add('docs', doc));
        return receipts;
      });
      const receipts = (await drive(clock, Promise.all(writers), [batches.uploader])).flat();
      const rows = batchRows(mock, 'docs/');
      const ids = uniqueRows(mock, 'docs/');
      expect(ids).toHaveLength(1_000);
      expect(new Set(ids)).toEqual(new Set(receipts.map((r) => rows.get(r.key)?.[r.row])));
      expect(batches.stats()).toMatchObject({
        pendingDocs: 0,
        docsUploaded: 1_000,
        batchesUploaded: rows.size,
      });
      // Ten writers, one document each in flight, and a 20 ms timer: batches of up to ten.
      expect(Math.max(...[...rows.values()].map((r) => r.length))).toBeLessThanOrEqual(10);
      await batches.close();
    });
  });

  it('concurrent flushes of 10 collections do not deadlock and leave nothing pending', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({
        seed: 22,
        clock,
        latency: { fixedMs: 5, jitterMs: 5 },
        rateLimit: false,
      });
      const batches = makeBatches(dir, mock, clock, { batchSizeMax: 7, waitMsMax: 1_000, concurrencyMax: 3 });
      const collections = Array.from({ length: 10 }, (_, i) => `c${i}`);
      const adds = collections.flatMap((name, i) =>
        documents(name, 5 + i, 8, i).map((doc) => batches.add(name, doc)),
      );
      // Every collection flushed on its own, all of them at once, and the whole uploader twice.
      const flushes = [...collections.map((name) => batches.flush(name)), batches.flush(), batches.flush()];
      const outcomes = await drive(clock, Promise.all(flushes), [batches.uploader]);
      await drive(clock, Promise.all(adds), [batches.uploader]);
      expect(outcomes.flat().every((outcome) => outcome.state === 'uploaded')).toBe(true);
      for (const [i, name] of collections.entries()) {
        expect(uniqueRows(mock, `${name}/`).sort()).toEqual(
          documents(name, 5 + i, 8, i)
            .map((d) => d.id)
            .sort(),
        );
      }
      expect(batches.stats()).toMatchObject({
        pendingDocs: 0,
        openBatches: 0,
        batchesInFlight: 0,
        docsUploaded: 95,
      });
      // The flushes ended before the 1 s timer: they sealed the partial batches themselves.
      expect(clock.now()).toBeLessThan(1_000);
      await batches.close();
    });
  });

  it('uploads under seeded 10% failures all end uploaded or dead-lettered, with exact accounting', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({
        seed: 2024,
        clock,
        latency: { fixedMs: 4, jitterMs: 8 },
        rateLimit: false,
        failures: { rate: 0.1, code: 'InternalError', operations: ['put'] },
      });
      const uploader = new ParallelUploader({
        objectStore: mock,
        deadLetterDir: join(dir, 'dlq'),
        concurrencyMax: 8,
        retry: { attemptsMax: 2, delayMsBase: 20, delayMsMax: 200 },
        circuitBreaker: { failuresMax: 1_000 },
        clock,
        seed: 2024,
      });
      const keys = Array.from({ length: 300 }, (_, i) => `objects/${String(i).padStart(3, '0')}`);
      const results = await drive(
        clock,
        Promise.all(keys.map((key, i) => uploader.upload(key, new Uint8Array([i % 256, 1, 2])))),
        [uploader],
      );
      const uploaded = results.filter((r) => r.state === 'uploaded');
      const deadLettered = results.filter((r) => r.state === 'dead-lettered');
      const attempts = results.reduce((sum, r) => sum + r.attempts, 0);
      const puts = mock.stats().byOperation.put;
      // Exact for seed 2024 (300 uploads, 331 attempts, 33 injected failures): these numbers change only if the fault stream or the uploader changes.
      expect([uploaded.length, deadLettered.length, attempts]).toEqual([298, 2, 331]);
      expect(deadLettered.map((r) => r.key)).toEqual(['objects/274', 'objects/297']);
      // The books balance: every put the mock saw is an attempt, every success is one object.
      expect(puts).toMatchObject({
        requests: attempts,
        ok: uploaded.length,
        failed: attempts - uploaded.length,
      });
      expect(mock.keys()).toEqual(uploaded.map((r) => r.key));
      expect((await uploader.deadLetters.list()).map((e) => e.key)).toEqual(deadLettered.map((r) => r.key));
      expect(uploader.stats()).toMatchObject({
        uploaded: 298,
        deadLettered: 2,
        retried: attempts - 300,
        failed: 0,
        inFlight: 0,
        queued: 0,
        bytesUploaded: 298 * 3,
      });
    });
  });

  it('50 writers × 10 documents with frequent flushes keep batch state consistent', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({
        seed: 23,
        clock,
        latency: { fixedMs: 2, jitterMs: 6 },
        rateLimit: false,
      });
      const batches = makeBatches(dir, mock, clock, { batchSizeMax: 25, waitMsMax: 30 });
      const flushOutcomes: string[] = [];
      const writers = Array.from({ length: 50 }, async (_, w) => {
        const adds = [];
        for (const [i, doc] of documents(`w${w}`, 10, 8, 100 + w).entries()) {
          adds.push(batches.add('shared', doc));
          if (i % 3 === 2) {
            for (const outcome of await batches.flush('shared')) flushOutcomes.push(outcome.state);
            // Between flushes the books must balance: pending = open + in flight, never negative.
            const stats = batches.stats();
            expect(stats.pendingDocs).toBeGreaterThanOrEqual(0);
            expect(stats.pendingDocs + stats.docsUploaded).toBeLessThanOrEqual(500);
          }
        }
        return Promise.all(adds);
      });
      await drive(clock, Promise.all(writers), [batches.uploader]);
      const rows = batchRows(mock, 'shared/');
      expect(uniqueRows(mock, 'shared/')).toHaveLength(500);
      expect(flushOutcomes.length).toBeGreaterThan(0);
      expect(flushOutcomes.every((state) => state === 'uploaded')).toBe(true);
      expect(batches.stats()).toMatchObject({
        pendingDocs: 0,
        openBatches: 0,
        batchesInFlight: 0,
        docsUploaded: 500,
        batchesUploaded: rows.size,
        batchesDeadLettered: 0,
        batchesFailed: 0,
      });
      // Sequence numbers are dense: no batch was numbered twice or skipped.
      expect([...rows.keys()]).toEqual(
        Array.from({ length: rows.size }, (_, i) => `shared/${String(i).padStart(20, '0')}.arrow`),
      );
      await batches.close();
    });
  });

  it('a background flush timer runs beside 20 API writers without losing or repeating a document', async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(0);
      const mock = new MockS3ObjectStore({
        seed: 24,
        clock,
        latency: { fixedMs: 5, jitterMs: 10 },
        rateLimit: false,
      });
      const batches = makeBatches(dir, mock, clock, { batchSizeMax: 16, waitMsMax: 100 });
      let backgroundFlushes = 0;
      let stopped = false;
      const background = async () => {
        while (!stopped) {
          await clock.sleep(30);
          await batches.flush();
          backgroundFlushes++;
        }
      };
      const flusher = background();
      const writers = Array.from({ length: 20 }, async (_, w) => {
        const docs = documents(`api${w}`, 25, 8, 200 + w);
        for (let i = 0; i < docs.length; i += 5) {
          // Each writer sends five documents at a time and waits for all five to be durable.
          await Promise.all(docs.slice(i, i + 5).map((doc) => batches.add('live', doc)));
          await clock.sleep(7 * (w % 4));
        }
      });
      await drive(clock, Promise.all(writers), [batches.uploader]);
      stopped = true;
      await drive(clock, flusher, [batches.uploader]);
      const rows = batchRows(mock, 'live/');
      expect(uniqueRows(mock, 'live/')).toHaveLength(500);
      expect(Math.max(...[...rows.values()].map((ids) => ids.length))).toBeLessThanOrEqual(16);
      expect(backgroundFlushes).toBeGreaterThan(3);
      expect(batches.stats()).toMatchObject({
        pendingDocs: 0,
        docsUploaded: 500,
        batchesUploaded: rows.size,
      });
      await batches.close();
    });
  });
});
