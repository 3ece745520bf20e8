/**
 * The parent side of closed-loop search processes (search-loop.ts): starts N copies of a child
 * script, runs them together for the same time, and sums what they report into searches per second,
 * CPU per process and searches per CPU-second. CPU per process near 1 with fewer searches per
 * CPU-second means each process had its core but did less with it (shared cache or memory
 * bandwidth); CPU well below 1 means another process took the core. It must never know what the
 * children search.
 */

import { type ChildProcess, fork } from 'node:child_process';
import type { SearchLoopSample } from './search-loop.ts';

export interface SearchProcessesRun {
  processes: number;
  /** Searches per second over all processes. */
  searchesPerS: number;
  /** Mean over processes of CPU-seconds used per second of the run (1 = one core busy throughout). */
  cpuPerSPerProcess: number;
  /** All searches ÷ all CPU-seconds. */
  searchesPerCpuS: number;
  samples: SearchLoopSample[];
}

export interface SearchProcessesOptions {
  script: string;
  /** The one argv argument every child gets. */
  args: string;
  processes: number;
  durationMs: number;
  /** Added to the children's environment. */
  env?: Record<string, string>;
}

function start(options: SearchProcessesOptions): Promise<ChildProcess> {
  const child = fork(options.script, [options.args], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`search process exited with ${code} before it was ready`)));
  });
}

function timedRun(child: ChildProcess, durationMs: number): Promise<SearchLoopSample> {
  return new Promise((resolve) => {
    child.once('message', ({ searches, cpuS, elapsedS }: SearchLoopSample) =>
      resolve({ searches, cpuS, elapsedS }),
    );
    child.send({ durationMs });
  });
}

export function summarise(samples: readonly SearchLoopSample[]): SearchProcessesRun {
  const searches = samples.reduce((sum, s) => sum + s.searches, 0);
  const cpuS = samples.reduce((sum, s) => sum + s.cpuS, 0);
  return {
    processes: samples.length,
    searchesPerS: samples.reduce((sum, s) => sum + s.searches / s.elapsedS, 0),
    cpuPerSPerProcess: samples.reduce((sum, s) => sum + s.cpuS / s.elapsedS, 0) / samples.length,
    searchesPerCpuS: searches / cpuS,
    samples: [...samples],
  };
}

/** Starts the processes, runs them together once, and stops them (they exit before this resolves). */
export async function runSearchProcesses(options: SearchProcessesOptions): Promise<SearchProcessesRun> {
  const children = await Promise.all(Array.from({ length: options.processes }, () => start(options)));
  try {
    return summarise(await Promise.all(children.map((child) => timedRun(child, options.durationMs))));
  } finally {
    const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of children) child.disconnect();
    await Promise.all(exited);
  }
}

/** "3917 searches/s, 1.01 CPU-s/s per process, 3878 searches per CPU-s" */
export function describeRun(run: SearchProcessesRun): string {
  return `${run.searchesPerS.toFixed(0)} searches/s, ${run.cpuPerSPerProcess.toFixed(2)} CPU-s/s per process, ${run.searchesPerCpuS.toFixed(0)} searches per CPU-s`;
}
