/**
 * What a load worker process is asked to run and what it answers, as plain data that crosses the
 * IPC channel between the coordinator (`worker-pool.ts`) and a worker (`worker-entry.ts`). A job
 * names its target by kind, so that each process builds its own: the noop calibration target, a
 * factory exported by a module (tests, custom targets), or a scenario file with the tiervec target.
 * It owns the message shapes only; it never starts a process or a run.
 */

import type { LoadTestConfig } from '../config.ts';
import type { LoadTestReport } from '../report/schema.ts';
import type { LoadTestProgress } from '../run-session.ts';
import type { ScenarioOverrides } from '../scenario/resolve-scenario.ts';
import type { ScenarioMode } from '../scenario/scenario-types.ts';
import type { ExecutionSegment } from './execution-segment.ts';

/** A target each worker builds for itself. */
export type WorkerTarget =
  | { kind: 'noop'; operations?: string[] }
  /** `module` is a file URL or package name; its export `exportName` is called with `options` and returns a LoadTarget. */
  | { kind: 'module'; module: string; exportName: string; options?: unknown };

export type WorkerJob =
  /** An engine configuration (its seed fixed) against a target of `WorkerTarget`. */
  | { kind: 'config'; config: LoadTestConfig & { seed: number }; target: WorkerTarget }
  /** A scenario file with its tiervec target (each worker opens its own store); `overrides.seed` is fixed. */
  | {
      kind: 'scenario';
      nameOrPath: string;
      mode: ScenarioMode;
      overrides: ScenarioOverrides & { seed: number };
      dataDir?: string;
      keepData?: boolean;
    };

/** Coordinator → worker. */
export type ToWorker =
  | { type: 'job'; job: WorkerJob; segment: ExecutionSegment }
  /** Start the clock at this wall-clock time (ms since the Unix epoch), so that timelines line up. */
  | { type: 'start'; atEpochMs: number }
  /** Stop the arrivals now and report what was measured (Ctrl-C, or another worker stopped early). */
  | { type: 'stop' };

/** Worker → coordinator. */
export type FromWorker =
  /** The target is set up; waiting for `start`. */
  | { type: 'ready' }
  | { type: 'progress'; progress: LoadTestProgress }
  /** A line for the console (preload progress, fault events). */
  | { type: 'event'; message: string }
  | { type: 'report'; report: LoadTestReport }
  | { type: 'failed'; message: string; code?: string };
