import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { resolveLoadTestConfig } from '../../../src/loadtest/config.ts';
import { resolveCriteria } from '../../../src/loadtest/criteria.ts';
import {
  camelCaseKey,
  LATENCY_CRITERIA_KEYS,
  RUN_CRITERIA_KEYS,
} from '../../../src/loadtest/scenario/criteria-keys.ts';
import {
  listScenarios,
  loadScenario,
  readScenarioFile,
} from '../../../src/loadtest/scenario/load-scenario.ts';
import { readScenario } from '../../../src/loadtest/scenario/read-scenario.ts';

/** The scenarios issue 7 requires the package to ship. */
const REQUIRED = [
  'smoke',
  'baseline',
  'sustained',
  'spike',
  'tiered',
  'multi_tenant',
  'failure_injection',
  'chaos',
  'large_dataset',
  'consolidation',
  'write_heavy',
  'read_heavy',
  'mixed_balanced',
  'burst',
  'embeddings_search',
  'soak',
  'replicas',
];

const VALID = `name = "tiny"
description = "a valid scenario"
seed = 3

[duration]
short_s = 10
full_s = 600
warmup_s = 1

[load]
model = "open"
in_flight_max = 4

[load.profile]
kind = "spike"
rate = 10
spike_rate = 50
start_pct = 20
length_pct = 30

[mix]
search = 3
insert = 1

[data]
vectors = 1000
short_vectors = 100
dimension = 8
`;

/** Replaces one line of VALID (found by its text) with another. */
function edit(find: string, replace: string): string {
  if (!VALID.includes(find)) throw new Error(`test fixture has no ${find}`);
  return VALID.replace(find, replace);
}

function expectInvalid(text: string, file: string): string {
  try {
    readScenario(text, file);
  } catch (error) {
    expect(isTierVecError(error, ErrorCode.SCENARIO_INVALID)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected SCENARIO_INVALID');
}

describe('shipped scenarios', () => {
  it('ships every required scenario, each loading and validating in both modes', async () => {
    const listed = await listScenarios();
    expect(listed.map((scenario) => scenario.name)).toEqual(expect.arrayContaining(REQUIRED));
    for (const { name } of listed) {
      for (const mode of ['short', 'full'] as const) {
        const { config } = await loadScenario(name, { mode });
        expect(config.name).toBe(name);
        expect(config.durationS).toBeGreaterThan(0);
        expect(resolveLoadTestConfig(config).groups.length).toBeGreaterThan(0);
        expect(config.warmupS).toBeLessThan(config.durationS);
      }
    }
  });

  it('keeps short runs short (10 to 15 s) and full runs at production length', async () => {
    const byName = new Map((await listScenarios()).map((scenario) => [scenario.name, scenario]));
    for (const name of REQUIRED) {
      const scenario = byName.get(name);
      expect(scenario?.shortS, name).toBeLessThanOrEqual(15);
    }
    expect(byName.get('baseline')?.fullS).toBeGreaterThanOrEqual(1800);
    expect(byName.get('sustained')?.fullS).toBeGreaterThanOrEqual(1800);
    expect(byName.get('spike')?.fullS).toBe(900);
    expect(byName.get('tiered')?.fullS).toBe(2700);
    expect(byName.get('soak')?.fullS).toBe(7200);
  });

  it('scales datasets down in short mode', async () => {
    const short = await loadScenario('large_dataset', { mode: 'short' });
    const full = await loadScenario('large_dataset', { mode: 'full' });
    expect(full.target.data.vectors).toBe(10_000_000);
    expect(short.target.data.vectors).toBeLessThan(full.target.data.vectors);
  });
});

describe('readScenario rejects broken files with file, line and key', () => {
  const cases: Array<{ name: string; text: string; where: string }> = [
    {
      name: 'an unknown top-level key',
      text: edit('seed = 3', 'seed = 3\nsede = 4'),
      where: 'tiny.toml:4: sede:',
    },
    {
      name: 'an unknown key in a table',
      text: edit('in_flight_max = 4', 'in_flight_max = 4\nin_flight_mx = 5'),
      where: 'tiny.toml:13: load.in_flight_mx: unknown key',
    },
    {
      name: 'a wrong type',
      text: edit('in_flight_max = 4', 'in_flight_max = "four"'),
      where: 'tiny.toml:12: load.in_flight_max: expected an integer',
    },
    {
      name: 'mix weights summing to 0',
      text: edit('search = 3\ninsert = 1', 'search = 0\ninsert = 0'),
      where: 'tiny.toml:22: mix.search: expected operation weights summing to more than 0',
    },
    {
      name: 'a negative weight',
      text: edit('insert = 1', 'insert = -1'),
      where: 'tiny.toml:23: mix.insert: expected a number >= 0',
    },
    {
      name: 'an unknown operation in the mix',
      text: edit('insert = 1', 'upload = 1'),
      where: 'tiny.toml:23: mix.upload: unknown key',
    },
    {
      name: 'a negative rate',
      text: edit('rate = 10', 'rate = -10'),
      where: 'tiny.toml:16: load.profile.rate: expected a number >= 0',
    },
    {
      name: 'a spike outside the run',
      text: edit('start_pct = 20', 'start_pct = 90'),
      where: 'tiny.toml:19: load.profile.length_pct: the spike runs from 90% to 120%',
    },
    {
      name: 'an unknown profile kind',
      text: edit('kind = "spike"', 'kind = "spiky"'),
      where: 'tiny.toml:15: load.profile.kind: expected one of',
    },
    {
      name: 'a missing section',
      text: edit('[data]', '[dataset]'),
      where: 'tiny.toml: data: missing',
    },
    {
      name: 'a zero duration',
      text: edit('short_s = 10', 'short_s = 0'),
      where: 'tiny.toml:6: duration.short_s:',
    },
    {
      name: 'an unknown criterion',
      text: `${VALID}\n[criteria]\nlatency_p95 = 3\n`,
      where: 'tiny.toml:31: criteria.latency_p95: unknown key',
    },
    {
      name: 'an unknown key inside a [[group]]',
      text: `${VALID.slice(0, VALID.indexOf('[load]'))}[data]\nvectors = 1\ndimension = 2\n[[group]]\nname = "a"\nin_flight_max = 1\nrate = 3\n[group.profile]\nkind = "constant"\nrate = 1\n[group.mix]\nsearch = 1\n`,
      where: 'tiny.toml:16: group[0].rate: unknown key',
    },
    {
      name: 'a key of the other load model',
      text: edit('in_flight_max = 4', 'in_flight_max = 4\nthink_time_ms = 5'),
      where: 'tiny.toml:13: load.think_time_ms: applies to the closed model only',
    },
    { name: 'broken TOML syntax', text: edit('seed = 3', 'seed = = 3'), where: 'tiny.toml:3:' },
  ];

  for (const { name, text, where } of cases) {
    it(`rejects ${name}`, () => {
      expect(expectInvalid(text, 'tiny.toml')).toContain(where);
    });
  }

  it('accepts the valid fixture the broken ones are made from', () => {
    const spec = readScenario(VALID, 'tiny.toml');
    expect(spec.groups[0]?.profile).toEqual({
      kind: 'spike',
      rate: 10,
      spikeRate: 50,
      startFraction: 0.2,
      lengthFraction: 0.3,
    });
    expect(spec.groups[0]?.mix).toEqual({ search: 3, insert: 1 });
  });

  it('names the file it could not find and lists the shipped ones', async () => {
    await expect(readScenarioFile('no_such_scenario')).rejects.toMatchObject({
      code: ErrorCode.SCENARIO_INVALID,
      message: expect.stringMatching(/no_such_scenario\.toml: no such scenario file \(shipped: .*smoke/),
    });
  });
});

describe('resolveScenario', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tiervec-scenario-'));
    await writeFile(path.join(dir, 'tiny.toml'), VALID);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('places the spike by percentages of the chosen duration', async () => {
    const short = await loadScenario('tiny', { scenariosDir: dir, mode: 'short' });
    const full = await loadScenario('tiny', { scenariosDir: dir, mode: 'full' });
    expect(resolveLoadTestConfig(short.config).groups[0]?.profile?.spike).toEqual({ startS: 2, endS: 5 });
    expect(resolveLoadTestConfig(full.config).groups[0]?.profile?.spike).toEqual({ startS: 120, endS: 300 });
    expect(short.target.data.vectors).toBe(100);
    expect(full.target.data.vectors).toBe(1000);
  });

  it('applies command-line overrides: duration, rate (scaling the whole profile) and seed', async () => {
    const scenario = await loadScenario('tiny', {
      scenariosDir: dir,
      overrides: { durationS: 20, rate: 40, seed: 9 },
    });
    expect(scenario.config.durationS).toBe(20);
    expect(scenario.config.seed).toBe(9);
    expect(scenario.target.seed).toBe(9);
    expect(scenario.config.load?.profile).toEqual({
      kind: 'spike',
      rate: 40,
      spikeRate: 200,
      startFraction: 0.2,
      lengthFraction: 0.3,
    });
    expect(resolveLoadTestConfig(scenario.config).groups[0]?.profile?.spike).toEqual({ startS: 4, endS: 10 });
  });

  it('rejects a rate override of 0 with INVALID_ARGUMENT naming `rate`', async () => {
    await expect(loadScenario('tiny', { scenariosDir: dir, overrides: { rate: 0 } })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining('`rate`'),
    });
  });

  it("reports the engine's own objections with file, line and key", async () => {
    await writeFile(
      path.join(dir, 'unused.toml'),
      `${VALID}\n[criteria]\n[criteria.delete]\nerror_rate_max = 0\n`,
    );
    await expect(readScenarioFile('unused', dir)).rejects.toMatchObject({
      code: ErrorCode.SCENARIO_INVALID,
      message: expect.stringContaining(
        'unused.toml:31: criteria.delete: Expected `criteria.operations.delete`',
      ),
    });
  });

  it('reads the uploader settings a scenario gives the store', async () => {
    const failures = await loadScenario('failure_injection');
    expect(failures.target.uploads).toEqual({
      concurrencyMax: undefined,
      attemptsMax: 4,
      delayMsBase: undefined,
      delayMsMax: undefined,
      breakerFailuresMax: undefined,
      breakerCooldownMs: 2000,
    });
    expect(failures.target.durability).toBe('object-store');
  });

  it('places random partitions by the seed: same seed, same windows', async () => {
    const a = await loadScenario('chaos', { mode: 'full' });
    const b = await loadScenario('chaos', { mode: 'full' });
    const c = await loadScenario('chaos', { mode: 'full', overrides: { seed: 99 } });
    const partitions = a.target.faults.filter((fault) => fault.kind === 'partition');
    expect(partitions.length).toBe(2);
    expect(b.target.faults).toEqual(a.target.faults);
    expect(c.target.faults).not.toEqual(a.target.faults);
    for (const fault of partitions) {
      if (fault.kind !== 'partition') continue;
      expect(fault.startS + fault.lengthS).toBeLessThanOrEqual(a.config.durationS);
    }
  });
});

describe('criteria keys', () => {
  it('every run and operation key of a scenario file is a limit the engine evaluates', () => {
    const context = { durationS: 100, warmupS: 0, spike: { startS: 10, endS: 20 } };
    for (const key of RUN_CRITERIA_KEYS) {
      const resolved = resolveCriteria({ preset: 'none', [camelCaseKey(key)]: 1 }, context);
      expect(Object.keys(resolved.limits), key).toEqual([camelCaseKey(key)]);
    }
    for (const key of LATENCY_CRITERIA_KEYS) {
      const resolved = resolveCriteria(
        { preset: 'none', operations: { search: { [camelCaseKey(key)]: 1 } } },
        context,
      );
      expect(Object.keys(resolved.operations.search ?? {}), key).toEqual([camelCaseKey(key)]);
    }
  });

  it('maps [[criteria.window]] and per-operation tables onto the engine configuration', async () => {
    const spike = await loadScenario('spike', { mode: 'full' });
    const { config } = spike;
    expect(config.criteria?.windows).toEqual([{ during: 'spike', latencyMsP95Max: 100 }]);
    expect(config.criteria?.recoveryFactorMax).toBe(3);
    const tenants = (await loadScenario('multi_tenant')).config;
    expect(tenants.criteria?.operations).toEqual({ search: { errorRateMax: 0 } });
    expect(tenants.criteria).not.toHaveProperty('quietTenantErrorRateMax');
    expect(tenants.groups?.map((group) => group.name)).toEqual(['alpha', 'beta', 'gamma', 'noisy']);
  });
});
