import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/random.ts';
import { IdMap } from '../../../src/storage/id-map.ts';
import { LIMITS } from '../../../src/storage/limits.ts';

describe('IdMap', () => {
  it('agrees with a Map over 200,000 seeded sets, updates and deletes, through its rebuilds', () => {
    const rng = new Rng(7);
    const map = new IdMap();
    const model = new Map<string, number>();
    // Ids of several shapes: sequential, non-ASCII, and the longest allowed.
    const idOf = (n: number): string => {
      if (n % 50 === 0) return `ü-${n}-日本`;
      if (n % 997 === 0) return `${n}`.padEnd(LIMITS.idBytesMax, 'x');
      return `doc-${n}`;
    };
    for (let step = 0; step < 200_000; step++) {
      const id = idOf(rng.nextInt(20_000));
      const op = rng.nextInt(10);
      if (op < 6) {
        // References of both forms (small integers and beyond 2^32).
        const ref = op < 3 ? rng.nextInt(1 << 30) : 2 ** 40 + rng.nextInt(1 << 20);
        map.set(id, ref);
        model.set(id, ref);
      } else if (op < 9) {
        expect(map.delete(id)).toBe(model.delete(id));
      } else {
        expect(map.get(id)).toBe(model.get(id));
      }
    }
    expect(map.size).toBe(model.size);
    for (let n = 0; n < 20_000; n++) expect(map.get(idOf(n))).toBe(model.get(idOf(n)));
  });

  it('takes back the key bytes of deleted ids', () => {
    const map = new IdMap();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10_000; i++) map.set(`round-${round}-id-${i}`, i);
      for (let i = 0; i < 10_000; i++) expect(map.delete(`round-${round}-id-${i}`)).toBe(true);
    }
    expect(map.size).toBe(0);
    // 200,000 ids of ~18 bytes came and went; what it holds is sized for 10,000 at most.
    expect(map.bytes()).toBeLessThan(2_000_000);
    map.set('after', 1);
    expect(map.get('after')).toBe(1);
  });

  it('finds no id longer than an id may be, and refuses to store one', () => {
    const map = new IdMap();
    const long = 'é'.repeat(LIMITS.idBytesMax / 2 + 1);
    expect(map.get(long)).toBeUndefined();
    expect(map.delete(long)).toBe(false);
    expect(() => map.set(long, 1)).toThrow(/longer than/);
    expect(map.get('x'.repeat(LIMITS.idBytesMax + 1))).toBeUndefined();
    expect(map.size).toBe(0);
  });
});
