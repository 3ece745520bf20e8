import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type Clock, ManualClock, systemClock } from '../../../../src/clock.ts';
import { ErrorCode } from '../../../../src/errors.ts';
import { Wal, type WalOptions } from '../../../../src/storage/wal/wal.ts';
import { expectTierVecError, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-wal-');

function options(dir: string, overrides: Partial<WalOptions> = {}): WalOptions {
  return {
    dir,
    durability: 'fsync',
    clock: systemClock as Clock,
    bufferedFlushIntervalMs: 1_000,
    pendingBytesMax: 64 * 2 ** 20,
    recordBytesMax: 1 << 20,
    sealedLsn: 0,
    onBackgroundError: (error) => {
      throw error;
    },
    ...overrides,
  };
}

function body(text: string): Buffer {
  return Buffer.from(text);
}

async function walFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
}

describe('Wal', () => {
  it('replays every appended record, in order, after reopening', async () => {
    const dir = await temp.make();
    const { wal, replay } = await Wal.open(options(dir));
    expect(replay.entries).toEqual([]);
    for (let lsn = 1; lsn <= 5; lsn++) await wal.append(lsn, body(`r${lsn}`));
    await wal.close();
    const reopened = await Wal.open(options(dir));
    expect(reopened.replay.entries.map((e) => [e.lsn, e.body.toString()])).toEqual([
      [1, 'r1'],
      [2, 'r2'],
      [3, 'r3'],
      [4, 'r4'],
      [5, 'r5'],
    ]);
    expect(reopened.replay.lastLsn).toBe(5);
    expect(reopened.replay.truncation).toBeUndefined();
    await reopened.wal.close();
  });

  it('gives 50 concurrent appends one write and one fsync (group commit)', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append(i + 1, body(`r${i}`))));
    expect(wal.stats()).toMatchObject({ fsyncs: 1, writes: 1, records: 50 });
    await wal.close();
  });

  it('batches appends that arrive while an fsync is in flight into the next one', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    const first = wal.append(1, body('first'));
    // Let the first group start its write, then add ten more while it is in flight.
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 10 }, (_, i) => wal.append(i + 2, body(`r${i}`)));
    await Promise.all([first, ...rest]);
    expect(wal.stats().fsyncs).toBeLessThanOrEqual(2);
    expect(wal.stats().records).toBe(11);
    await wal.close();
  });

  it('in buffered mode acknowledges before fsync and fsyncs when the clock reaches the interval', async () => {
    const dir = await temp.make();
    const clock = new ManualClock();
    const { wal } = await Wal.open(
      options(dir, { durability: 'buffered', clock, bufferedFlushIntervalMs: 250 }),
    );
    const startMs = clock.now();
    await wal.append(1, body('a'));
    await wal.append(2, body('b'));
    expect(wal.stats()).toMatchObject({ fsyncs: 0, writes: 2 });
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDueMs()).toBe(startMs + 250);
    await clock.advance(250);
    await vi.waitFor(() => expect(wal.stats().fsyncs).toBe(1));
    expect(clock.pendingTimers).toBe(0);
    await wal.close();
    expect(wal.stats().fsyncs).toBe(1);
  });

  it('in buffered mode fsyncs pending writes on close', async () => {
    const dir = await temp.make();
    const clock = new ManualClock();
    const { wal } = await Wal.open(options(dir, { durability: 'buffered', clock }));
    await wal.append(1, body('a'));
    await wal.close();
    expect(wal.stats().fsyncs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('truncates a torn last record, reports it, and keeps appending after the good records', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    for (let lsn = 1; lsn <= 3; lsn++) await wal.append(lsn, body(`record-${lsn}`));
    await wal.close();
    const [name] = await walFiles(dir);
    const path = join(dir, name as string);
    const size = (await stat(path)).size;
    await truncate(path, size - 4);
    const reopened = await Wal.open(options(dir));
    expect(reopened.replay.entries.map((e) => e.lsn)).toEqual([1, 2]);
    expect(reopened.replay.truncation).toMatchObject({ file: name, droppedRecords: 1, droppedFiles: 0 });
    expect(reopened.replay.truncation?.reason).toMatch(/^torn/);
    expect((await stat(path)).size).toBe(reopened.replay.truncation?.offset);
    await reopened.wal.append(3, body('again'));
    await reopened.wal.close();
    const third = await Wal.open(options(dir));
    expect(third.replay.entries.map((e) => [e.lsn, e.body.toString()])).toEqual([
      [1, 'record-1'],
      [2, 'record-2'],
      [3, 'again'],
    ]);
    expect(third.replay.truncation).toBeUndefined();
    await third.wal.close();
  });

  it('truncates at a corrupt record and drops every later file (point-in-time recovery)', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    await wal.append(1, body('one'));
    await wal.append(2, body('two'));
    wal.rotate();
    await wal.append(3, body('three'));
    await wal.append(4, body('four'));
    await wal.close();
    const [first, second] = await walFiles(dir);
    const path = join(dir, first as string);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await writeFile(path, bytes);
    const reopened = await Wal.open(options(dir));
    expect(reopened.replay.entries.map((e) => e.lsn)).toEqual([1]);
    expect(reopened.replay.truncation).toMatchObject({ file: first, droppedRecords: 3, droppedFiles: 1 });
    expect(reopened.replay.truncation?.reason).toContain('CRC');
    expect(await walFiles(dir)).not.toContain(second);
    await reopened.wal.close();
  });

  it('removes a file whose header is damaged', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, `${'1'.padStart(20, '0')}.wal`), 'garbage');
    const { wal, replay } = await Wal.open(options(dir));
    expect(replay.entries).toEqual([]);
    expect(replay.truncation).toMatchObject({ offset: 0, droppedRecords: 1 });
    expect(await walFiles(dir)).toEqual([`${'2'.padStart(20, '0')}.wal`]);
    await wal.close();
  });

  it('does not replay records at or below sealedLsn', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    for (let lsn = 1; lsn <= 4; lsn++) await wal.append(lsn, body(`r${lsn}`));
    await wal.close();
    const reopened = await Wal.open(options(dir, { sealedLsn: 2 }));
    expect(reopened.replay.entries.map((e) => e.lsn)).toEqual([3, 4]);
    expect(reopened.replay.lastLsn).toBe(4);
    await reopened.wal.close();
  });

  it('releases only files whose records are all covered, rotating the current one when it is', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    await wal.append(1, body('a'));
    wal.rotate();
    await wal.append(2, body('b'));
    await wal.append(3, body('c'));
    expect(await walFiles(dir)).toHaveLength(2);
    await wal.releaseUpTo(2);
    expect(await walFiles(dir)).toHaveLength(1);
    expect(wal.stats()).toMatchObject({ files: 1, records: 2 });
    await wal.releaseUpTo(3);
    expect(wal.stats()).toMatchObject({ files: 1, records: 0 });
    await wal.append(4, body('d'));
    await wal.close();
    const reopened = await Wal.open(options(dir));
    expect(reopened.replay.entries.map((e) => e.lsn)).toEqual([4]);
    await reopened.wal.close();
  });

  it('makes writers wait while more than pendingBytesMax is queued, and wakes them when written', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir, { pendingBytesMax: 100 }));
    expect(wal.capacityWait()).toBeUndefined();
    const appended = wal.append(1, Buffer.alloc(200));
    const wait = wal.capacityWait();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    await appended;
    expect(wal.capacityWait()).toBeUndefined();
    expect(wal.stats()).toMatchObject({ pendingBytes: 0, pendingBytesPeak: 216 });
    await wal.close();
  });

  it('fails for good with IO_ERROR when a write cannot be made, rejecting later appends', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    await wal.append(1, body('a'));
    wal.rotate();
    await rm(dir, { recursive: true, force: true });
    await expectTierVecError(() => wal.append(2, body('b')), ErrorCode.IO_ERROR, 'WAL');
    expect(wal.failure?.code).toBe(ErrorCode.IO_ERROR);
    await expectTierVecError(() => wal.append(3, body('c')), ErrorCode.IO_ERROR);
    await wal.close();
  });

  it('refuses appends after close with CLOSED', async () => {
    const dir = await temp.make();
    const { wal } = await Wal.open(options(dir));
    await wal.close();
    await expectTierVecError(() => wal.append(1, body('a')), ErrorCode.CLOSED);
  });
});
