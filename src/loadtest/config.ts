/**
 * The configuration of one load-test run, its defaults, and its validation. The shape follows the
 * scenario files key for key (`in_flight_max` ↔ `inFlightMax`, `[load.profile]` ↔ `load.profile`,
 * `[[group]]` ↔ `groups`), so a scenario loader only renames keys. Validation throws SCENARIO_INVALID
 * naming the field (`details.field` holds its path) and resolves every fraction of the duration to
 * seconds; nothing runs here.
 */

import { Rng, randomSeed } from '../random.ts';
import { ARRIVAL_PROCESSES, type ArrivalProcess } from './arrivals.ts';
import { type CriteriaConfig, type ResolvedCriteria, resolveCriteria } from './criteria.ts';
import {
  enumField,
  fieldError,
  numberField,
  objectField,
  optionalNumberField,
  rejectUnknownKeys,
  stringField,
} from './field-check.ts';
import type { Profile, ProfileSpec } from './profile-spec.ts';
import { createProfile } from './profiles.ts';
import { createMix } from './workload.ts';

export const LOADTEST_DEFAULTS = Object.freeze({
  /** Seconds at the start excluded from the summary and the criteria. */
  warmupS: 0,
  /** Seconds in-flight and queued operations get to finish after the arrival window; then cut off. */
  gracePeriodS: 5,
  /** Seconds between plain progress lines when the console is not a TTY. */
  progressIntervalS: 10,
  model: 'open' as LoadModel,
  arrival: 'uniform' as ArrivalProcess,
  /** Open model: concurrency cap. Closed model: number of clients. */
  inFlightMax: 10,
  onSaturation: 'queue' as SaturationPolicy,
  /** Open model, `queue`: arrivals that may wait for a free slot; beyond, they are dropped. */
  queueLengthMax: 100_000,
  /** Closed model: pause between a client's operations, in ms. */
  thinkTimeMs: 0,
  /**
   * Open model: poll the event loop (instead of sleeping) when the next arrival is this close, in ms.
   * Polling burns CPU, which the run's CPU figures would count; the wake-up thread is precise enough.
   */
  spinMs: 0,
  /**
   * Open model: shortest sleep between arrivals, in ms. Above 1/sleepMinMs arrivals per second one
   * wake-up serves several arrivals, each up to this much late, for far fewer wake-ups (each costs
   * tens of microseconds of CPU, which the run's CPU figures would count).
   */
  sleepMinMs: 0.2,
  /**
   * Open model: how the scheduler sleeps between arrivals on real time. `thread`: a worker thread
   * waits with microsecond resolution (Node's timer as a backup); `timers`: Node's timers only
   * (millisecond resolution, fewest wake-ups).
   */
  wakeup: 'thread' as WakeupKind,
  /** Open model: arrivals admitted per event-loop turn before yielding. */
  batchMax: 1_000,
  groupName: 'default',
});

/** Longest run accepted, in seconds (7 days). */
export const DURATION_S_MAX = 7 * 86_400;
export const IN_FLIGHT_MAX_LIMIT = 1_000_000;
export const QUEUE_LENGTH_MAX_LIMIT = 10_000_000;
export const GROUPS_MAX = 32;

export type LoadModel = 'open' | 'closed';
export type WakeupKind = 'thread' | 'timers';
export type SaturationPolicy = 'queue' | 'drop';

/** `[load]` of a scenario: how arrivals are made. */
export interface LoadConfig {
  /** @default 'open' */
  model?: LoadModel;
  /** Open model only. @default 'uniform' */
  arrival?: ArrivalProcess;
  /** Open model: concurrency cap; closed model: number of clients. @default 10 */
  inFlightMax?: number;
  /** Open model only. @default 'queue' */
  onSaturation?: SaturationPolicy;
  /** Open model with `queue` only. @default 100000 */
  queueLengthMax?: number;
  /** Closed model only, in ms. @default 0 */
  thinkTimeMs?: number;
  /** Open model: the arrival-rate profile (required). */
  profile?: ProfileSpec;
}

/** `[[group]]` of a scenario: a load group with its own model, profile and mix. */
export interface LoadGroupConfig extends LoadConfig {
  name: string;
  mix: Record<string, number>;
}

export interface SchedulerTuning {
  /** @default 0 */
  spinMs?: number;
  /** @default 0.2 */
  sleepMinMs?: number;
  /** @default 'thread' */
  wakeup?: WakeupKind;
  /** @default 1000 */
  batchMax?: number;
}

export interface LoadTestConfig {
  /** The scenario's name. */
  name: string;
  description?: string;
  /** Which durations were chosen (`short`, `full`, …); only reported. @default 'custom' */
  mode?: string;
  /** Seed of every random choice; a random one is picked (and reported) when absent. */
  seed?: number;
  durationS: number;
  /** @default 0 */
  warmupS?: number;
  /** @default 5 */
  gracePeriodS?: number;
  /** @default 10 */
  progressIntervalS?: number;
  /** One load group: give `load` and `mix`, or `groups`. */
  load?: LoadConfig;
  mix?: Record<string, number>;
  groups?: LoadGroupConfig[];
  criteria?: CriteriaConfig;
  scheduler?: SchedulerTuning;
}

export interface ResolvedGroup {
  name: string;
  model: LoadModel;
  arrival: ArrivalProcess;
  inFlightMax: number;
  onSaturation: SaturationPolicy;
  queueLengthMax: number;
  thinkTimeMs: number;
  profile: Profile | undefined;
  mix: Record<string, number>;
  /** Operations with a weight above 0. */
  operations: readonly string[];
  /** Path of the group in the configuration, for error messages. */
  field: string;
}

export interface ResolvedLoadTestConfig {
  name: string;
  description: string;
  mode: string;
  seed: number;
  durationS: number;
  warmupS: number;
  gracePeriodS: number;
  progressIntervalS: number;
  groups: ResolvedGroup[];
  criteria: ResolvedCriteria;
  spinMs: number;
  sleepMinMs: number;
  wakeup: WakeupKind;
  batchMax: number;
}

const TOP_KEYS = [
  'name',
  'description',
  'mode',
  'seed',
  'durationS',
  'warmupS',
  'gracePeriodS',
  'progressIntervalS',
  'load',
  'mix',
  'groups',
  'criteria',
  'scheduler',
];
const LOAD_KEYS = [
  'model',
  'arrival',
  'inFlightMax',
  'onSaturation',
  'queueLengthMax',
  'thinkTimeMs',
  'profile',
];

/** Validates a configuration and resolves defaults, profiles and criteria for one run. */
export function resolveLoadTestConfig(config: LoadTestConfig): ResolvedLoadTestConfig {
  const raw = objectField('config', config);
  rejectUnknownKeys('', raw, TOP_KEYS);
  const name = stringField('name', raw.name);
  const durationS = numberField('durationS', raw.durationS, 0.001, DURATION_S_MAX);
  const warmupS = optionalNumberField('warmupS', raw.warmupS, 0, durationS, LOADTEST_DEFAULTS.warmupS);
  if (warmupS >= durationS) throw fieldError('warmupS', `less than \`durationS\` (${durationS})`, warmupS);
  const seed =
    raw.seed === undefined ? randomSeed() : numberField('seed', raw.seed, 0, 2 ** 32 - 1, { integer: true });
  const groups = resolveGroups(raw, durationS, seed);
  const spike = groups.find((g) => g.profile?.spike !== undefined)?.profile?.spike;
  const criteria = resolveCriteria(raw.criteria, { durationS, warmupS, spike });
  const known = new Set(groups.flatMap((g) => g.operations));
  for (const operation of Object.keys(criteria.operations)) {
    if (!known.has(operation)) {
      throw fieldError(`criteria.operations.${operation}`, 'an operation some mix runs', operation);
    }
  }
  criteria.windows.forEach((window, i) => {
    if (window.operation !== null && !known.has(window.operation)) {
      throw fieldError(`criteria.windows[${i}].operation`, 'an operation some mix runs', window.operation);
    }
  });
  const scheduler = raw.scheduler === undefined ? {} : objectField('scheduler', raw.scheduler);
  rejectUnknownKeys('scheduler', scheduler, ['spinMs', 'sleepMinMs', 'wakeup', 'batchMax']);
  return {
    name,
    description: raw.description === undefined ? '' : stringField('description', raw.description, 2_000),
    mode: raw.mode === undefined ? 'custom' : stringField('mode', raw.mode, 50),
    seed,
    durationS,
    warmupS,
    gracePeriodS: optionalNumberField(
      'gracePeriodS',
      raw.gracePeriodS,
      0,
      3_600,
      LOADTEST_DEFAULTS.gracePeriodS,
    ),
    progressIntervalS: optionalNumberField(
      'progressIntervalS',
      raw.progressIntervalS,
      1,
      86_400,
      LOADTEST_DEFAULTS.progressIntervalS,
    ),
    groups,
    criteria,
    spinMs: optionalNumberField('scheduler.spinMs', scheduler.spinMs, 0, 100, LOADTEST_DEFAULTS.spinMs),
    sleepMinMs: optionalNumberField(
      'scheduler.sleepMinMs',
      scheduler.sleepMinMs,
      0,
      100,
      LOADTEST_DEFAULTS.sleepMinMs,
    ),
    wakeup: enumField('scheduler.wakeup', scheduler.wakeup ?? LOADTEST_DEFAULTS.wakeup, ['thread', 'timers']),
    batchMax: optionalNumberField(
      'scheduler.batchMax',
      scheduler.batchMax,
      1,
      1_000_000,
      LOADTEST_DEFAULTS.batchMax,
      {
        integer: true,
      },
    ),
  };
}

function resolveGroups(raw: Record<string, unknown>, durationS: number, seed: number): ResolvedGroup[] {
  if (raw.groups !== undefined) {
    if (raw.load !== undefined || raw.mix !== undefined) {
      throw fieldError('groups', 'absent when `load` or `mix` is given (use one form)', raw.groups);
    }
    if (!Array.isArray(raw.groups) || raw.groups.length === 0 || raw.groups.length > GROUPS_MAX) {
      throw fieldError('groups', `a list of 1 to ${GROUPS_MAX} load groups`, raw.groups);
    }
    const names = new Set<string>();
    return raw.groups.map((item, i) => {
      const field = `groups[${i}]`;
      const group = objectField(field, item);
      rejectUnknownKeys(field, group, [...LOAD_KEYS, 'name', 'mix']);
      const name = stringField(`${field}.name`, group.name, 64);
      if (names.has(name)) throw fieldError(`${field}.name`, 'a name no other group has', name);
      names.add(name);
      return resolveGroup(name, group, group.mix, field, `${field}.mix`, durationS, seed);
    });
  }
  const load = raw.load === undefined ? {} : objectField('load', raw.load);
  rejectUnknownKeys('load', load, LOAD_KEYS);
  if (raw.mix === undefined) throw fieldError('mix', 'an object of operation weights', raw.mix);
  return [resolveGroup(LOADTEST_DEFAULTS.groupName, load, raw.mix, 'load', 'mix', durationS, seed)];
}

function resolveGroup(
  name: string,
  load: Record<string, unknown>,
  mixRaw: unknown,
  field: string,
  mixField: string,
  durationS: number,
  seed: number,
): ResolvedGroup {
  const model = enumField(`${field}.model`, load.model ?? LOADTEST_DEFAULTS.model, ['open', 'closed']);
  const onlyFor = (key: string, wanted: LoadModel) => {
    if (load[key] !== undefined && model !== wanted) {
      throw fieldError(`${field}.${key}`, `absent: it applies to the ${wanted} model only`, load[key]);
    }
  };
  for (const key of ['arrival', 'onSaturation', 'queueLengthMax', 'profile']) onlyFor(key, 'open');
  onlyFor('thinkTimeMs', 'closed');
  const onSaturation = enumField(
    `${field}.onSaturation`,
    load.onSaturation ?? LOADTEST_DEFAULTS.onSaturation,
    ['queue', 'drop'],
  );
  if (load.queueLengthMax !== undefined && onSaturation === 'drop') {
    throw fieldError(`${field}.queueLengthMax`, 'absent when `onSaturation` is "drop"', load.queueLengthMax);
  }
  let profile: Profile | undefined;
  if (model === 'open') {
    if (load.profile === undefined)
      throw fieldError(`${field}.profile`, 'a rate profile for the open model', undefined);
    profile = createProfile(load.profile, {
      durationS,
      seed: new Rng(seed).fork(`profile:${name}`).seed,
      field: `${field}.profile`,
    });
  }
  const mix = createMix(mixRaw, new Rng(0), mixField);
  return {
    name,
    model,
    arrival: enumField(`${field}.arrival`, load.arrival ?? LOADTEST_DEFAULTS.arrival, ARRIVAL_PROCESSES),
    inFlightMax: optionalNumberField(
      `${field}.inFlightMax`,
      load.inFlightMax,
      1,
      IN_FLIGHT_MAX_LIMIT,
      LOADTEST_DEFAULTS.inFlightMax,
      { integer: true },
    ),
    onSaturation,
    queueLengthMax:
      onSaturation === 'drop'
        ? 0
        : optionalNumberField(
            `${field}.queueLengthMax`,
            load.queueLengthMax,
            0,
            QUEUE_LENGTH_MAX_LIMIT,
            LOADTEST_DEFAULTS.queueLengthMax,
            { integer: true },
          ),
    thinkTimeMs: optionalNumberField(
      `${field}.thinkTimeMs`,
      load.thinkTimeMs,
      0,
      3_600_000,
      LOADTEST_DEFAULTS.thinkTimeMs,
    ),
    profile,
    mix: Object.fromEntries(mix.operations.map((op, i) => [op, mix.shares[i] as number])),
    operations: mix.operations,
    field,
  };
}
