import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { readScenarioFile } from '../../../src/loadtest/scenario/load-scenario.ts';
import { readScenario } from '../../../src/loadtest/scenario/read-scenario.ts';
import { resolveScenario } from '../../../src/loadtest/scenario/resolve-scenario.ts';

const BASE = `name = "ff"
description = "fail fast"
seed = 3

[duration]
short_s = 10
full_s = 600

[load]
in_flight_max = 4

[load.profile]
kind = "constant"
rate = 10

[mix]
search = 1

[data]
vectors = 100
dimension = 8
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-fail-fast-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scenario files: abort_on_fail and abort_on_all_errors_s', () => {
  it('carries abort_on_fail, its delay and the all-errors window into the engine config', () => {
    const spec = readScenario(
      `${BASE}\n[criteria]\nlatency_ms_p95_max = 25\nerror_rate_max = 0.01\nabort_on_fail = ["latency_ms_p95_max", "error_rate_max"]\nabort_on_fail_delay_s = 5\nabort_on_all_errors_s = 0\n`,
      'ff.toml',
    );
    const config = resolveScenario(spec, 'short').config;
    expect(config.criteria).toMatchObject({
      abortOnFail: ['latencyMsP95Max', 'errorRateMax'],
      abortOnFailDelayS: 5,
      abortOnAllErrorsS: 0,
    });
  });

  it('carries abort_on_fail of an operation table and of a window into the engine config', () => {
    const spec = readScenario(
      `${BASE}\n[criteria.search]\nlatency_ms_p99_max = 50\nabort_on_fail = ["latency_ms_p99_max"]\n\n[[criteria.window]]\nname = "end"\nstart_pct = 50\nend_pct = 100\nerror_rate_max = 0.1\nabort_on_fail = ["error_rate_max"]\n`,
      'ff.toml',
    );
    // Full mode: short mode scales latency limits for shared machines.
    const criteria = resolveScenario(spec, 'full').config.criteria;
    expect(criteria?.operations?.search).toEqual({ latencyMsP99Max: 50, abortOnFail: ['latencyMsP99Max'] });
    expect(criteria?.windows?.[0]).toMatchObject({ name: 'end', abortOnFail: ['errorRateMax'] });
  });

  it('rejects a criterion abort_on_fail cannot judge live, naming the file and line (SCENARIO_INVALID)', () => {
    try {
      readScenario(`${BASE}\n[criteria]\nabort_on_fail = ["memory_growth_mb_per_min_max"]\n`, 'ff.toml');
      throw new Error('expected SCENARIO_INVALID');
    } catch (error) {
      expect(isTierVecError(error, ErrorCode.SCENARIO_INVALID)).toBe(true);
      expect((error as Error).message).toMatch(/ff\.toml:\d+.*abort_on_fail/);
    }
  });

  it('rejects abort_on_fail naming a criterion without a limit, at load time (SCENARIO_INVALID)', async () => {
    const file = path.join(dir, 'no-limit.toml');
    await writeFile(file, `${BASE}\n[criteria]\npreset = "none"\nabort_on_fail = ["latency_ms_p99_max"]\n`);
    await expect(readScenarioFile(file)).rejects.toMatchObject({
      code: ErrorCode.SCENARIO_INVALID,
      message: expect.stringMatching(/abort_on_fail/),
    });
  });
});
