/**
 * Shared fixtures for the store's tests: temporary directories removed after each test, an
 * assertion that an action fails with a TierVecError of a given code, seeded vectors, and a sealed
 * segment written to a directory.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { type ErrorCode, TierVecError } from '../../src/errors.ts';
import { Rng } from '../../src/random.ts';
import { ActiveSegment } from '../../src/storage/segment/active-segment.ts';
import type { SealedSegment } from '../../src/storage/segment/sealed-segment.ts';
import { segmentIdFor, writeSegmentFiles } from '../../src/storage/segment/segment-file.ts';
import { type DocumentInput, validateDocuments } from '../../src/storage/validation.ts';

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

/**
 * Segment `seq` of `docs` (l2, m 8, efConstruction 32, seed 1) frozen from an active segment, its
 * files written to `dir` and its descriptor recorded: a sealed segment, still loaded.
 */
export async function writeSealedSegment(
  dir: string,
  seq: number,
  dimension: number,
  docs: readonly DocumentInput[],
): Promise<SealedSegment> {
  const params = { metric: 'l2', dimension, m: 8, efConstruction: 32, seed: 1 } as const;
  const id = segmentIdFor(seq);
  const active = new ActiveSegment(seq, id, params, docs.length, 0);
  for (const doc of validateDocuments(docs, dimension, 'l2')) active.append(doc);
  const { segment, columns } = active.freeze(dir);
  const memory = segment.loaded();
  if (memory === undefined) throw new Error('a frozen segment is loaded');
  const descriptor = await writeSegmentFiles(dir, memory, columns, {
    ...params,
    id,
    seq,
    rows: docs.length,
    deletedRows: 0,
    createdAtMs: 0,
  });
  memory.indexWritten(descriptor.hnsw.bytes);
  // Until its descriptor is recorded it is still being sealed, and must stay loaded.
  if (segment.unload()) throw new Error('a segment being sealed unloaded');
  segment.markSealed(descriptor);
  return segment;
}
