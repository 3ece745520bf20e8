import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.ts';

describe('Rng', () => {
  it('replays the same sequence for the same seed and differs for another', () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 8 },
        (
          (rng) => () =>
            rng.nextUint32()
        )(new Rng(seed)),
      );
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws uniform values in [0, 1) with the expected mean', () => {
    const rng = new Rng(7);
    let sum = 0;
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      if (x < 0 || x >= 1) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    // Standard error of the mean is 1/sqrt(12 n) ≈ 0.0009; 0.005 is more than five of them.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
  });

  it('draws exponential gaps whose mean is 1 / rate', () => {
    const rng = new Rng(11);
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) sum += rng.nextExponential(4);
    expect(Math.abs(sum / n - 0.25)).toBeLessThan(0.005);
  });
});
