import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { ErrorCode } from '../../src/errors.ts';
import type { OperationContext } from '../../src/loadtest/load-target.ts';
import { loadScenario } from '../../src/loadtest/scenario/load-scenario.ts';
import { readScenario } from '../../src/loadtest/scenario/read-scenario.ts';
import type { ScenarioRun } from '../../src/loadtest/scenario/resolve-scenario.ts';
import { runScenario } from '../../src/loadtest/scenario/run-scenario.ts';
import { IdPool, WriteLedger } from '../../src/loadtest/targets/tiervec-ledger.ts';
import { TiervecTarget } from '../../src/loadtest/targets/tiervec-target.ts';
import { splitByWeight } from '../../src/loadtest/targets/tiervec-workload.ts';
import { Rng } from '../../src/random.ts';

const TENANTS = `name = "tenants"
description = "two tenants, a partition at 50% of the run"
seed = 5
[duration]
short_s = 10
full_s = 20
[[group]]
name = "a"
tenant = "alpha"
in_flight_max = 2
[group.profile]
kind = "constant"
rate = 5
[group.mix]
search = 1
insert = 1
[[group]]
name = "b"
tenant = "beta"
in_flight_max = 2
[group.profile]
kind = "constant"
rate = 5
[group.mix]
search = 1
[data]
vectors = 200
dimension = 8
[target]
verify_acknowledged_writes = true
[[target.tenant]]
name = "alpha"
[[target.tenant]]
name = "beta"
[[target.fault]]
kind = "partition"
start_pct = 50
length_pct = 20
code = "ServiceUnavailable"
`;

let dir: string;
let scenario: ScenarioRun;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-target-'));
  await writeFile(path.join(dir, 'tenants.toml'), TENANTS);
  scenario = await loadScenario('tenants', { scenariosDir: dir });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(group: string, operation: string, index = 0): OperationContext {
  return { rng: new Rng(index + 1), index, operation, group, signal: new AbortController().signal };
}

async function setUp(target: TiervecTarget): Promise<Record<string, unknown>> {
  return target.setup({
    seed: 5,
    rng: new Rng(5),
    operations: ['search', 'insert'],
    signal: new AbortController().signal,
  });
}

describe('tiervec target', () => {
  it("preloads each tenant's share, reports the preload apart, and sends each group to its tenant's collection", async () => {
    const target = new TiervecTarget({ config: structuredClone(scenario.target), dataDir: dir });
    try {
      const info = await setUp(target);
      expect(info).toMatchObject({
        preload: { vectors: 200, dimension: 8 },
        tenants: [
          { name: 'alpha', preloaded: 100 },
          { name: 'beta', preloaded: 100 },
        ],
      });
      const collections = target.collections();
      await target.operations.insert?.(context('a', 'insert'));
      await target.operations.insert?.(context('a', 'insert', 1));
      expect(collections.get('alpha')?.stats().vectors).toBe(102);
      expect(collections.get('beta')?.stats().vectors).toBe(100);
      const hits = await target.operations.search?.(context('b', 'search'));
      expect(hits).toBe(10);
      expect(collections.get('beta')?.stats().searches.total).toBe(1);
      expect(target.measurements.isolationViolations).toBe(0);
    } finally {
      await target.teardown();
    }
  });

  it('finds an acknowledged write that went missing (the check can fail)', async () => {
    const target = new TiervecTarget({ config: structuredClone(scenario.target), dataDir: dir });
    try {
      await setUp(target);
      for (let i = 0; i < 3; i++) await target.operations.insert?.(context('a', 'insert', i));
      // Behind the target's back: one acknowledged document disappears.
      await target.collections().get('alpha')?.delete(['alpha.n1']);
      const checks = await target.verify();
      const lost = checks.find((check) => check.name === 'acknowledged_writes_lost_max');
      expect(target.verification).toMatchObject({ checked: 3, lost: 1 });
      expect(target.verification?.examples[0]).toContain('alpha.n1: expected version 0, found nothing');
      expect(lost).toMatchObject({ actual: 1, passed: false });
    } finally {
      await target.teardown();
    }
  });

  it('surfaces a search whose vector does not fit the collection as the store error', async () => {
    const mismatched = structuredClone(scenario.target);
    const target = new TiervecTarget({ config: mismatched, dataDir: dir });
    // The queries keep 8 dimensions; the collection is created with 16 and nothing is preloaded.
    mismatched.data.dimension = 16;
    mismatched.data.vectors = 0;
    try {
      await setUp(target);
      await expect(target.operations.search?.(context('a', 'search'))).rejects.toMatchObject({
        code: ErrorCode.DIMENSION_MISMATCH,
      });
      expect(target.measurements.tenant('alpha').errors).toBe(1);
    } finally {
      await target.teardown();
    }
  });

  it('partitions the mock S3 for the scenario window, on the injected clock', async () => {
    const clock = new ManualClock();
    const target = new TiervecTarget({ config: structuredClone(scenario.target), dataDir: dir, clock });
    try {
      await setUp(target);
      expect(target.gauges().s3_partitioned).toBe(0);
      await clock.advance(4_999);
      expect(target.gauges().s3_partitioned).toBe(0);
      await clock.advance(2);
      expect(target.gauges().s3_partitioned).toBe(1);
      await clock.advance(2_000);
      expect(target.gauges().s3_partitioned).toBe(0);
      expect(target.gauges()).toMatchObject({ vectors: 200, segments_hot: expect.any(Number) });
    } finally {
      await target.teardown();
    }
  });

  it('moves one sealed segment per tier operation: a seeded-random hot one down, then the same one back to hot', async () => {
    const target = new TiervecTarget({ config: structuredClone(scenario.target), dataDir: dir });
    try {
      await setUp(target);
      const alpha = target.collections().get('alpha');
      // Preload inserted 100 documents in one call: seal them, then add a second sealed segment.
      await target.operations.flush?.(context('a', 'flush'));
      await target.operations.insert?.(context('a', 'insert'));
      await target.operations.flush?.(context('a', 'flush', 1));
      const sealed = () => alpha?.stats().segments.filter((segment) => segment.state === 'sealed') ?? [];
      const tiers = () => sealed().map((segment) => segment.tier);
      expect(tiers()).toEqual(['hot', 'hot']);
      await target.operations.tier?.(context('a', 'tier'));
      // Exactly one segment moved down to warm (the first demotion), the other stayed hot.
      expect([...tiers()].sort()).toEqual(['hot', 'warm']);
      await target.operations.tier?.(context('a', 'tier', 1));
      expect(tiers()).toEqual(['hot', 'hot']);
      // The second demotion goes to cold (once the object store holds the segment).
      await alpha?.publish();
      await target.operations.tier?.(context('a', 'tier', 2));
      expect([...tiers()].sort()).toEqual(['cold', 'hot']);
      await target.operations.tier?.(context('a', 'tier', 3));
      expect(tiers()).toEqual(['hot', 'hot']);
      const beta = target.collections().get('beta')?.stats();
      expect(beta?.segments.every((segment) => segment.tier === 'hot')).toBe(true);
      expect(alpha?.stats().transitions).toMatchObject({
        hotToWarm: 2,
        warmToCold: 1,
        coldToWarm: 1,
        warmToHot: 2,
      });
      expect(target.gauges().tier_transitions).toBeGreaterThanOrEqual(6);
    } finally {
      await target.teardown();
    }
  });

  it('reads tier_scope from [target], "segment" by default, and rejects other values with file, line and key', () => {
    expect(readScenario(TENANTS, 'tenants.toml').target.tierScope).toBe('segment');
    const withScope = (value: string) =>
      TENANTS.replace(
        'verify_acknowledged_writes = true',
        `verify_acknowledged_writes = true\ntier_scope = ${value}`,
      );
    expect(readScenario(withScope('"collection"'), 'tenants.toml').target.tierScope).toBe('collection');
    let caught: unknown;
    try {
      readScenario(withScope('"tenant"'), 'tenants.toml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.SCENARIO_INVALID });
    expect((caught as Error).message).toContain(
      'tenants.toml:31: target.tier_scope: expected one of "segment", "collection"',
    );
  });

  it('moves the whole collection one tier-cycle step per tier operation with tier_scope "collection"', async () => {
    const collectionScope = structuredClone(scenario.target);
    collectionScope.tierScope = 'collection';
    const target = new TiervecTarget({ config: collectionScope, dataDir: dir });
    try {
      await setUp(target);
      const alpha = target.collections().get('alpha');
      await target.operations.flush?.(context('a', 'flush'));
      const sealed = () => alpha?.stats().segments.filter((segment) => segment.state === 'sealed') ?? [];
      expect(sealed().length).toBeGreaterThanOrEqual(1);
      expect(sealed().every((segment) => segment.tier === 'hot')).toBe(true);
      await target.operations.tier?.(context('a', 'tier'));
      expect(sealed().every((segment) => segment.tier === 'warm')).toBe(true);
      await target.operations.tier?.(context('a', 'tier', 1));
      expect(sealed().every((segment) => segment.tier === 'hot')).toBe(true);
      expect(target.gauges().tier_transitions).toBeGreaterThanOrEqual(2 * sealed().length);
    } finally {
      await target.teardown();
    }
  });

  it('runs both groups through the engine and reports each group', async () => {
    const short = await loadScenario('tenants', { scenariosDir: dir, overrides: { durationS: 2 } });
    short.config.warmupS = 0;
    const report = await runScenario(short, { dataDir: dir });
    expect(Object.keys(report.groups)).toEqual(['a', 'b']);
    expect(report.groups.a?.operations).toBeGreaterThan(0);
    expect(report.groups.b?.operations).toBeGreaterThan(0);
    // verify_acknowledged_writes without a limit allows no loss.
    expect(report.criteria.find((c) => c.name === 'acknowledged_writes_lost_max')).toMatchObject({
      limit: 0,
      actual: 0,
      passed: true,
    });
    expect(report.target.info).toMatchObject({
      objectStore: expect.stringContaining('partition ServiceUnavailable at 1.0 s for 0.4 s'),
    });
  });
});

describe("the target's bookkeeping", () => {
  it('IdPool: a taken id is out of play until given back, and picks stay within the live ids', () => {
    const pool = new IdPool();
    for (const id of ['a', 'b', 'c', 'd']) pool.add(id);
    const rng = new Rng(7);
    const taken = pool.take(rng) as string;
    expect(pool.size).toBe(3);
    expect(pool.has(taken)).toBe(false);
    for (let i = 0; i < 50; i++) expect(pool.peek(rng)).not.toBe(taken);
    pool.add(taken);
    pool.add(taken);
    expect(pool.size).toBe(4);
    pool.remove('a');
    pool.remove('a');
    expect(pool.size).toBe(3);
    const drained = new Set<string>();
    for (let id = pool.take(rng); id !== undefined; id = pool.take(rng)) drained.add(id);
    expect([...drained].sort()).toEqual(['b', 'c', 'd']);
    expect(pool.peek(rng)).toBeUndefined();
  });

  it('WriteLedger: the last acknowledged state wins, and a failed write leaves the id out of the check', () => {
    const ledger = new WriteLedger();
    ledger.acknowledgedWrite('x', 0);
    ledger.acknowledgedWrite('x', 3);
    ledger.acknowledgedDelete('y');
    ledger.acknowledgedWrite('z', 1);
    ledger.failedWrite('z');
    ledger.acknowledgedWrite('z', 2);
    expect(ledger.expected('x')).toEqual({ state: 'present', version: 3 });
    expect(ledger.expected('y')).toEqual({ state: 'absent' });
    expect(ledger.expected('z')).toEqual({ state: 'uncertain' });
    expect([...ledger.checkable()].map(([id]) => id)).toEqual(['x', 'y']);
    expect(ledger.summary()).toEqual({ checkable: 2, uncertain: 1 });
  });

  it('splitByWeight: shares add up exactly and follow the weights', () => {
    expect(splitByWeight(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitByWeight(3000, [1, 1, 1, 1])).toEqual([750, 750, 750, 750]);
    expect(splitByWeight(7, [0, 2, 5])).toEqual([0, 2, 5]);
    expect(splitByWeight(5, [0, 0])).toEqual([5, 0]);
  });
});
