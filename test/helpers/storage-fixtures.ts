/**
 * Shared fixtures for the store's tests: temporary directories removed after each test, and an
 * assertion that an action fails with a TierVecError of a given code.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { type ErrorCode, TierVecError } from '../../src/errors.ts';
import { Rng } from '../../src/random.ts';

/** Registers cleanup in the calling suite; `make()` returns a fresh empty directory. */
export function useTempDirs(prefix = 'tiervec-test-'): { make(): Promise<string> } {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    async make() {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/** Runs `action` and asserts it throws or rejects with a TierVecError of `code`; returns the error. */
export async function expectTierVecError(
  action: () => unknown,
  code: ErrorCode,
  messageIncludes?: string,
): Promise<TierVecError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} error`).toBeInstanceOf(TierVecError);
  const error = caught as TierVecError;
  expect(error.code).toBe(code);
  if (messageIncludes !== undefined) expect(error.message).toContain(messageIncludes);
  return error;
}

/** A deterministic vector of `dimension` components for `seed`. */
export function seededVector(seed: number, dimension: number): Float32Array {
  const rng = new Rng(seed);
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = rng.nextFloat(-1, 1);
  return vector;
}
