/**
 * A target that stalls its process's event loop for `stallMs` at the end of every `periodMs`
 * (counted from its first call), like a long GC pause or a blocking system call, for the
 * coordinated-omission closed form. It blocks in Atomics.wait rather than spinning, so a busy
 * machine does not also make the process pay for the CPU a spin would use. Load workers import it
 * by module URL, so each worker process stalls on its own schedule.
 */

import type { LoadTarget } from '../../src/loadtest/load-target.ts';

export interface StallingTargetOptions {
  periodMs: number;
  stallMs: number;
}

export function createStallingTarget(options: StallingTargetOptions): LoadTarget & { stalls: number } {
  const { periodMs, stallMs } = options;
  const blocker = new Int32Array(new SharedArrayBuffer(4));
  let originMs: number | undefined;
  let nextStallMs = 0;
  const target = {
    name: `stalling (blocks the event loop ${stallMs} ms every ${periodMs} ms)`,
    stalls: 0,
    operations: {
      tick: async () => {
        const now = performance.now();
        if (originMs === undefined) {
          originMs = now;
          nextStallMs = originMs + periodMs - stallMs;
        }
        if (now >= nextStallMs) {
          const stallEndMs = nextStallMs + stallMs;
          for (let left = stallEndMs - performance.now(); left > 0; left = stallEndMs - performance.now()) {
            Atomics.wait(blocker, 0, 0, left);
          }
          target.stalls++;
          nextStallMs += periodMs;
        }
      },
    },
    verify: async () => [
      {
        name: 'stalls_min',
        description: 'stalls made by this process',
        limit: 0,
        actual: target.stalls,
        passed: true,
      },
    ],
  };
  return target;
}
