import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  parseResults,
  readResultsFile,
  resultsFileName,
  writeBaselineFile,
  writeResultsFile,
} from '../../../bench/runner/results-file.ts';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { entry, results } from './fixtures.ts';

function corruptionOf(json: unknown): unknown {
  try {
    parseResults(json, 'x.json');
  } catch (error) {
    return error;
  }
  return undefined;
}

const sample = () =>
  results(
    [
      entry({ suite: 'uploads', name: 'sequential', value: 100 }),
      entry({
        suite: 'uploads',
        name: 'batched',
        value: 9000,
        baseline: { id: 'uploads/sequential', ratio: 90, rmePct: 2 },
        bound: { value: 10_000, description: 'c × b ÷ latency', ratio: 0.9 },
      }),
      entry({
        suite: 'storage',
        name: 'recall@10',
        source: 'figure',
        unit: 'ratio',
        value: 0.97,
        opsPerS: null,
        latencyMs: null,
        samples: null,
      }),
    ],
    {
      targets: [
        {
          id: 'uploads/batched',
          description: '≥ 80% of bound',
          of: 'bound',
          ratioMin: 0.8,
          ratio: 0.9,
          met: true,
        },
      ],
    },
  );

describe('results file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tiervec-bench-results-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file after the start time, sortable and without colons', () => {
    expect(resultsFileName(new Date('2025-03-01T12:34:56.789Z'))).toBe('2025-03-01T12-34-56-789Z.json');
  });

  it('writes a file that reads back identical and passes the schema check', async () => {
    const written = sample();
    const filePath = await writeResultsFile(dir, written);
    expect(path.basename(filePath)).toBe('2025-01-02T03-04-05-678Z.json');
    expect(await readResultsFile(filePath)).toEqual(written);
    const baselinePath = path.join(dir, 'nested', 'baseline.json');
    await writeBaselineFile(baselinePath, written);
    expect(JSON.parse(await readFile(baselinePath, 'utf8'))).toEqual(written);
  });

  it('rejects another schema version with CORRUPT_DATA naming the field', () => {
    const error = corruptionOf({ ...sample(), schemaVersion: 2 });
    expect(isTierVecError(error, ErrorCode.CORRUPT_DATA)).toBe(true);
    expect((error as Error).message).toContain('schemaVersion');
  });

  it('rejects a task whose margin of error is not a number, naming its index and field', () => {
    const broken = sample();
    const tasks = broken.tasks.map((task, i) => (i === 1 ? { ...task, rmePct: 'low' } : task));
    const error = corruptionOf({ ...broken, tasks });
    expect(isTierVecError(error, ErrorCode.CORRUPT_DATA)).toBe(true);
    expect((error as Error).message).toContain('tasks[1].rmePct');
  });

  it('rejects an id that does not match suite and name, and duplicate ids', () => {
    const [first] = sample().tasks;
    expect((corruptionOf({ ...sample(), tasks: [{ ...first, id: 'other/x' }] }) as Error).message).toContain(
      'tasks[0].id',
    );
    expect((corruptionOf({ ...sample(), tasks: [first, first] }) as Error).message).toContain('unique');
  });

  it('rejects missing environment fields and unknown suite states', () => {
    const { cpuModel: _dropped, ...environment } = sample().environment;
    expect((corruptionOf({ ...sample(), environment }) as Error).message).toContain('environment.cpuModel');
    const suites = [{ name: 'x', state: 'exploded' }];
    expect((corruptionOf({ ...sample(), suites }) as Error).message).toContain('suites[0].state');
  });

  it('rejects a file that is not JSON with CORRUPT_DATA, and a missing file with INVALID_ARGUMENT', async () => {
    const filePath = path.join(dir, 'bad.json');
    await writeFile(filePath, '{ nope');
    await expect(readResultsFile(filePath)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_DATA });
    await expect(readResultsFile(path.join(dir, 'absent.json'))).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
  });
});
