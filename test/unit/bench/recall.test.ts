import { describe, expect, it } from 'vitest';
import { recallAtK } from '../../../bench/runner/recall.ts';
import { ErrorCode } from '../../../src/errors.ts';

describe('recallAtK', () => {
  it('averages, over queries, the share of true neighbours found among the first k', () => {
    const truth = [
      ['a', 'b', 'c', 'd'],
      ['e', 'f', 'g', 'h'],
    ];
    const found = [
      ['a', 'c', 'x', 'b'], // first 3: a, c, x → 2 of {a, b, c}
      ['h', 'g', 'f', 'e'], // first 3: h, g, f → 2 of {e, f, g}
    ];
    expect(recallAtK(found, truth, 3)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(found, truth, 4)).toBeCloseTo((3 / 4 + 1) / 2, 12);
    expect(recallAtK(found, truth, 1)).toBe(0.5);
  });

  it('counts a duplicated id once and scores short truth lists against what they hold', () => {
    expect(recallAtK([[1, 1, 1]], [[1, 2, 3]], 3)).toBeCloseTo(1 / 3, 12);
    expect(recallAtK([[7, 8]], [[7]], 10)).toBe(1);
    expect(recallAtK([[]], [[7]], 10)).toBe(0);
  });

  it('rejects a bad k and mismatched lists with INVALID_ARGUMENT', () => {
    expect(() => recallAtK([['a']], [['a']], 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    expect(() => recallAtK([['a']], [['a'], ['b']], 1)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    expect(() => recallAtK([[]], [[]], 1)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});
