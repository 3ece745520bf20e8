/**
 * Losing the machine: a store writes, its whole local directory is deleted while it is still open
 * (no close, no final flush: as if the disk died), and a store on a new empty directory opens the
 * same object store. In durability 'object-store' every acknowledged write is there; in 'fsync'
 * mode what was sealed and published is there and what was only in the local WAL is not.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { LocalObjectStore } from '../../src/object-store/local.ts';
import { Rng } from '../../src/random.ts';
import type { Collection } from '../../src/storage/collection.ts';
import { openStore } from '../../src/storage/store.ts';
import type { Durability } from '../../src/storage/store-options.ts';
import type { StoreWarning } from '../../src/storage/store-warning.ts';
import { seededVector } from '../helpers/storage-fixtures.ts';

const DIMENSION = 16;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tiervec-dr-${name}-`));
  dirs.push(dir);
  return dir;
}

/** What the acknowledged writes say each id holds: its metadata, or undefined once deleted. */
type Model = Map<string, { round: number } | undefined>;

/** Seeded rounds of concurrent inserts, upserts and deletes; only acknowledged writes enter the model. */
async function writeRounds(docs: Collection, model: Model, rounds: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  let next = model.size;
  for (let round = 0; round < rounds; round++) {
    const calls: Promise<unknown>[] = [];
    const ids = Array.from({ length: 12 }, () => `doc-${next++}`);
    calls.push(
      docs
        .insert(
          ids.map((id, k) => ({
            id,
            vector: seededVector(seed * 1000 + next + k, DIMENSION),
            metadata: { round },
          })),
        )
        .then(() => {
          for (const id of ids) model.set(id, { round });
        }),
    );
    const live = [...model].filter(([, value]) => value !== undefined).map(([id]) => id);
    if (live.length > 4) {
      const upserted = live[rng.nextInt(live.length)] as string;
      calls.push(
        docs
          .upsert([{ id: upserted, vector: seededVector(rng.nextInt(1e6), DIMENSION), metadata: { round } }])
          .then(() => {
            model.set(upserted, { round });
          }),
      );
      const deleted = live[rng.nextInt(live.length)] as string;
      if (deleted !== upserted) {
        calls.push(
          docs.delete([deleted]).then(() => {
            model.set(deleted, undefined);
          }),
        );
      }
    }
    await Promise.all(calls);
  }
}

/** Deletes the machine's directory while its store may still be writing into it (a seal, say). */
async function loseDisk(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 5 });
}

async function openAbandonable(durability: Durability) {
  const dir = await tempDir('machine');
  const objectStore = new LocalObjectStore({ dir: await tempDir('bucket') });
  // A manual clock: nothing of the abandoned store runs on a timer after the disk is gone.
  // Its warnings (a seal cut off by the lost disk) are kept, not printed.
  const warnings: StoreWarning[] = [];
  const store = await openStore({
    dir,
    objectStore,
    durability,
    segmentVectorsMax: 50,
    clock: new ManualClock(),
    onWarning: (warning) => warnings.push(warning),
  });
  const docs = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'cosine' });
  return { dir, objectStore, store, docs };
}

describe('Disaster recovery', () => {
  it("durability 'object-store': after the local disk is lost, every acknowledged write is there", async () => {
    const { dir, objectStore, docs } = await openAbandonable('object-store');
    const model: Model = new Map();
    await writeRounds(docs, model, 8, 1);
    await docs.flush();
    await docs.publish();
    await writeRounds(docs, model, 6, 2);
    await docs.compact();
    await writeRounds(docs, model, 5, 3);
    expect(docs.stats().tiering.remoteWal?.failedRecords).toBe(0);
    await loseDisk(dir);

    const store = await openStore({
      dir: await tempDir('replacement'),
      objectStore,
      durability: 'object-store',
    });
    const recovered = store.collection('docs');
    const live = [...model].filter(([, value]) => value !== undefined);
    expect(recovered.stats().vectors).toBe(live.length);
    for (const [id, expected] of model) {
      const got = await recovered.get(id);
      if (expected === undefined) expect(got, id).toBeUndefined();
      else expect(got?.metadata, id).toEqual(expected);
    }
    await store.close();
  });

  it("durability 'fsync': sealed and published data is there; writes only in the local WAL are not", async () => {
    const { dir, objectStore, docs } = await openAbandonable('fsync');
    const model: Model = new Map();
    await writeRounds(docs, model, 8, 4);
    await docs.flush();
    await docs.publish();
    const sealed = new Map(model);
    await writeRounds(docs, model, 3, 5);
    const unsealed = [...model].filter(([id, value]) => sealed.get(id) !== value);
    expect(unsealed.length).toBeGreaterThan(0);
    await loseDisk(dir);

    const store = await openStore({ dir: await tempDir('replacement'), objectStore });
    const recovered = store.collection('docs');
    // Exactly the state of the last published manifest: what was sealed, as it was sealed.
    for (const [id, expected] of sealed) {
      const got = await recovered.get(id);
      if (expected === undefined) expect(got, id).toBeUndefined();
      else expect(got?.metadata, id).toEqual(expected);
    }
    expect(recovered.stats().vectors).toBe(
      [...sealed.values()].filter((value) => value !== undefined).length,
    );
    // Inserted after the last seal: lost with the disk (they lived only in the local WAL).
    const insertedLater = unsealed.filter(([id]) => !sealed.has(id));
    expect(insertedLater.length).toBeGreaterThan(0);
    for (const [id] of insertedLater) expect(await recovered.get(id), id).toBeUndefined();
    await store.close();
  });
});
