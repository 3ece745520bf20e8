/**
 * `tiervec loadtest run <scenario>`: one scenario, short or full or for a given duration, with the
 * command line's overrides; reports in `reports/<scenario>-<timestamp>/` (or `--out DIR`). Exit 0
 * when every criterion passed, 1 when one failed (an `abort_on_fail` stop included), 3 when the run
 * broke, was interrupted, or stopped because every operation failed from the start.
 */

import path from 'node:path';
import { ErrorCode, TierVecError } from '../errors.ts';
import { loadScenario } from '../loadtest/scenario/load-scenario.ts';
import type { ScenarioOverrides, ScenarioRun } from '../loadtest/scenario/resolve-scenario.ts';
import type { ScenarioMode } from '../loadtest/scenario/scenario-types.ts';
import type { ObjectStoreKind } from '../loadtest/targets/tiervec-config.ts';
import type { CliIo } from './cli-io.ts';
import { exitCodeOfReport } from './exit-codes.ts';
import { reportDir, reportTimestamp } from './report-dir.ts';
import { executeScenario } from './scenario-execution.ts';
import { loadSpreadOf, type WorkerFlags } from './worker-flags.ts';

/** Flags shared by `run`, `short`, `full` and `capacity`. */
export interface ScenarioFlags {
  short?: boolean;
  full?: boolean;
  durationS?: number;
  rate?: number;
  seed?: number;
  vectors?: number;
  objectStore?: ObjectStoreKind;
  s3Endpoint?: string;
  s3Bucket?: string;
  dataDir?: string;
  keepData?: boolean;
  /** `--dashboard`, `--dashboard-port`, `--metrics-port`. */
  dashboard?: boolean;
  dashboardPort?: number;
  metricsPort?: number;
}

export interface RunFlags extends ScenarioFlags, WorkerFlags {
  out?: string;
}

export function modeOf(flags: ScenarioFlags): ScenarioMode {
  if (flags.short === true && flags.full === true) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      'Expected at most one of --short and --full, got both',
    );
  }
  return flags.full === true ? 'full' : 'short';
}

export function overridesOf(flags: ScenarioFlags): ScenarioOverrides {
  const overrides: ScenarioOverrides = {};
  if (flags.durationS !== undefined) overrides.durationS = flags.durationS;
  if (flags.rate !== undefined) overrides.rate = flags.rate;
  if (flags.seed !== undefined) overrides.seed = flags.seed;
  if (flags.vectors !== undefined) overrides.vectors = flags.vectors;
  if (flags.objectStore !== undefined) overrides.objectStore = flags.objectStore;
  if (flags.s3Endpoint !== undefined) overrides.s3Endpoint = flags.s3Endpoint;
  if (flags.s3Bucket !== undefined) overrides.s3Bucket = flags.s3Bucket;
  return overrides;
}

/** Problems the command line can see before anything starts. */
export function checkRunnable(scenario: ScenarioRun): void {
  if (scenario.target.objectStore === 's3' && scenario.target.s3.bucket === undefined) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Scenario "${scenario.config.name}" uses object store "s3" without a bucket: pass --s3-bucket NAME (and --s3-endpoint URL for a non-AWS server)`,
    );
  }
}

export async function runCommand(
  io: CliIo,
  nameOrPath: string,
  flags: RunFlags,
  signal: AbortSignal,
): Promise<number> {
  const spread = loadSpreadOf(flags);
  const source = { nameOrPath, mode: modeOf(flags), overrides: overridesOf(flags) };
  const scenario = await loadScenario(nameOrPath, { mode: source.mode, overrides: source.overrides });
  checkRunnable(scenario);
  const outDir =
    flags.out === undefined
      ? reportDir(io.cwd, undefined, scenario.config.name, reportTimestamp(new Date()))
      : path.resolve(io.cwd, flags.out);
  const { report } = await executeScenario(scenario, {
    io,
    outDir,
    signal,
    live: flags,
    spread: spread.kind === 'workers' ? { ...spread, source } : spread,
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
    ...(flags.keepData === undefined ? {} : { keepData: flags.keepData }),
  });
  return exitCodeOfReport(report);
}
