/**
 * Shared pieces of the uploaders' end-to-end suites: a driver that moves a ManualClock only when
 * nothing else can make progress (so outcomes depend on the seed, never on disk or CPU speed),
 * temp directories, seeded documents, and readers that count the rows of the batch objects the
 * mock S3 holds.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManualClock } from '../../src/clock.ts';
import { yieldToEventLoop } from '../../src/clock.ts';
import type { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import { Rng } from '../../src/random.ts';
import { decodeBatch } from '../../src/uploaders/batch-codec.ts';
import type { BatchDocument } from '../../src/uploaders/batch-document.ts';

interface HasDeadLetterGauge {
  stats(): { deadLetterOperationsInFlight: number };
}

/** Timers fired plus idle turns allowed before the driver declares the system stuck. */
const DRIVE_STEPS_MAX = 200_000;

/**
 * Settles `promise` by advancing `clock` one due timer at a time. Before each step it waits until
 * the dead-letter queues of `uploaders` have no disk operation running, so the clock never moves
 * while real I/O is pending and every run sees the same order of events.
 */
export async function drive<T>(
  clock: ManualClock,
  promise: Promise<T>,
  uploaders: HasDeadLetterGauge[] = [],
): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const diskBusy = () => uploaders.some((uploader) => uploader.stats().deadLetterOperationsInFlight > 0);
  for (let step = 0; !settled; step++) {
    if (step > DRIVE_STEPS_MAX) throw new Error(`drive: not settled after ${DRIVE_STEPS_MAX} steps`);
    for (let i = 0; i < 5; i++) await yieldToEventLoop();
    if (settled) break;
    if (diskBusy()) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    const dueMs = clock.nextDueMs();
    if (dueMs === undefined) {
      // Nothing on the clock and no disk work: give pending I/O callbacks a real turn.
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    await clock.advance(Math.max(0, dueMs - clock.now()));
  }
  return promise;
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tiervec-e2e-uploaders-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seeded documents with ids `${prefix}-${i}`. */
export function documents(prefix: string, count: number, dimension: number, seed: number): BatchDocument[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    vector: Array.from({ length: dimension }, () => rng.nextFloat(-1, 1)),
    metadata: { writer: prefix, i },
  }));
}

/** The ids in every batch object under `prefix`, per object, in key order. */
export function batchRows(mock: MockS3ObjectStore, prefix: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const key of mock.keys()) {
    if (!key.startsWith(prefix)) continue;
    const body = mock.peek(key);
    if (body === undefined) throw new Error(`no body at ${key}`);
    rows.set(
      key,
      decodeBatch(body).documents.map((doc) => doc.id),
    );
  }
  return rows;
}
