/**
 * Reads a scenario's TOML text into a checked `ScenarioSpec`. Every key is read through a
 * `TableReader`, so an unknown key, a value of the wrong type or out of range, mix weights summing to
 * zero, a negative rate or a spike outside the run all fail with SCENARIO_INVALID naming the file,
 * line and key. Nothing here picks a mode or runs anything.
 */

import { parse, TomlError } from 'smol-toml';
import { ErrorCode, TierVecError } from '../../errors.ts';
import { CRITERIA_PRESET_NAMES } from '../criteria.ts';
import { scenarioError } from '../field-check.ts';
import {
  OPERATION_NAMES,
  type OperationName,
  type SearchConfig,
  TARGET_CRITERIA_KEYS,
} from '../targets/tiervec-config.ts';
import { indexTomlLines, type TomlSource } from '../toml-lines.ts';
import {
  ABORT_ON_FAIL_KEY,
  ABORTABLE_CRITERIA_KEYS,
  CRITERIA_SETTING_KEYS,
  FAIL_FAST_SETTING_KEYS,
  LATENCY_CRITERIA_KEYS,
  RUN_CRITERIA_KEYS,
} from './criteria-keys.ts';
import { readProfile } from './read-profile.ts';
import { readTarget } from './read-target.ts';
import type {
  CriteriaSpec,
  CriteriaWindowSpec,
  DataSpec,
  DurationSpec,
  LoadGroupSpec,
  MixSpec,
  ScenarioSpec,
} from './scenario-types.ts';
import { TableReader } from './table-reader.ts';

/** Scenario and group names: short, file-name safe. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const DURATION_S_MAX = 7 * 24 * 3600;
const VECTORS_MAX = 100_000_000;
const IN_FLIGHT_MAX = 100_000;
/** Criteria whose limits have a narrower range than any non-negative number. */
const LIMIT_RANGES: Readonly<Record<string, { min: number; max: number }>> = {
  recall_min: { min: 0, max: 1 },
};

export function readScenario(text: string, file: string): ScenarioSpec {
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0] ?? 'invalid TOML';
      throw new TierVecError(ErrorCode.SCENARIO_INVALID, `${file}:${error.line}: ${reason}`, {
        cause: error,
        details: { file, line: error.line, key: undefined },
      });
    }
    throw error;
  }
  const source: TomlSource = { file, lines: indexTomlLines(text) };
  const root = new TableReader(source, parsed);
  const name = root.string('name');
  if (!NAME_PATTERN.test(name)) {
    throw root.error('name', `expected lowercase letters, digits, '_' or '-' (at most 63), got "${name}"`);
  }
  const spec: ScenarioSpec = {
    file,
    name,
    description: root.string('description'),
    seed: root.number('seed', { integer: true, min: 0, max: 2 ** 32 - 1 }, 1),
    duration: readDuration(root.table('duration', true)),
    groups: readGroups(root),
    data: readData(root.table('data', true)),
    search: readSearch(root.table('search')),
    target: readTarget(root.table('target')),
    criteria: readCriteria(root.table('criteria')),
  };
  root.done();
  checkTenants(root, spec);
  checkRecallSampling(root, spec);
  return spec;
}

function readDuration(table: TableReader): DurationSpec {
  const shortS = table.number('short_s', { above: 0, max: DURATION_S_MAX });
  const fullS = table.number('full_s', { above: 0, max: DURATION_S_MAX });
  const warmupS = table.number('warmup_s', { min: 0 }, 0);
  if (warmupS >= Math.min(shortS, fullS)) {
    throw table.error('warmup_s', `expected less than the shorter duration (${Math.min(shortS, fullS)} s)`);
  }
  const graceS = table.number('grace_s', { min: 0, max: 3600 }, undefined);
  table.done();
  return { shortS, fullS, warmupS, graceS };
}

/** `[load]` + `[mix]` describe one group; `[[group]]` describes several. Not both. */
function readGroups(root: TableReader): LoadGroupSpec[] {
  const hasSingle = root.has('load') || root.has('mix');
  const groupTables = root.tables('group');
  if (groupTables.length > 0) {
    if (hasSingle) {
      throw root.error(
        root.has('load') ? 'load' : 'mix',
        'use either [load] and [mix] or [[group]] tables, not both',
      );
    }
    const groups = groupTables.map((table) =>
      readGroup(table, table.string('name'), table.table('mix', true)),
    );
    const seen = new Set<string>();
    groups.forEach((group, index) => {
      if (seen.has(group.name)) {
        throw (groupTables[index] as TableReader).error('name', `duplicate group name "${group.name}"`);
      }
      seen.add(group.name);
    });
    return groups;
  }
  const load = root.table('load', true);
  return [readGroup(load, 'main', root.table('mix', true))];
}

function readGroup(table: TableReader, name: string, mixTable: TableReader): LoadGroupSpec {
  if (!NAME_PATTERN.test(name)) {
    throw table.error('name', `expected lowercase letters, digits, '_' or '-', got "${name}"`);
  }
  const model = table.choice('model', ['open', 'closed'] as const, 'open');
  checkModelKeys(table, model);
  const group: LoadGroupSpec = {
    name,
    model,
    arrival: table.choice('arrival', ['uniform', 'poisson'] as const, 'uniform'),
    inFlightMax: table.number('in_flight_max', { integer: true, min: 1, max: IN_FLIGHT_MAX }),
    onSaturation: table.choice('on_saturation', ['queue', 'drop'] as const, 'queue'),
    queueMax: table.number('queue_max', { integer: true, min: 0, max: 10_000_000 }, undefined),
    thinkTimeMs: table.number('think_time_ms', { min: 0, max: 3_600_000 }, 0),
    profile: readGroupProfile(table, model),
    mix: readMix(mixTable),
    tenant: table.string('tenant', undefined),
  };
  table.done();
  return group;
}

/** Open groups need an arrival profile; closed groups (clients in a loop) have none. */
function readGroupProfile(table: TableReader, model: 'open' | 'closed'): LoadGroupSpec['profile'] {
  return model === 'open' ? readProfile(table.table('profile', true)) : undefined;
}

const OPEN_ONLY_KEYS = ['arrival', 'on_saturation', 'queue_max', 'profile'];

/** Keys that mean something for one model only are rejected in the other, not ignored. */
function checkModelKeys(table: TableReader, model: 'open' | 'closed'): void {
  const misplaced = model === 'open' ? ['think_time_ms'] : OPEN_ONLY_KEYS;
  for (const key of misplaced) {
    if (table.has(key)) {
      throw table.error(
        key,
        `applies to the ${model === 'open' ? 'closed' : 'open'} model only; this group is ${model}`,
      );
    }
  }
  if (table.has('queue_max') && table.raw('on_saturation') === 'drop') {
    throw table.error('queue_max', 'applies only when on_saturation is "queue"');
  }
}

function readMix(table: TableReader): MixSpec {
  const mix: MixSpec = {};
  let total = 0;
  for (const key of table.keys()) {
    if (!(OPERATION_NAMES as readonly string[]).includes(key)) continue;
    const weight = table.number(key, { min: 0 });
    mix[key as OperationName] = weight;
    total += weight;
  }
  table.done();
  if (total <= 0) {
    const first = table.keys()[0];
    throw table.error(first, `expected operation weights summing to more than 0, got ${total}`);
  }
  return mix;
}

function readData(table: TableReader): DataSpec {
  const vectors = table.number('vectors', { integer: true, min: 0, max: VECTORS_MAX });
  const data: DataSpec = {
    vectors,
    shortVectors: table.number('short_vectors', { integer: true, min: 0, max: VECTORS_MAX }, vectors),
    dimension: table.number('dimension', { integer: true, min: 1, max: 4096 }),
    distribution: table.choice('distribution', ['uniform', 'clustered'] as const, 'clustered'),
    clusters: table.number('clusters', { integer: true, min: 1, max: 100_000 }, 32),
    metric: table.choice('metric', ['cosine', 'l2', 'ip'] as const, 'cosine'),
    categories: table.number('categories', { integer: true, min: 1, max: 10_000 }, 8),
  };
  table.done();
  return data;
}

function readSearch(table: TableReader | undefined): SearchConfig {
  if (table === undefined) return { kMin: 10, kMax: 10, filterRatio: 0, ef: undefined };
  const k = table.number('k', { integer: true, min: 1, max: 10_000 }, undefined);
  const kMin = table.number('k_min', { integer: true, min: 1, max: 10_000 }, k ?? 10);
  const kMax = table.number('k_max', { integer: true, min: 1, max: 10_000 }, k ?? kMin);
  if (kMax < kMin) throw table.error('k_max', `expected at least k_min (${kMin}), got ${kMax}`);
  if (k !== undefined && (table.has('k_min') || table.has('k_max'))) {
    throw table.error('k', 'set either k or k_min/k_max, not both');
  }
  const search: SearchConfig = {
    kMin,
    kMax,
    filterRatio: table.number('filter_ratio', { min: 0, max: 1 }, 0),
    ef: table.number('ef', { integer: true, min: 1, max: 10_000 }, undefined),
  };
  const ratio = table.number('recall_sample_ratio', { above: 0, max: 1 }, undefined);
  if (ratio !== undefined) search.recallSampleRatio = ratio;
  const samplesMax = table.number('recall_samples_max', { integer: true, min: 1, max: 10_000 }, undefined);
  if (samplesMax !== undefined) search.recallSamplesMax = samplesMax;
  table.done();
  return search;
}

/** `[criteria]`: a preset, limits, per-operation tables and `[[criteria.window]]` tables. */
export function readCriteria(table: TableReader | undefined): CriteriaSpec {
  const criteria: CriteriaSpec = { preset: undefined, limits: {}, settings: {}, operations: {}, windows: [] };
  if (table === undefined) return criteria;
  criteria.preset = table.has('preset') ? table.choice('preset', CRITERIA_PRESET_NAMES) : undefined;
  const limits: readonly string[] = [...RUN_CRITERIA_KEYS, ...TARGET_CRITERIA_KEYS];
  for (const key of table.keys()) {
    if (limits.includes(key)) criteria.limits[key] = table.number(key, LIMIT_RANGES[key] ?? { min: 0 });
    else if (key === ABORT_ON_FAIL_KEY) criteria.abortOnFail = table.strings(key, ABORTABLE_CRITERIA_KEYS);
    else if ((FAIL_FAST_SETTING_KEYS as readonly string[]).includes(key))
      criteria.settings[key] = table.number(key, { min: 0 });
    else if ((CRITERIA_SETTING_KEYS as readonly string[]).includes(key)) {
      criteria.settings[key] = table.number(key, key.endsWith('_pct') ? { min: 0, max: 100 } : { above: 0 });
    } else if ((OPERATION_NAMES as readonly string[]).includes(key)) {
      const opTable = table.table(key, true);
      if (opTable.has(ABORT_ON_FAIL_KEY)) {
        criteria.operationsAbortOnFail ??= {};
        criteria.operationsAbortOnFail[key as OperationName] = opTable.strings(
          ABORT_ON_FAIL_KEY,
          LATENCY_CRITERIA_KEYS,
        );
      }
      criteria.operations[key as OperationName] = readLatencyLimits(opTable, true);
    }
  }
  criteria.windows = table.tables('window').map(readWindow);
  table.done();
  return criteria;
}

function readLatencyLimits(table: TableReader, finish: boolean): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const key of table.keys()) {
    if ((LATENCY_CRITERIA_KEYS as readonly string[]).includes(key))
      limits[key] = table.number(key, { min: 0 });
  }
  if (finish) table.done();
  return limits;
}

function readWindow(table: TableReader): CriteriaWindowSpec {
  const during = table.has('during') ? table.choice('during', ['spike'] as const) : undefined;
  const startPct = table.number('start_pct', { min: 0, max: 100 }, undefined);
  const endPct = table.number('end_pct', { above: 0, max: 100 }, undefined);
  if (during === undefined && (startPct === undefined || endPct === undefined)) {
    throw table.error(
      startPct === undefined ? 'start_pct' : 'end_pct',
      'missing; a window needs `during = "spike"` or start_pct and end_pct',
    );
  }
  if (during !== undefined && (startPct !== undefined || endPct !== undefined)) {
    throw table.error('during', 'set either during or start_pct/end_pct, not both');
  }
  if (startPct !== undefined && endPct !== undefined && endPct <= startPct) {
    throw table.error('end_pct', `expected more than start_pct (${startPct}), got ${endPct}`);
  }
  const window: CriteriaWindowSpec = {
    name: table.string('name', undefined),
    during,
    startPct,
    endPct,
    operation: table.has('operation') ? table.choice('operation', OPERATION_NAMES) : undefined,
    limits: readLatencyLimits(table, false),
  };
  if (table.has(ABORT_ON_FAIL_KEY))
    window.abortOnFail = table.strings(ABORT_ON_FAIL_KEY, LATENCY_CRITERIA_KEYS);
  table.done();
  return window;
}

/** `[search] recall_sample_ratio` and `recall_samples_max` tune the `recall_min` criterion: not without it. */
function checkRecallSampling(root: TableReader, spec: ScenarioSpec): void {
  if (spec.criteria.limits.recall_min !== undefined) return;
  for (const [key, value] of [
    ['recall_sample_ratio', spec.search.recallSampleRatio],
    ['recall_samples_max', spec.search.recallSamplesMax],
  ] as const) {
    if (value === undefined) continue;
    throw scenarioError(['search', key], 'applies only when [criteria] sets recall_min', {
      source: root.source,
    });
  }
}

/** A group's `tenant` must name a tenant declared under `[[target.tenant]]`. */
function checkTenants(root: TableReader, spec: ScenarioSpec): void {
  const declared = new Set(spec.target.tenants.map((tenant) => tenant.name));
  spec.groups.forEach((group, index) => {
    if (group.tenant !== undefined && !declared.has(group.tenant)) {
      const known = [...declared].map((name) => `"${name}"`).join(', ') || 'none';
      throw scenarioError(
        ['group', index, 'tenant'],
        `names tenant "${group.tenant}", which no [[target.tenant]] declares (declared: ${known})`,
        { source: root.source },
      );
    }
  });
}
