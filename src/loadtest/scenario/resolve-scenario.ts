/**
 * Turns a checked `ScenarioSpec` into the run one mode asks for: the duration (short, full or the
 * command line's), dataset and segment sizes for that mode, profile and fault positions converted
 * from percentages of the run into seconds, random partitions placed with the scenario's seed, and
 * the command line's overrides (rate, seed, object store) applied. Pure: no I/O, no clock.
 */

import { checkInteger, checkNumber, ErrorCode, TierVecError } from '../../errors.ts';
import { Rng } from '../../random.ts';
import type {
  CriteriaSpec,
  DataSpec,
  LoadGroupSpec,
  ObjectStoreKind,
  ProfileSpec,
  ScenarioMode,
  ScenarioSpec,
  SearchSpec,
  TargetSpec,
  TieringSpec,
} from './scenario-types.ts';

/** A profile with every position in seconds from the start of the run. */
export type ResolvedProfile =
  | { kind: 'constant'; rate: number }
  | { kind: 'ramp'; fromRate: number; toRate: number; durationS: number }
  | { kind: 'stages'; startRate: number; stages: Array<{ durationS: number; rate: number }> }
  | { kind: 'spike'; rate: number; spikeRate: number; startS: number; lengthS: number }
  | { kind: 'periodic'; rate: number; amplitude: number; periodS: number }
  | { kind: 'periodic_burst'; rate: number; burstRate: number; burstLengthS: number; periodS: number }
  | { kind: 'bursty'; rate: number; burstFactor: number; burstProbability: number; intervalS: number }
  | { kind: 'random'; minRate: number; maxRate: number; changeEveryS: number };

export interface ResolvedGroup extends Omit<LoadGroupSpec, 'profile'> {
  profile: ResolvedProfile | undefined;
}

/** A fault window on the mock S3, in seconds from the start of the run. */
export type ResolvedFault =
  | { kind: 'partition'; startS: number; lengthS: number; code: string }
  | { kind: 'flaky'; rate: number; code: string; operations: string[] | undefined };

export interface ResolvedTarget
  extends Omit<TargetSpec, 'faults' | 'shortTiering' | 'shortSegmentVectorsMax'> {
  faults: ResolvedFault[];
  /** When background work starts, seconds from the start of the run. */
  backgroundStartS: number | undefined;
  backgroundCompactEveryS: number | undefined;
  backgroundTierCycleEveryS: number | undefined;
}

export interface ResolvedScenario {
  spec: ScenarioSpec;
  name: string;
  description: string;
  mode: ScenarioMode;
  seed: number;
  durationS: number;
  warmupS: number;
  graceS: number | undefined;
  groups: ResolvedGroup[];
  data: Omit<DataSpec, 'shortVectors'>;
  search: SearchSpec;
  target: ResolvedTarget;
  criteria: CriteriaSpec;
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
): ResolvedScenario {
  const durationS =
    overrides.durationS === undefined
      ? mode === 'short'
        ? spec.duration.shortS
        : spec.duration.fullS
      : checkNumber('durationS', overrides.durationS, 0.1, 7 * 24 * 3600);
  const seed =
    overrides.seed === undefined ? spec.seed : checkInteger('seed', overrides.seed, 0, 2 ** 32 - 1);
  const factor =
    overrides.rate === undefined ? 1 : rateFactor(spec, checkNumber('rate', overrides.rate, 0, 1e9));
  const groups = spec.groups.map((group) => ({
    ...group,
    profile:
      group.profile === undefined
        ? undefined
        : resolveProfile(scaleProfile(group.profile, factor), durationS),
  }));
  const { shortVectors, ...data } = spec.data;
  data.vectors =
    overrides.vectors === undefined
      ? mode === 'short'
        ? shortVectors
        : spec.data.vectors
      : checkInteger('vectors', overrides.vectors, 0, 100_000_000);
  return {
    spec,
    name: spec.name,
    description: spec.description,
    mode,
    seed,
    durationS,
    // A duration shortened on the command line keeps at least three quarters of the run measured.
    warmupS: Math.min(spec.duration.warmupS, durationS / 4),
    graceS: spec.duration.graceS,
    groups,
    data,
    search: spec.search,
    target: resolveTarget(spec.target, mode, durationS, seed, overrides),
    criteria: spec.criteria,
  };
}

/** The sum of the open groups' base rates; `--rate` sets it, keeping the groups' proportions. */
export function baseRate(spec: ScenarioSpec): number {
  let total = 0;
  for (const group of spec.groups) if (group.profile !== undefined) total += profileBaseRate(group.profile);
  return total;
}

function rateFactor(spec: ScenarioSpec, rate: number): number {
  const base = baseRate(spec);
  if (base <= 0) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`rate\` to apply to an open-model profile, but scenario "${spec.name}" has none with a base rate above 0`,
    );
  }
  return rate / base;
}

/** The rate a profile is known by: its steady rate, or its highest for ramps, stages and random. */
export function profileBaseRate(profile: ProfileSpec): number {
  switch (profile.kind) {
    case 'ramp':
      return Math.max(profile.fromRate, profile.toRate);
    case 'stages':
      return Math.max(profile.startRate, ...profile.stages.map((stage) => stage.rate));
    case 'random':
      return profile.maxRate;
    default:
      return profile.rate;
  }
}

export function scaleProfile(profile: ProfileSpec, factor: number): ProfileSpec {
  if (factor === 1) return profile;
  switch (profile.kind) {
    case 'constant':
      return { ...profile, rate: profile.rate * factor };
    case 'ramp':
      return { ...profile, fromRate: profile.fromRate * factor, toRate: profile.toRate * factor };
    case 'stages':
      return {
        ...profile,
        startRate: profile.startRate * factor,
        stages: profile.stages.map((stage) => ({ ...stage, rate: stage.rate * factor })),
      };
    case 'spike':
      return { ...profile, rate: profile.rate * factor, spikeRate: profile.spikeRate * factor };
    case 'periodic':
      return { ...profile, rate: profile.rate * factor, amplitude: profile.amplitude * factor };
    case 'periodic_burst':
      return { ...profile, rate: profile.rate * factor, burstRate: profile.burstRate * factor };
    case 'bursty':
      return { ...profile, rate: profile.rate * factor };
    case 'random':
      return { ...profile, minRate: profile.minRate * factor, maxRate: profile.maxRate * factor };
  }
}

function resolveProfile(profile: ProfileSpec, durationS: number): ResolvedProfile {
  const seconds = (pct: number) => (pct / 100) * durationS;
  switch (profile.kind) {
    case 'constant':
      return profile;
    case 'ramp':
      return {
        kind: 'ramp',
        fromRate: profile.fromRate,
        toRate: profile.toRate,
        durationS: seconds(profile.lengthPct),
      };
    case 'stages':
      return {
        kind: 'stages',
        startRate: profile.startRate,
        stages: profile.stages.map((stage) => ({ durationS: seconds(stage.lengthPct), rate: stage.rate })),
      };
    case 'spike':
      return {
        kind: 'spike',
        rate: profile.rate,
        spikeRate: profile.spikeRate,
        startS: seconds(profile.startPct),
        lengthS: seconds(profile.lengthPct),
      };
    case 'periodic':
      return {
        kind: 'periodic',
        rate: profile.rate,
        amplitude: profile.amplitude,
        periodS: seconds(profile.periodPct),
      };
    case 'periodic_burst':
      return {
        kind: 'periodic_burst',
        rate: profile.rate,
        burstRate: profile.burstRate,
        burstLengthS: seconds(profile.burstLengthPct),
        periodS: seconds(profile.periodPct),
      };
    case 'bursty':
      return {
        kind: 'bursty',
        rate: profile.rate,
        burstFactor: profile.burstFactor,
        burstProbability: profile.burstProbability,
        intervalS: seconds(profile.intervalPct),
      };
    case 'random':
      return {
        kind: 'random',
        minRate: profile.minRate,
        maxRate: profile.maxRate,
        changeEveryS: seconds(profile.changeEveryPct),
      };
  }
}

function resolveTarget(
  target: TargetSpec,
  mode: ScenarioMode,
  durationS: number,
  seed: number,
  overrides: ScenarioOverrides,
): ResolvedTarget {
  const { faults, shortTiering, shortSegmentVectorsMax, ...rest } = target;
  const seconds = (pct: number) => (pct / 100) * durationS;
  const tiering: TieringSpec | undefined =
    mode === 'short' ? (shortTiering ?? target.tiering) : target.tiering;
  const s3 = {
    ...target.s3,
    endpoint: overrides.s3Endpoint ?? target.s3.endpoint,
    bucket: overrides.s3Bucket ?? target.s3.bucket,
  };
  return {
    ...rest,
    objectStore: overrides.objectStore ?? target.objectStore,
    s3,
    tiering,
    segmentVectorsMax:
      mode === 'short' ? (shortSegmentVectorsMax ?? target.segmentVectorsMax) : target.segmentVectorsMax,
    faults: resolveFaults(faults, durationS, new Rng(seed).fork('faults')),
    backgroundStartS: target.background === undefined ? undefined : seconds(target.background.startPct),
    backgroundCompactEveryS:
      target.background?.compactEveryPct === undefined
        ? undefined
        : seconds(target.background.compactEveryPct),
    backgroundTierCycleEveryS:
      target.background?.tierCycleEveryPct === undefined
        ? undefined
        : seconds(target.background.tierCycleEveryPct),
  };
}

/** Random partitions are placed by the seed: same seed, same windows. */
function resolveFaults(faults: TargetSpec['faults'], durationS: number, rng: Rng): ResolvedFault[] {
  const resolved: ResolvedFault[] = [];
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
