import { describe, expect, it } from 'vitest';
import { rowRef, rowRefParts } from '../../../src/storage/segment-table.ts';

describe('rowRef', () => {
  const cases: [number, number][] = [
    [0, 0],
    [0, 65_535],
    [0, 65_536],
    [1, 0],
    [16_383, 65_535],
    [16_384, 0],
    [16_383, 65_536],
    [123_456, 4_000_000_000],
    [2 ** 20, 17],
  ];

  it('gives back the seq and row it was made of, and distinct pairs never share a reference', () => {
    const seen = new Map<number, string>();
    for (const [seq, row] of cases) {
      const ref = rowRef(seq, row);
      expect(rowRefParts(ref)).toEqual({ seq, row });
      expect(seen.get(ref)).toBeUndefined();
      seen.set(ref, `${seq}/${row}`);
    }
  });

  it('is a small integer (unboxed in V8) for small seqs and rows, and at least 2^32 beyond', () => {
    expect(rowRef(16_383, 65_535)).toBeLessThan(2 ** 30);
    expect(rowRef(16_384, 0)).toBeGreaterThanOrEqual(2 ** 32);
    expect(rowRef(0, 65_536)).toBeGreaterThanOrEqual(2 ** 32);
  });
});
