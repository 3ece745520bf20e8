import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/random.ts';
import { crc32, tableCrc32 } from '../../../src/storage/crc32.ts';

describe('crc32', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with zlib on every length from 0 to 80 and at unaligned offsets', () => {
    const rng = new Rng(11);
    const data = Buffer.alloc(200);
    for (let i = 0; i < data.length; i++) data[i] = rng.nextInt(256);
    for (let length = 0; length <= 80; length++) {
      for (const offset of [0, 1, 3, 7]) {
        const slice = data.subarray(offset, offset + length);
        expect(crc32(slice), `length ${length} offset ${offset}`).toBe(zlibCrc32(slice));
      }
    }
  });

  it('continues a checksum across pieces', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    expect(crc32(data.subarray(13), crc32(data.subarray(0, 13)))).toBe(crc32(data));
  });

  it('changes when one bit flips', () => {
    const data = Buffer.from('tiervec write-ahead log record');
    const flipped = Buffer.from(data);
    flipped[5] = (flipped[5] as number) ^ 0x10;
    expect(crc32(flipped)).not.toBe(crc32(data));
  });

  it('gives the same values from the native and the table-driven paths, whole and in pieces', () => {
    const rng = new Rng(12);
    const data = Buffer.alloc(70_000);
    for (let i = 0; i < data.length; i++) data[i] = rng.nextInt(256);
    for (const length of [255, 256, 257, 4_097, 70_000]) {
      const slice = data.subarray(1, 1 + Math.min(length, data.length - 1));
      expect(crc32(slice), `length ${length}`).toBe(tableCrc32(slice));
      expect(crc32(slice.subarray(300), tableCrc32(slice.subarray(0, 300)))).toBe(tableCrc32(slice));
    }
  });
});
