/**
 * Reports from real runs on a ManualClock, for the tests of criteria, reports, merge and compare: the
 * target's operations sleep a seeded number of milliseconds, so every latency is known exactly and
 * kept here (for reference computations only; the harness itself keeps no samples).
 */

import { ManualClock } from '../../../src/clock.ts';
import type { LoadTestConfig } from '../../../src/loadtest/config.ts';
import type { LoadTarget } from '../../../src/loadtest/load-target.ts';
import type { LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { Rng } from '../../../src/random.ts';
import { driveClock } from './manual-run.ts';

export interface ManualRun {
  report: LoadTestReport;
  /** Response times (ms) of every measured operation, by operation. */
  latenciesMs: Record<string, number[]>;
}

export interface ManualRunOptions {
  seed?: number;
  config?: Partial<LoadTestConfig>;
  /** Every n-th search fails with ECONNRESET. @default 0 (never) */
  failEvery?: number;
  /** Extra milliseconds added to every search. @default 0 */
  searchExtraMs?: number;
}

export async function manualRun(options: ManualRunOptions = {}): Promise<ManualRun> {
  const seed = options.seed ?? 1;
  const clock = new ManualClock(1_700_000_000_000);
  const rng = new Rng(seed * 7919);
  const latenciesMs: Record<string, number[]> = { search: [], insert: [] };
  let searches = 0;
  let gauge = 0;
  const target: LoadTarget = {
    name: 'sleeping fixture',
    operations: {
      search: async () => {
        const ms = 1 + rng.nextInt(40) + (options.searchExtraMs ?? 0);
        latenciesMs.search?.push(ms);
        await clock.sleep(ms);
        searches++;
        if (options.failEvery !== undefined && searches % options.failEvery === 0) {
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        }
      },
      insert: async () => {
        const ms = 0.5 + rng.nextInt(5);
        latenciesMs.insert?.push(ms);
        await clock.sleep(ms);
      },
    },
    gauges: () => ({ segments: ++gauge % 5, pendingUploads: 2 }),
  };
  const report = await driveClock(
    clock,
    runLoadTest(
      {
        name: 'fixture',
        seed,
        durationS: 4,
        load: { profile: { kind: 'constant', rate: 100 }, inFlightMax: 1_000 },
        mix: { search: 3, insert: 1 },
        criteria: { preset: 'none' },
        ...options.config,
      },
      { target, clock },
    ),
  );
  return { report, latenciesMs };
}
