/**
 * A scenario run spread over load workers: each worker process loads the same scenario file with the
 * same mode, overrides and seed, builds its own tiervec target (so each opens and preloads its own
 * store) and offers its execution segment; the coordinator merges their reports into one verdict.
 * Targets whose state is per process see 1/N of the load each: that measures N stores side by side,
 * not one store under N times the load. It never runs a load itself.
 */

import type { LoadTestReport } from '../report/schema.ts';
import type { LoadTestProgress } from '../run-session.ts';
import type { ScenarioOverrides, ScenarioRun } from '../scenario/resolve-scenario.ts';
import type { ScenarioMode } from '../scenario/scenario-types.ts';
import { runWorkers } from './worker-pool.ts';

export interface ScenarioSource {
  /** As given on the command line: a shipped name or a path (resolved against the same working directory). */
  nameOrPath: string;
  mode: ScenarioMode;
  overrides: ScenarioOverrides;
}

export interface RunScenarioWorkersOptions {
  workers: number;
  signal?: AbortSignal;
  onProgress?: (progress: LoadTestProgress) => void;
  onEvent?: (message: string) => void;
  dataDir?: string;
  keepData?: boolean;
}

/** Runs `scenario` (loaded from `source`) in `options.workers` processes and returns the merged report. */
export function runScenarioWorkers(
  scenario: ScenarioRun,
  source: ScenarioSource,
  options: RunScenarioWorkersOptions,
): Promise<LoadTestReport> {
  return runWorkers(
    {
      kind: 'scenario',
      nameOrPath: source.nameOrPath,
      mode: source.mode,
      // The seed the coordinator resolved, so every worker draws the same arrival stream.
      overrides: { ...source.overrides, seed: scenario.config.seed },
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.keepData === undefined ? {} : { keepData: options.keepData }),
    },
    {
      workers: options.workers,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    },
  );
}
