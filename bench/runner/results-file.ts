/**
 * The results file of one `npm run bench`: `bench/results/<timestamp>.json`, and the same shape in
 * `bench/baseline.json`. This module owns the schema (types, the parser that checks a file before
 * `--compare` trusts it) and writing; it never measures anything.
 *
 * Schema (`schemaVersion: 1`):
 * - `environment`: Node version, CPU model, cores, platform, memory, load average, mode.
 * - `tasks[]`: one entry per measured task or figure. `value` in `unit` is the headline number
 *   (for timed tasks: `opsPerS × unitsPerOp`); `opsPerS` is iterations per second
 *   (1000 ÷ mean latency, i.e. runs ÷ total time), `latencyMs` the per-iteration latency,
 *   `rmePct` tinybench's relative margin of error of the mean (95%). `baseline.ratio` is value ÷ the
 *   in-run baseline's value (inverted when lower is better: > 1 always means better), with the
 *   combined noise of both in `baseline.rmePct`; `bound.ratio` is value ÷ the theoretical bound.
 * - `targets[]`: every target a suite declared, with the measured ratio and whether it was met.
 * - `suites[]`: per suite, how long it took and whether it completed, was skipped or broke.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, TierVecError } from '../../src/errors.ts';
import type { BenchMode } from './bench-suite.ts';

export const RESULTS_SCHEMA_VERSION = 1;

export interface BenchEnvironment {
  readonly nodeVersion: string;
  readonly v8Version: string;
  readonly platform: string;
  readonly arch: string;
  readonly osRelease: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  /** 1-minute load average when the run started: a busy machine explains noisy figures. */
  readonly loadAverage1m: number;
  readonly tinybenchVersion: string;
  readonly mode: BenchMode;
}

export interface TaskEntry {
  /** `<suite>/<name>`. */
  readonly id: string;
  readonly suite: string;
  readonly name: string;
  readonly source: 'tinybench' | 'figure';
  readonly value: number;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** Relative margin of error of `value`, in percent (0 for a deterministic figure). */
  readonly rmePct: number;
  /** Iterations per second; null for figures that are not rates of iterations. */
  readonly opsPerS: number | null;
  readonly latencyMs: { readonly mean: number; readonly p50: number; readonly p99: number } | null;
  readonly samples: number | null;
  readonly baseline: { readonly id: string; readonly ratio: number; readonly rmePct: number } | null;
  readonly bound: { readonly value: number; readonly description: string; readonly ratio: number } | null;
  readonly compare: boolean;
}

export interface TargetResult {
  readonly id: string;
  readonly description: string;
  readonly of: 'baseline' | 'bound';
  readonly ratioMin: number;
  /** The measured ratio, or null when it could not be computed (its baseline failed). */
  readonly ratio: number | null;
  readonly met: boolean;
}

export type SuiteOutcome =
  | { readonly name: string; readonly state: 'completed'; readonly durationS: number }
  | { readonly name: string; readonly state: 'skipped'; readonly reason: string }
  | {
      readonly name: string;
      readonly state: 'broken';
      readonly durationS: number;
      readonly errors: string[];
    };

export interface BenchResults {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly startedAt: string;
  readonly durationS: number;
  readonly mode: BenchMode;
  /** The filters given on the command line; empty when every suite ran. */
  readonly filters: readonly string[];
  readonly environment: BenchEnvironment;
  readonly suites: readonly SuiteOutcome[];
  readonly tasks: readonly TaskEntry[];
  readonly targets: readonly TargetResult[];
}

/** `2025-03-01T12:34:56.789Z` → `2025-03-01T12-34-56-789Z`: sortable and valid on every file system. */
export function resultsFileName(startedAt: Date): string {
  return `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
}

/** Writes the results into `dir/<timestamp>.json` and returns the path. */
export async function writeResultsFile(dir: string, results: BenchResults): Promise<string> {
  await mkdir(dir, { recursive: true });
  const filePath = path.join(dir, resultsFileName(new Date(results.startedAt)));
  await writeFile(filePath, `${JSON.stringify(results, null, 2)}\n`);
  return filePath;
}

export async function writeBaselineFile(filePath: string, results: BenchResults): Promise<void> {
  await mkdir(path.dirname(filePath), { recursive: true });
  await writeFile(filePath, `${JSON.stringify(results, null, 2)}\n`);
}

/** Reads and checks a results or baseline file; CORRUPT_DATA names the file and the field. */
export async function readResultsFile(filePath: string): Promise<BenchResults> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    throw new TierVecError(ErrorCode.INVALID_ARGUMENT, `Cannot read the results file ${filePath}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TierVecError(ErrorCode.CORRUPT_DATA, `${filePath} is not JSON`, { cause: error });
  }
  return parseResults(json, filePath);
}

type Json = Record<string, unknown>;

class SchemaChecker {
  constructor(readonly source: string) {}

  fail(where: string, expected: string, got: unknown): never {
    throw new TierVecError(
      ErrorCode.CORRUPT_DATA,
      `${this.source}: expected \`${where}\` to be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`,
      { details: { source: this.source, field: where } },
    );
  }

  object(value: unknown, where: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(where, 'an object', value);
    return value as Json;
  }

  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(where, 'an array', value);
    return value;
  }

  string(value: unknown, where: string): string {
    if (typeof value !== 'string') this.fail(where, 'a string', value);
    return value;
  }

  number(value: unknown, where: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(where, 'a finite number', value);
    return value;
  }

  nonNegative(value: unknown, where: string): number {
    const number = this.number(value, where);
    if (number < 0) this.fail(where, 'a number ≥ 0', value);
    return number;
  }

  boolean(value: unknown, where: string): boolean {
    if (typeof value !== 'boolean') this.fail(where, 'a boolean', value);
    return value;
  }

  oneOf<T extends string>(value: unknown, where: string, options: readonly T[]): T {
    if (!options.includes(value as T)) this.fail(where, `one of ${options.join(', ')}`, value);
    return value as T;
  }

  nullable<T>(value: unknown, read: (v: unknown) => T): T | null {
    return value === null ? null : read(value);
  }
}

/** Checks that `json` is a results file of this schema version and returns it typed. */
export function parseResults(json: unknown, source: string): BenchResults {
  const check = new SchemaChecker(source);
  const root = check.object(json, '(root)');
  if (root.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    check.fail('schemaVersion', String(RESULTS_SCHEMA_VERSION), root.schemaVersion);
  }
  check.string(root.startedAt, 'startedAt');
  check.nonNegative(root.durationS, 'durationS');
  check.oneOf(root.mode, 'mode', ['quick', 'full']);
  check.array(root.filters, 'filters').forEach((filter, i) => {
    check.string(filter, `filters[${i}]`);
  });
  checkEnvironment(check, root.environment);
  check.array(root.suites, 'suites').forEach((suite, i) => {
    checkSuite(check, suite, `suites[${i}]`);
  });
  const ids = new Set<string>();
  check.array(root.tasks, 'tasks').forEach((task, i) => {
    const id = checkTask(check, task, `tasks[${i}]`);
    if (ids.has(id)) check.fail(`tasks[${i}].id`, 'unique', id);
    ids.add(id);
  });
  check.array(root.targets, 'targets').forEach((target, i) => {
    checkTarget(check, target, `targets[${i}]`);
  });
  return root as unknown as BenchResults;
}

function checkEnvironment(check: SchemaChecker, value: unknown): void {
  const env = check.object(value, 'environment');
  for (const key of [
    'nodeVersion',
    'v8Version',
    'platform',
    'arch',
    'osRelease',
    'cpuModel',
    'tinybenchVersion',
  ]) {
    check.string(env[key], `environment.${key}`);
  }
  for (const key of ['cores', 'totalMemoryBytes', 'loadAverage1m'])
    check.nonNegative(env[key], `environment.${key}`);
  check.oneOf(env.mode, 'environment.mode', ['quick', 'full']);
}

function checkSuite(check: SchemaChecker, value: unknown, where: string): void {
  const suite = check.object(value, where);
  check.string(suite.name, `${where}.name`);
  const state = check.oneOf(suite.state, `${where}.state`, ['completed', 'skipped', 'broken']);
  if (state === 'skipped') check.string(suite.reason, `${where}.reason`);
  else check.nonNegative(suite.durationS, `${where}.durationS`);
  if (state === 'broken') {
    check.array(suite.errors, `${where}.errors`).forEach((e, i) => {
      check.string(e, `${where}.errors[${i}]`);
    });
  }
}

function checkTask(check: SchemaChecker, value: unknown, where: string): string {
  const task = check.object(value, where);
  const id = check.string(task.id, `${where}.id`);
  const suite = check.string(task.suite, `${where}.suite`);
  const name = check.string(task.name, `${where}.name`);
  if (id !== `${suite}/${name}`) check.fail(`${where}.id`, `"${suite}/${name}"`, id);
  check.oneOf(task.source, `${where}.source`, ['tinybench', 'figure']);
  check.number(task.value, `${where}.value`);
  check.string(task.unit, `${where}.unit`);
  check.boolean(task.higherIsBetter, `${where}.higherIsBetter`);
  check.nonNegative(task.rmePct, `${where}.rmePct`);
  check.nullable(task.opsPerS, (v) => check.nonNegative(v, `${where}.opsPerS`));
  check.nullable(task.samples, (v) => check.nonNegative(v, `${where}.samples`));
  check.nullable(task.latencyMs, (v) => {
    const latency = check.object(v, `${where}.latencyMs`);
    for (const key of ['mean', 'p50', 'p99']) check.nonNegative(latency[key], `${where}.latencyMs.${key}`);
  });
  check.nullable(task.baseline, (v) => {
    const baseline = check.object(v, `${where}.baseline`);
    check.string(baseline.id, `${where}.baseline.id`);
    check.nonNegative(baseline.ratio, `${where}.baseline.ratio`);
    check.nonNegative(baseline.rmePct, `${where}.baseline.rmePct`);
  });
  check.nullable(task.bound, (v) => {
    const bound = check.object(v, `${where}.bound`);
    check.nonNegative(bound.value, `${where}.bound.value`);
    check.string(bound.description, `${where}.bound.description`);
    check.nonNegative(bound.ratio, `${where}.bound.ratio`);
  });
  check.boolean(task.compare, `${where}.compare`);
  return id;
}

function checkTarget(check: SchemaChecker, value: unknown, where: string): void {
  const target = check.object(value, where);
  check.string(target.id, `${where}.id`);
  check.string(target.description, `${where}.description`);
  check.oneOf(target.of, `${where}.of`, ['baseline', 'bound']);
  check.nonNegative(target.ratioMin, `${where}.ratioMin`);
  check.nullable(target.ratio, (v) => check.nonNegative(v, `${where}.ratio`));
  check.boolean(target.met, `${where}.met`);
}
