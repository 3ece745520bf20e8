import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError, TierVecError } from '../../../src/errors.ts';
import { ObjectStoreError } from '../../../src/object-store/object-store-error.ts';
import { DeadLetterQueue, describeDeadLetterError } from '../../../src/uploaders/dead-letter-queue.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiervec-dlq-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const clock = new ManualClock(1_000);
const bytes = (...values: number[]) => new Uint8Array(values);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isTierVecError(error) ? error.code : `not a TierVecError: ${String(error)}`;
  }
}

describe('DeadLetterQueue', () => {
  it('keeps key, body, error, attempts and time, and a new instance on the same directory lists them', async () => {
    const first = new DeadLetterQueue({ dir, entriesMax: 10, clock });
    const a = await first.add({
      key: 'a/1',
      body: bytes(1, 2, 3),
      error: new ObjectStoreError('AccessDenied', 'denied'),
      attempts: 1,
    });
    const b = await first.add({ key: 'a/2', body: bytes(), error: new Error('disk'), attempts: 5 });
    expect(a.id < b.id).toBe(true);

    const second = new DeadLetterQueue({ dir, entriesMax: 10, clock });
    const entries = await second.list();
    expect(entries).toEqual([
      {
        id: a.id,
        key: 'a/1',
        sizeBytes: 3,
        error: { code: 'AccessDenied', message: 'denied', status: 403, retryable: false },
        attempts: 1,
        timeMs: 1_000,
        replays: 0,
      },
      {
        id: b.id,
        key: 'a/2',
        sizeBytes: 0,
        error: { code: 'Error', message: 'disk', status: null, retryable: false },
        attempts: 5,
        timeMs: 1_000,
        replays: 0,
      },
    ]);
    expect((await second.read(a.id)).body).toEqual(bytes(1, 2, 3));
    // New entries continue after the existing ids instead of reusing them.
    const c = await second.add({ key: 'a/3', body: bytes(9), error: new Error('x'), attempts: 1 });
    expect(c.id > b.id).toBe(true);
    // Nothing but entry files is left in the directory (temp files are renamed or removed).
    expect((await readdir(dir)).sort()).toEqual([a.id, b.id, c.id].map((id) => `${id}.dlq`));
  });

  it('refuses one entry more than entriesMax with DEAD_LETTER_FULL, naming the key, and keeps the others', async () => {
    const queue = new DeadLetterQueue({ dir, entriesMax: 2, clock });
    await queue.add({ key: 'k1', body: bytes(1), error: new Error('e'), attempts: 1 });
    await queue.add({ key: 'k2', body: bytes(2), error: new Error('e'), attempts: 1 });
    const cause = new ObjectStoreError('InternalError', 'boom');
    let error: unknown;
    try {
      await queue.add({ key: 'k3', body: bytes(3), error: cause, attempts: 5 });
    } catch (caught) {
      error = caught;
    }
    expect(isTierVecError(error, ErrorCode.DEAD_LETTER_FULL)).toBe(true);
    expect((error as Error).message).toContain('"k3"');
    expect((error as Error).cause).toBe(cause);
    expect((await queue.list()).map((entry) => entry.key)).toEqual(['k1', 'k2']);
    // Removing one makes room again.
    await queue.remove((await queue.list())[0]!.id);
    await queue.add({ key: 'k3', body: bytes(3), error: cause, attempts: 5 });
    expect(await queue.size()).toBe(2);
  });

  it('records a failed replay in place and removes and purges entries', async () => {
    const queue = new DeadLetterQueue({ dir, entriesMax: 10, clock });
    const entry = await queue.add({ key: 'k', body: bytes(7, 7), error: new Error('first'), attempts: 5 });
    const updated = await queue.recordFailedReplay(entry.id, new ObjectStoreError('SlowDown', 'again'), 3);
    expect(updated).toMatchObject({ id: entry.id, attempts: 8, replays: 1, error: { code: 'SlowDown' } });
    expect(await queue.read(entry.id)).toMatchObject({ attempts: 8, replays: 1, body: bytes(7, 7) });
    await queue.add({ key: 'k2', body: bytes(1), error: new Error('e'), attempts: 1 });
    await queue.remove(entry.id);
    expect(await codeOf(queue.read(entry.id))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(await queue.purge()).toBe(1);
    expect(await queue.list()).toEqual([]);
  });

  it('rejects ids that are not 12 digits with INVALID_ARGUMENT (no path escapes)', async () => {
    const queue = new DeadLetterQueue({ dir, entriesMax: 10, clock });
    expect(await codeOf(queue.read('../../etc/passwd'))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(await codeOf(queue.remove('1'))).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  it('answers CORRUPT_DATA for a damaged body or header instead of returning wrong bytes', async () => {
    const queue = new DeadLetterQueue({ dir, entriesMax: 10, clock });
    const entry = await queue.add({ key: 'k', body: bytes(1, 2, 3, 4), error: new Error('e'), attempts: 1 });
    const path = join(dir, `${entry.id}.dlq`);
    const raw = await readFile(path);
    raw.writeUInt8(raw.at(-1)! ^ 0xff, raw.length - 1);
    await writeFile(path, raw);
    expect(await codeOf(queue.read(entry.id))).toBe(ErrorCode.CORRUPT_DATA);
    await writeFile(path, 'not json\n');
    expect(await codeOf(queue.list())).toBe(ErrorCode.CORRUPT_DATA);
  });

  it('removes temp files left by a dead process and leaves a live process’s temp files alone', async () => {
    const dead = join(dir, '.000000000001.999999999.1.tmp');
    const live = join(dir, `.000000000002.${process.pid}.99.tmp`);
    await writeFile(dead, 'partial');
    await writeFile(live, 'partial');
    const queue = new DeadLetterQueue({ dir, entriesMax: 10, clock });
    expect(await queue.list()).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([`.000000000002.${process.pid}.99.tmp`]);
  });

  it('describes CIRCUIT_OPEN as retryable and other tiervec errors as permanent', () => {
    expect(describeDeadLetterError(new TierVecError(ErrorCode.CIRCUIT_OPEN, 'open'))).toEqual({
      code: 'CIRCUIT_OPEN',
      message: 'open',
      status: null,
      retryable: true,
    });
    expect(describeDeadLetterError('weird').code).toBe('Unknown');
  });
});
