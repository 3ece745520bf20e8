/**
 * Turns a checked `ScenarioSpec` into one run: the engine's `LoadTestConfig` and the tiervec target's
 * `TiervecTargetConfig` for the mode asked for. It chooses the duration (short, full or the command
 * line's), dataset and segment sizes for that mode, converts fault and background positions from
 * percentages of the run into seconds, places random partitions with the scenario's seed, and applies
 * the command line's overrides (rate, seed, object store). Profiles need no conversion: they are the
 * engine's own specs already. Pure: no I/O, no clock.
 */

import { checkInteger, checkNumber, ErrorCode, TierVecError } from '../../errors.ts';
import { Rng } from '../../random.ts';
import { profileBaseRate } from '../profile-spec.ts';
import {
  type FaultConfig,
  type ObjectStoreKind,
  TARGET_CRITERIA_KEYS,
  type TargetLimits,
  type TiervecTargetConfig,
} from '../targets/tiervec-config.ts';
import type { CriteriaSpec, ScenarioMode, ScenarioSpec } from './scenario-types.ts';
import { type ScenarioLoadTestConfig, toLoadTestConfig } from './to-load-test-config.ts';

/** One run of a scenario: what the engine runs and what the target it runs against is. */
export interface ScenarioRun {
  /** The engine's configuration: name, mode, seed, durations, load groups with their profiles, criteria. */
  config: ScenarioLoadTestConfig;
  /** The tiervec target's configuration for the same run. */
  target: TiervecTargetConfig;
}

/** Command-line overrides; each replaces what the file says. */
export interface ScenarioOverrides {
  durationS?: number;
  /** The base rate of the whole scenario: every open group's profile scales by the same factor. */
  rate?: number;
  seed?: number;
  /** Overrides the dataset size for this mode (capacity probes, tests). */
  vectors?: number;
  objectStore?: ObjectStoreKind;
  s3Endpoint?: string;
  s3Bucket?: string;
}

export function resolveScenario(
  spec: ScenarioSpec,
  mode: ScenarioMode,
  overrides: ScenarioOverrides = {},
): ScenarioRun {
  const durationS =
    overrides.durationS === undefined
      ? mode === 'short'
        ? spec.duration.shortS
        : spec.duration.fullS
      : checkNumber('durationS', overrides.durationS, 0.1, 7 * 24 * 3600);
  const seed =
    overrides.seed === undefined ? spec.seed : checkInteger('seed', overrides.seed, 0, 2 ** 32 - 1);
  const rateFactor =
    overrides.rate === undefined ? 1 : rateFactorOf(spec, checkNumber('rate', overrides.rate, 0, 1e9));
  return {
    config: toLoadTestConfig(spec, { mode, seed, durationS, rateFactor }),
    target: toTargetConfig(spec, mode, durationS, seed, overrides),
  };
}

/** The sum of the open groups' base rates; `--rate` sets it, keeping the groups' proportions. */
export function baseRate(spec: ScenarioSpec): number {
  let total = 0;
  for (const group of spec.groups) if (group.profile !== undefined) total += profileBaseRate(group.profile);
  return total;
}

function rateFactorOf(spec: ScenarioSpec, rate: number): number {
  const base = baseRate(spec);
  if (base <= 0) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`rate\` to apply to an open-model profile, but scenario "${spec.name}" has none with a base rate above 0`,
    );
  }
  if (rate <= 0) {
    throw new TierVecError(ErrorCode.INVALID_ARGUMENT, `Expected \`rate\` to be above 0, got ${rate}`);
  }
  return rate / base;
}

function toTargetConfig(
  spec: ScenarioSpec,
  mode: ScenarioMode,
  durationS: number,
  seed: number,
  overrides: ScenarioOverrides,
): TiervecTargetConfig {
  const { faults, shortTiering, shortSegmentVectorsMax, background, ...target } = spec.target;
  const seconds = (pct: number) => (pct / 100) * durationS;
  const { shortVectors, ...data } = spec.data;
  data.vectors =
    overrides.vectors === undefined
      ? mode === 'short'
        ? shortVectors
        : spec.data.vectors
      : checkInteger('vectors', overrides.vectors, 0, 100_000_000);
  const groupTenants: Record<string, string> = {};
  for (const group of spec.groups) if (group.tenant !== undefined) groupTenants[group.name] = group.tenant;
  return {
    name: spec.name,
    seed,
    data,
    search: spec.search,
    ...target,
    objectStore: overrides.objectStore ?? target.objectStore,
    s3: {
      ...target.s3,
      endpoint: overrides.s3Endpoint ?? target.s3.endpoint,
      bucket: overrides.s3Bucket ?? target.s3.bucket,
    },
    tiering: mode === 'short' ? (shortTiering ?? target.tiering) : target.tiering,
    segmentVectorsMax:
      mode === 'short' ? (shortSegmentVectorsMax ?? target.segmentVectorsMax) : target.segmentVectorsMax,
    faults: resolveFaults(faults, durationS, new Rng(seed).fork('faults')),
    background:
      background === undefined
        ? undefined
        : {
            startS: seconds(background.startPct),
            compactEveryS:
              background.compactEveryPct === undefined ? undefined : seconds(background.compactEveryPct),
            tierCycleEveryS:
              background.tierCycleEveryPct === undefined ? undefined : seconds(background.tierCycleEveryPct),
          },
    groupTenants,
    limits: targetLimits(spec.criteria),
  };
}

/** The target's criteria from a scenario: `acknowledged_writes_lost_max` and the like, with limits. */
function targetLimits(criteria: CriteriaSpec): TargetLimits {
  const limits: TargetLimits = {};
  for (const key of TARGET_CRITERIA_KEYS) {
    const limit = criteria.limits[key];
    if (limit !== undefined) limits[key] = limit;
  }
  return limits;
}

/** Random partitions are placed by the seed: same seed, same windows. */
function resolveFaults(faults: ScenarioSpec['target']['faults'], durationS: number, rng: Rng): FaultConfig[] {
  const resolved: FaultConfig[] = [];
  for (const fault of faults) {
    if (fault.kind === 'flaky') resolved.push(fault);
    else if (fault.kind === 'partition') {
      resolved.push({
        kind: 'partition',
        startS: (fault.startPct / 100) * durationS,
        lengthS: (fault.lengthPct / 100) * durationS,
        code: fault.code,
      });
    } else {
      const lengthS = (fault.lengthPct / 100) * durationS;
      for (let i = 0; i < fault.count; i++) {
        resolved.push({
          kind: 'partition',
          startS: rng.next() * (durationS - lengthS),
          lengthS,
          code: fault.code,
        });
      }
    }
  }
  return resolved;
}
