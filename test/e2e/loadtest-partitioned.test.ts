/**
 * A tiny `large_dataset`: the preload is compacted into partitions before the clock starts, and the
 * report judges GETs per search and recall of sampled searches, measured (not 0, not skipped); with
 * a cold tier whose GETs are not counted, the GETs check says so instead of passing.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/loadtest/scenario/load-scenario.ts';
import { runScenario } from '../../src/loadtest/scenario/run-scenario.ts';

const PARTITIONED = `name = "partitioned"
description = "21k x 16 compacted into partitions, searches across tiers"
seed = 11
[duration]
short_s = 2
full_s = 2
warmup_s = 0.5
[load]
arrival = "poisson"
in_flight_max = 4
[load.profile]
kind = "constant"
rate = 20
[mix]
search = 9
insert = 1
[data]
vectors = 21000
dimension = 16
clusters = 32
[search]
k = 10
recall_sample_ratio = 0.5
recall_samples_max = 10
[target]
compact_after_preload = true
segment_vectors_max = 7000
[target.tiering]
hot_bytes_max = "1MiB"
warm_bytes_max = "2MiB"
[target.mock_s3]
latency_ms = 1
[criteria]
preset = "none"
gets_per_search_max = 1000
recall_min = 0.5
rss_mb_over_budget_max = 100000
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-partitioned-'));
  await writeFile(path.join(dir, 'partitioned.toml'), PARTITIONED);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a large_dataset-like run', () => {
  it('compacts into partitions after the preload and reports GETs per search, recall and RSS, measured', async () => {
    const run = await loadScenario('partitioned', { scenariosDir: dir });
    const report = await runScenario(run, { dataDir: dir });
    const info = report.target.info as { preload: { vectors: number; compaction?: { partitions: number } } };
    expect(info.preload.vectors).toBe(21_000);
    expect(info.preload.compaction?.partitions).toBeGreaterThan(1);
    const byName = new Map(report.criteria.map((c) => [c.name, c]));
    const gets = byName.get('gets_per_search_max');
    expect(gets?.skipped).toBeUndefined();
    expect(gets?.actual).toBeGreaterThan(0);
    expect(gets?.description).toMatch(/\d+ GETs, \d+ searches/);
    const recall = byName.get('recall_min');
    expect(recall?.skipped).toBeUndefined();
    expect(recall?.actual).toBeGreaterThanOrEqual(0.5);
    expect(recall?.actual).toBeLessThanOrEqual(1);
    expect(typeof byName.get('rss_mb_over_budget_max')?.actual).toBe('number');
    expect(report.passed).toBe(true);
  }, 120_000);

  it('says GETs were not measured on a cold tier that does not count them', async () => {
    const run = await loadScenario('partitioned', {
      scenariosDir: dir,
      overrides: { vectors: 500, objectStore: 'local' },
    });
    run.target.compactAfterPreload = false;
    const report = await runScenario(run, { dataDir: dir });
    expect(report.criteria.find((c) => c.name === 'gets_per_search_max')).toMatchObject({
      actual: null,
      passed: true,
      skipped: expect.stringContaining('mock S3 only'),
    });
  }, 60_000);
});
