/**
 * The parent side of closed-loop search processes (search-loop.ts): starts N copies of a child
 * script, runs some of them together for the same time, and sums what they report into searches per second,
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

export interface SearchProcessGroupOptions {
  script: string;
  /** The one argv argument of the child with this index (0 is the first). */
  args: (index: number) => string;
  processes: number;
  /** Added to the children's environment. */
  env?: Record<string, string>;
}

function start(options: SearchProcessGroupOptions, index: number): Promise<ChildProcess> {
  const child = fork(options.script, [options.args(index)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`search process exited with ${code} before it was ready`)));
  });
}

/** One timed run of a ready child; rejects, rather than waiting forever, if the child exits first. */
function timedRun(child: ChildProcess, durationMs: number): Promise<SearchLoopSample> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      reject(new Error(`search process exited (code ${code}, signal ${signal}) during a timed run`));
    child.once('exit', onExit);
    child.once('message', ({ searches, cpuS, elapsedS }: SearchLoopSample) => {
      child.off('exit', onExit);
      resolve({ searches, cpuS, elapsedS });
    });
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

/**
 * Search processes started once and kept ready, so that runs of one and of several of them can
 * alternate in short windows (a process that is not running a window waits idle on its IPC channel).
 */
export class SearchProcessGroup {
  readonly #children: readonly ChildProcess[];

  private constructor(children: readonly ChildProcess[]) {
    this.#children = children;
  }

  static async start(options: SearchProcessGroupOptions): Promise<SearchProcessGroup> {
    const started = await Promise.allSettled(
      Array.from({ length: options.processes }, (_, index) => start(options, index)),
    );
    const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await new SearchProcessGroup(children).stop();
      throw failed.reason;
    }
    return new SearchProcessGroup(children);
  }

  /** Runs the first `processes` children together for `durationMs` and sums what they report. */
  async run(processes: number, durationMs: number): Promise<SearchProcessesRun> {
    if (processes < 1 || processes > this.#children.length) {
      throw new RangeError(`processes must be 1..${this.#children.length}, got ${processes}`);
    }
    const running = this.#children.slice(0, processes);
    return summarise(await Promise.all(running.map((child) => timedRun(child, durationMs))));
  }

  /** Stops every child (they exit before this resolves). */
  async stop(): Promise<void> {
    const exited = this.#children.map((child) =>
      child.exitCode === null && child.signalCode === null
        ? new Promise((resolve) => child.once('exit', resolve))
        : Promise.resolve(),
    );
    for (const child of this.#children) if (child.connected) child.disconnect();
    await Promise.all(exited);
  }
}

/** "3917 searches/s, 1.01 CPU-s/s per process, 3878 searches per CPU-s" */
export function describeRun(run: SearchProcessesRun): string {
  return `${run.searchesPerS.toFixed(0)} searches/s, ${run.cpuPerSPerProcess.toFixed(2)} CPU-s/s per process, ${run.searchesPerCpuS.toFixed(0)} searches per CPU-s`;
}
