import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCandidates, TopK } from '../../../../src/storage/segment/top-k.ts';

describe('TopK', () => {
  it('keeps the k closest, ordered by distance then id, like sorting everything (property)', () => {
    const seed = 20240611;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.string({ maxLength: 3 })), { maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        (items, k) => {
          const top = new TopK<{ distance: number; id: string }>(k);
          const unique = [...new Map(items.map(([d, id]) => [id, { distance: d, id }])).values()];
          for (const item of unique) top.offer(item.distance, item.id, () => item);
          const expected = [...unique].sort(compareCandidates).slice(0, k);
          expect(top.sorted()).toEqual(expected);
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('calls make() only for candidates that enter', () => {
    const top = new TopK<{ distance: number; id: string }>(1);
    let made = 0;
    const make = (distance: number, id: string) => () => {
      made++;
      return { distance, id };
    };
    top.offer(5, 'a', make(5, 'a'));
    top.offer(6, 'b', make(6, 'b'));
    top.offer(4, 'c', make(4, 'c'));
    expect(made).toBe(2);
    expect(top.sorted().map((c) => c.id)).toEqual(['c']);
  });

  it('refuses k below 1', () => {
    expect(() => new TopK(0)).toThrow(/positive integer/);
  });
});
