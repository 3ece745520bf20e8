/**
 * Runs one scenario run against the tiervec store: builds the tiervec target from the run's target
 * configuration and hands the engine the run's own configuration. The one place a scenario meets the
 * engine and the store; the command line and library users both come through here.
 */

import type { LoadTestReport } from '../report/schema.ts';
import type { LoadTestProgress } from '../run.ts';
import { type RunLoadTestOptions, runLoadTest } from '../run.ts';
import { type SlowedOperation, withSlowedOperation } from '../slowed-operation.ts';
import { createTiervecTarget, type TiervecTarget } from '../targets/tiervec-target.ts';
import type { ScenarioRun } from './resolve-scenario.ts';

export interface RunScenarioOptions {
  onProgress?: (progress: LoadTestProgress) => void;
  /** Preload progress, partitions, fallbacks: one line each. */
  onEvent?: (message: string) => void;
  signal?: AbortSignal;
  /** Where the store's directory is made. @default the system's temporary directory */
  dataDir?: string;
  /** Keep the store's directory after the run. @default false */
  keepData?: boolean;
  /** Called with the target before the run (tests read the store's stats through it). */
  onTarget?: (target: TiervecTarget) => void;
  /** Makes one operation `factor` times slower: a known slowdown, for checking `compare`. */
  slow?: SlowedOperation;
  /** Offer only this execution segment of the load; the store is still this process's own. */
  segment?: RunLoadTestOptions['segment'];
  /** Awaited after the preload, before the clock starts (load workers start together through it). */
  startGate?: RunLoadTestOptions['startGate'];
}

export async function runScenario(
  scenario: ScenarioRun,
  options: RunScenarioOptions = {},
): Promise<LoadTestReport> {
  const target = createTiervecTarget({
    config: scenario.target,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.keepData === undefined ? {} : { keepData: options.keepData }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  options.onTarget?.(target);
  return runLoadTest(scenario.config, {
    target: options.slow === undefined ? target : withSlowedOperation(target, options.slow),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.segment === undefined ? {} : { segment: options.segment }),
    ...(options.startGate === undefined ? {} : { startGate: options.startGate }),
  });
}
