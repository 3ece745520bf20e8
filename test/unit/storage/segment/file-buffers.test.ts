import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { readFileInto } from '../../../../src/storage/file-system.ts';
import { FileBufferPool, fileBuffers } from '../../../../src/storage/segment/file-buffers.ts';
import type { SealedSegment } from '../../../../src/storage/segment/sealed-segment.ts';
import { BLOCKING_READ_BYTES_MAX, readSegmentFiles } from '../../../../src/storage/segment/segment-file.ts';
import { memoryTotal } from '../../../../src/storage/segment/segment-memory.ts';
import {
  expectTierVecError,
  seededVector,
  useTempDirs,
  writeSealedSegment,
} from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-file-buffers-');
const DIMENSION = 64;
const ROWS = 400;

/** A flat sealed segment, unloaded, whose Arrow file (~110 KB) is large enough for a pooled buffer. */
async function sealedSample(dir: string, seq = 1): Promise<SealedSegment> {
  const docs = Array.from({ length: ROWS }, (_, i) => ({
    id: `s${seq}-d${i}`,
    vector: seededVector(seq * 1000 + i, DIMENSION),
    metadata: { i },
  }));
  const segment = await writeSealedSegment(dir, seq, DIMENSION, docs);
  segment.unload();
  segment.setFlat(true);
  return segment;
}

describe('FileBufferPool', () => {
  it('hands a returned buffer out again for a file of the same size class, and never a small one', () => {
    const pool = new FileBufferPool(1024 * 1024);
    const first = pool.take(100_000);
    expect(first.length).toBe(100_000);
    expect(first.buffer.byteLength).toBe(128 * 1024);
    pool.give(first);
    expect(pool.counts().freeBytes).toBe(128 * 1024);
    // 120,000 bytes rounds up to the same 128 KiB class.
    const again = pool.take(120_000);
    expect(again.buffer).toBe(first.buffer);
    expect(again.length).toBe(120_000);
    expect(pool.counts()).toEqual({ freeBytes: 0, reused: 1, allocated: 1 });
    // Another class is a new allocation.
    expect(pool.take(200_000).buffer).not.toBe(first.buffer);
    const small = pool.take(1000);
    pool.give(small);
    expect(pool.counts().freeBytes).toBe(0);
  });

  it('keeps at most bytesMax of free buffers, pushing out the one free the longest', () => {
    const pool = new FileBufferPool(256 * 1024);
    // Each 100,000-byte file takes a 128 KiB buffer: two fit.
    const views = [pool.take(100_000), pool.take(100_000), pool.take(100_000)];
    for (const view of views) pool.give(view);
    expect(pool.counts().freeBytes).toBe(256 * 1024);
    const kept = new Set([pool.take(100_000).buffer, pool.take(100_000).buffer]);
    expect(kept).toEqual(new Set([views[1]?.buffer, views[2]?.buffer]));
    expect(pool.counts()).toEqual({ freeBytes: 0, reused: 2, allocated: 3 });
    // A buffer larger than the whole pool is never kept, and pushes nothing out.
    pool.give(views[1] as Uint8Array);
    pool.give(pool.take(300_000));
    expect(pool.counts().freeBytes).toBe(128 * 1024);
  });

  it('serves a file only from a free buffer it fills at least half of', () => {
    const pool = new FileBufferPool(1024 * 1024);
    const big = pool.take(250_000);
    expect(big.buffer.byteLength).toBe(256 * 1024);
    pool.give(big);
    // 100,000 bytes would fill 38 % of it: a new buffer.
    expect(pool.take(100_000).buffer).not.toBe(big.buffer);
    // 140,000 bytes fill 53 %: the free one.
    expect(pool.take(140_000).buffer).toBe(big.buffer);
  });
});

describe('readFileInto', () => {
  it('reads the same bytes and reports the same sizes blocking or not', async () => {
    const dir = await temp.make();
    const path = join(dir, 'f.bin');
    const content = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    await writeFile(path, content);
    for (const blocking of [false, true]) {
      // Room for one byte more than the file: the answer is the file's size.
      const roomy = new Uint8Array(70_001);
      expect(await readFileInto(path, roomy, { blocking })).toBe(70_000);
      expect(roomy.subarray(0, 70_000)).toEqual(content);
      // Less room than the file: exactly the room is filled.
      const tight = new Uint8Array(1_000);
      expect(await readFileInto(path, tight, { blocking })).toBe(1_000);
      expect(tight).toEqual(content.subarray(0, 1_000));
      await expect(readFileInto(join(dir, 'missing'), roomy, { blocking })).rejects.toThrow(/ENOENT/);
    }
    // Flat partition files at the default size (~1 MB) are read blocking.
    expect(BLOCKING_READ_BYTES_MAX).toBeGreaterThanOrEqual(2 ** 20);
  });
});

describe('a flat segment read into a pooled buffer', () => {
  it('counts the whole buffer in its memory bytes, so the hot budget bounds it', async () => {
    const dir = await temp.make();
    const a = await sealedSample(dir, 1);
    const arrowBytes = a.descriptor?.arrow.bytes ?? 0;
    const memory = await a.load();
    const bytes = memory.bytes();
    // The buffer is the file rounded up to 64 KiB (or a reused one at most twice the file).
    const total = memoryTotal(bytes);
    expect(total % (64 * 1024)).toBe(0);
    expect(total).toBeGreaterThan(arrowBytes);
    expect(total).toBeLessThanOrEqual(2 * arrowBytes + 64 * 1024);
    expect(bytes.buffers).toBe(total - bytes.vectors - bytes.metadata);
    expect(bytes.buffers).toBeGreaterThan(0);
    expect(a.memoryBytesExpected()).toBe(total);
    a.unload();
  });

  it('gives its buffer back when unloaded, and a later load reuses it with the right rows', async () => {
    const dir = await temp.make();
    const a = await sealedSample(dir, 1);
    const b = await sealedSample(dir, 2);
    const memoryA = await a.load();
    expect(memoryA.id(3)).toBe('s1-d3');
    const before = fileBuffers.counts();
    a.unload();
    expect(fileBuffers.counts().freeBytes).toBeGreaterThan(before.freeBytes);
    // Nothing may read a memory whose buffer went back: it throws rather than answer from reused bytes.
    expect(() => memoryA.id(3)).toThrow(/unloaded/);
    expect(() => memoryA.vector(3)).toThrow(/unloaded/);
    expect(() => memoryA.exactSearch(seededVector(1, DIMENSION), 1, 3)).toThrow(/unloaded/);
    const memoryB = await b.load();
    expect(fileBuffers.counts().reused).toBe(before.reused + 1);
    expect(memoryB.id(7)).toBe('s2-d7');
    expect(memoryB.vector(7)).toEqual(seededVector(2007, DIMENSION));
    expect(memoryB.metadataCopy(7)).toEqual({ i: 7 });
    const query = seededVector(2010, DIMENSION);
    expect(memoryB.exactSearch(query, 1, 1)[0]?.id).toBe('s2-d10');
    b.unload();
  });

  it('keeps a pinned memory readable after its segment unloads it, until the last unpin', async () => {
    const dir = await temp.make();
    const a = await sealedSample(dir, 1);
    const memory = await a.load();
    memory.pin();
    memory.pin();
    const before = fileBuffers.counts().freeBytes;
    a.unload();
    expect(fileBuffers.counts().freeBytes).toBe(before);
    memory.unpin();
    expect(memory.id(5)).toBe('s1-d5');
    expect(memory.metadata(5)).toEqual({ i: 5 });
    memory.unpin();
    expect(fileBuffers.counts().freeBytes).toBeGreaterThan(before);
    expect(() => memory.id(5)).toThrow(/unloaded/);
    // Metadata parsed while readable stays (it is a copy, not a view of the buffer).
    expect(memory.metadata(5)).toEqual({ i: 5 });
    expect(() => memory.unpin()).toThrow(/unpinned more/);
  });

  it('refuses a damaged, longer or shorter file with CORRUPT_DATA and returns the buffer', async () => {
    const dir = await temp.make();
    const a = await sealedSample(dir, 1);
    const descriptor = a.descriptor;
    if (descriptor === undefined) throw new Error('sealed');
    // Its buffer is in the pool now: a refused read takes it and must give it back.
    await a.load();
    a.unload();
    const path = join(dir, descriptor.arrow.name);
    const good = await readFile(path);
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] as number) ^ 0xff;
    await writeFile(path, flipped);
    const before = fileBuffers.counts();
    await expectTierVecError(
      () => readSegmentFiles(dir, descriptor, undefined, { index: false }),
      ErrorCode.CORRUPT_DATA,
      descriptor.arrow.name,
    );
    await writeFile(path, Buffer.concat([good, Buffer.from([0])]));
    await expectTierVecError(
      () => readSegmentFiles(dir, descriptor, undefined, { index: false }),
      ErrorCode.CORRUPT_DATA,
      descriptor.arrow.name,
    );
    await writeFile(path, good.subarray(0, good.length - 1));
    await expectTierVecError(
      () => readSegmentFiles(dir, descriptor, undefined, { index: false }),
      ErrorCode.CORRUPT_DATA,
      descriptor.arrow.name,
    );
    // Each refused read (damaged, longer, shorter) took the free buffer and gave it back.
    expect(fileBuffers.counts()).toEqual({ ...before, reused: before.reused + 3 });
    await writeFile(path, good);
    const memory = await readSegmentFiles(dir, descriptor, undefined, { index: false });
    expect(memory.id(0)).toBe('s1-d0');
  });
});
