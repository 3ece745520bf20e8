/**
 * The child side of a closed-loop search process (replica-scaling's replicas and its raw-hnswlib
 * ceiling): answers `ready` once set up, then on `{ durationMs }` searches back to back for that
 * long and answers how many searches it completed, with the CPU time the whole process used
 * (`process.cpuUsage`, every thread) over the same span. It owns the protocol only; it must never
 * know what it searches.
 */

import { systemClock } from '../../src/clock.ts';

/**
 * How often the loop lets timers and I/O run. A search that settles in microtasks alone never
 * reaches the event loop's other phases, so a replica's manifest polling would stall for the whole
 * run and its pooled sockets would go stale (the server closes them after its keep-alive timeout;
 * the first poll after the run then fails with ECONNRESET). A replica in service runs them between
 * requests, so the loop does too.
 */
const YIELD_EVERY_MS = 50;

/** What a search process reports for one timed run. */
export interface SearchLoopSample {
  searches: number;
  /** User + system CPU the process used during the run, in seconds. */
  cpuS: number;
  elapsedS: number;
}

export interface SearchLoopHooks {
  /** One search; awaited when it returns a promise. */
  search(index: number): unknown;
  /** Called once when the parent goes away; the process exits when it settles. */
  close(): Promise<void>;
}

async function timedRun(search: SearchLoopHooks['search'], durationMs: number): Promise<SearchLoopSample> {
  const startedMs = systemClock.now();
  const endMs = startedMs + durationMs;
  const cpuAtStart = process.cpuUsage();
  let searches = 0;
  let yieldAtMs = startedMs + YIELD_EVERY_MS;
  for (let nowMs = startedMs; nowMs < endMs; nowMs = systemClock.now()) {
    if (nowMs >= yieldAtMs) {
      await new Promise((resolve) => setImmediate(resolve));
      yieldAtMs = nowMs + YIELD_EVERY_MS;
    }
    const pending = search(searches);
    if (pending instanceof Promise) await pending;
    searches++;
  }
  const cpu = process.cpuUsage(cpuAtStart);
  return { searches, cpuS: (cpu.user + cpu.system) / 1e6, elapsedS: (systemClock.now() - startedMs) / 1000 };
}

/** Announces readiness and serves timed runs until the parent disconnects. */
export function serveSearchLoop(hooks: SearchLoopHooks): void {
  process.on('message', async (message: { durationMs: number }) => {
    const sample = await timedRun(hooks.search, message.durationMs);
    process.send?.({ state: 'done', ...sample });
  });
  process.on('disconnect', () => {
    hooks.close().finally(() => process.exit(0));
  });
  process.send?.({ state: 'ready' });
}
