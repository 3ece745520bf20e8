/**
 * Model-based property test: random sequences of insert, upsert, delete, get, flush, reopen and exact
 * search run against a real store and against an in-memory Map; after every step `get` of every id
 * and `search(..., { exact: true })` must agree with the model. Small integer vectors make distances
 * exact and ties frequent (ties are ordered by id), and a tiny `segmentVectorsMax` makes sealing,
 * tombstones on sealed rows and WAL trimming happen in almost every run.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTierVecError } from '../../../src/errors.ts';
import type { Collection } from '../../../src/storage/collection.ts';
import { openStore, type Store } from '../../../src/storage/store.ts';
import type { Metadata } from '../../../src/storage/validation.ts';

const SEED = 424_242;
const RUNS = 25;
const DIMENSION = 3;
const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

interface ModelDoc {
  vector: number[];
  metadata: Metadata;
}

type Command =
  | { kind: 'insert' | 'upsert'; docs: { id: string; vector: number[]; g: number }[] }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'flush' }
  | { kind: 'reopen' }
  | { kind: 'search'; query: number[]; k: number; g: number | undefined };

const vectorArb = fc.array(fc.integer({ min: -3, max: 3 }), { minLength: DIMENSION, maxLength: DIMENSION });
const idArb = fc.constantFrom(...IDS);
const docsArb = fc.array(fc.record({ id: idArb, vector: vectorArb, g: fc.integer({ min: 0, max: 2 }) }), {
  minLength: 1,
  maxLength: 3,
});
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: docsArb.map((docs) => ({ kind: 'insert' as const, docs })) },
  { weight: 3, arbitrary: docsArb.map((docs) => ({ kind: 'upsert' as const, docs })) },
  {
    weight: 2,
    arbitrary: fc
      .array(idArb, { minLength: 1, maxLength: 3 })
      .map((ids) => ({ kind: 'delete' as const, ids })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        query: vectorArb,
        k: fc.integer({ min: 1, max: 6 }),
        g: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      })
      .map((search) => ({ kind: 'search' as const, ...search })),
  },
);

function modelSearch(model: Map<string, ModelDoc>, query: number[], k: number, g: number | undefined) {
  return [...model.entries()]
    .filter(([, doc]) => g === undefined || doc.metadata.g === g)
    .map(([id, doc]) => ({
      id,
      distance: doc.vector.reduce((sum, x, i) => sum + (x - (query[i] as number)) ** 2, 0),
    }))
    .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}

async function expectAgreement(docs: Collection, model: Map<string, ModelDoc>): Promise<void> {
  for (const id of IDS) {
    const expected = model.get(id);
    const got = await docs.get(id);
    if (expected === undefined) expect(got, `get(${id})`).toBeUndefined();
    else
      expect(got, `get(${id})`).toEqual({
        id,
        vector: new Float32Array(expected.vector),
        metadata: expected.metadata,
      });
  }
  expect(docs.stats().vectors).toBe(model.size);
  const everything = await docs.search([0, 0, 0], { k: IDS.length, exact: true });
  expect(everything.map((h) => h.id)).toEqual(
    modelSearch(model, [0, 0, 0], IDS.length, undefined).map((h) => h.id),
  );
}

async function apply(
  command: Command,
  state: { store: Store; docs: Collection; dir: string },
  model: Map<string, ModelDoc>,
) {
  switch (command.kind) {
    case 'insert':
    case 'upsert': {
      const ids = command.docs.map((d) => d.id);
      const repeated = new Set(ids).size !== ids.length;
      const exists = command.kind === 'insert' && ids.some((id) => model.has(id));
      const input = command.docs.map((d) => ({ id: d.id, vector: d.vector, metadata: { g: d.g } }));
      const call = command.kind === 'insert' ? state.docs.insert(input) : state.docs.upsert(input);
      if (repeated || exists) {
        const error = await call.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isTierVecError(error, 'DUPLICATE_ID'), `${command.kind} ${ids} should be DUPLICATE_ID`).toBe(
          true,
        );
        return;
      }
      await call;
      for (const d of command.docs) model.set(d.id, { vector: d.vector, metadata: { g: d.g } });
      return;
    }
    case 'delete': {
      const existing = new Set(command.ids.filter((id) => model.has(id)));
      expect(await state.docs.delete(command.ids)).toBe(existing.size);
      for (const id of existing) model.delete(id);
      return;
    }
    case 'flush':
      await state.docs.flush();
      expect(state.docs.stats().wal.records).toBe(0);
      return;
    case 'reopen':
      await state.store.close();
      state.store = await openStore({ dir: state.dir, segmentVectorsMax: 4, onWarning: unexpectedWarning });
      state.docs = state.store.collection('docs');
      return;
    case 'search': {
      const filter = command.g === undefined ? undefined : { g: command.g };
      const hits = await state.docs.search(command.query, { k: command.k, exact: true, filter });
      const expected = modelSearch(model, command.query, command.k, command.g);
      expect(hits.map((h) => [h.id, h.distance])).toEqual(expected.map((h) => [h.id, h.distance]));
      return;
    }
  }
}

function unexpectedWarning(warning: { code: string; message: string }): void {
  throw new Error(`unexpected warning ${warning.code}: ${warning.message}`);
}

describe('Collection against an in-memory model', () => {
  it('agrees on get and exact search after every step, including after reopen (seeded property)', async () => {
    console.log(`collection model property: seed ${SEED}, ${RUNS} runs`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { minLength: 1, maxLength: 40, size: 'max' }),
        async (commands) => {
          const dir = await mkdtemp(join(tmpdir(), 'tiervec-model-'));
          const store = await openStore({ dir, segmentVectorsMax: 4, onWarning: unexpectedWarning });
          const state = {
            store,
            docs: await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' }),
            dir,
          };
          const model = new Map<string, ModelDoc>();
          try {
            for (const command of commands) {
              await apply(command, state, model);
              await expectAgreement(state.docs, model);
            }
          } finally {
            await state.store.close();
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
