import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import type { LoadOperation, LoadTarget, OperationContext } from '../../../src/loadtest/load-target.ts';
import { withSlowedOperation } from '../../../src/loadtest/slowed-operation.ts';
import { Rng } from '../../../src/random.ts';

class CountingTarget implements LoadTarget {
  readonly name = 'counting';
  #calls = 0;
  readonly operations: Record<string, LoadOperation> = {
    search: async () => {
      this.#calls++;
      const startMs = performance.now();
      while (performance.now() - startMs < 2) {
        // A call that takes at least 2 ms, whatever the machine.
      }
      return 'hits';
    },
    insert: async () => 'inserted',
  };

  gauges(): Record<string, number> {
    return { calls: this.#calls };
  }
}

const context: OperationContext = {
  rng: new Rng(1),
  index: 0,
  operation: 'search',
  group: 'default',
  signal: new AbortController().signal,
};

describe('withSlowedOperation', () => {
  it('runs the real call once, returns its result, and takes at least factor times its duration', async () => {
    const target = new CountingTarget();
    const slowed = withSlowedOperation(target, { operation: 'search', factor: 2 });
    const startMs = performance.now();
    expect(await slowed.operations.search?.(context)).toBe('hits');
    // The call spins for at least 2 ms and the slowdown at least as long again: a lower bound only.
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(4);
    expect(slowed.gauges?.()).toEqual({ calls: 1 });
    expect(slowed.operations.insert).toBe(target.operations.insert);
  });

  it('rejects an unknown operation or a factor outside 1..16 with INVALID_ARGUMENT', () => {
    const target = new CountingTarget();
    expect(() => withSlowedOperation(target, { operation: 'scan', factor: 2 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('`scan`'),
      }),
    );
    expect(() => withSlowedOperation(target, { operation: 'search', factor: 0.5 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('factor'),
      }),
    );
  });
});
