import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { MockS3ObjectStore } from '../../../../src/object-store/testing/mock-s3.ts';
import { openStore } from '../../../../src/storage/store.ts';
import type { StoreWarning } from '../../../../src/storage/store-warning.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const dirs = useTempDirs('tiervec-replica-');
const DIM = 8;
const doc = (i: number) => ({ id: `d${i}`, vector: seededVector(i, DIM), metadata: { i } });
const docs = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => doc(from + k));

async function writerAndReplica(durability: 'object-store' | 'fsync', pollMs = 3_600_000) {
  const objectStore = new MockS3ObjectStore({ seed: 1 });
  const writer = await openStore({ dir: await dirs.make(), objectStore, durability, segmentVectorsMax: 50 });
  const collection = await writer.createCollection({ name: 'docs', dimension: DIM });
  await collection.insert(docs(0, 120));
  await collection.flush();
  const warnings: StoreWarning[] = [];
  const replica = await openStore({
    readOnly: true,
    objectStore,
    dir: await dirs.make(),
    replicaPollIntervalMs: pollMs,
    onWarning: (warning) => warnings.push(warning),
  });
  return { objectStore, writer, collection, replica, warnings };
}

describe('read replica (openStore({ readOnly: true }))', () => {
  it('serves the writer published data with the same exact answers, and counts', async () => {
    const { writer, collection, replica, warnings } = await writerAndReplica('object-store');
    const remote = replica.collection('docs');
    expect(await remote.count()).toBe(120);
    expect(await remote.get('d7')).toEqual(await collection.get('d7'));
    for (const seed of [1000, 1001, 1002]) {
      const query = seededVector(seed, DIM);
      expect(await remote.search(query, { k: 10, exact: true })).toEqual(
        await collection.search(query, { k: 10, exact: true }),
      );
    }
    expect(replica.stats().replica).toMatchObject({ generation: 1, refreshes: 1, refreshFailures: 0 });
    expect(replica.stats().replica.manifestVersion).toBeGreaterThan(0);
    expect(warnings).toEqual([]);
    await replica.close();
    await writer.close();
  });

  it("sees writes acknowledged in 'object-store' durability after a refresh, before any seal", async () => {
    const { writer, collection, replica } = await writerAndReplica('object-store');
    await collection.insert(docs(120, 125));
    await collection.delete(['d3']);
    const before = replica.stats().replica;
    const outcome = await replica.refresh();
    expect(outcome.state).toBe('refreshed');
    expect(outcome.freshAsOfMs).toBeGreaterThanOrEqual(before.freshAsOfMs);
    const remote = replica.collection('docs');
    expect(await remote.get('d124')).toMatchObject({ id: 'd124' });
    expect(await remote.get('d3')).toBeUndefined();
    expect(await remote.count()).toBe(124);
    expect(replica.stats().replica.walBatches).toBeGreaterThan(0);
    expect((await replica.refresh()).state).toBe('unchanged');
    await replica.close();
    await writer.close();
  });

  it("sees writes of an 'fsync' writer once published, not before", async () => {
    const { writer, collection, replica } = await writerAndReplica('fsync');
    await collection.insert(docs(120, 125));
    await replica.refresh();
    expect(await replica.collection('docs').get('d121')).toBeUndefined();
    await collection.flush();
    await replica.refresh();
    expect(await replica.collection('docs').get('d121')).toMatchObject({ id: 'd121' });
    await replica.close();
    await writer.close();
  });

  it('warms before traffic: segments come into memory, searches then issue no GETs; bad options are INVALID_ARGUMENT', async () => {
    const { objectStore, writer, replica } = await writerAndReplica('fsync');
    const remote = replica.collection('docs');
    await expectTierVecError(() => remote.warm({ everything: true } as never), ErrorCode.INVALID_ARGUMENT);
    // A generation starts with its sealed segments on local disk (warm), not in memory.
    expect((await remote.stats()).tiers.warm.vectors).toBe(120);
    const warmed = await remote.warm({ all: true });
    expect(warmed).toMatchObject({ segments: 1, hot: 1, leftWarm: 0, leftCold: 0 });
    expect((await remote.stats()).tiers).toMatchObject({ hot: { vectors: 120 }, warm: { segments: 0 } });
    const gets = objectStore.stats().byOperation.get.requests;
    for (const seed of [2000, 2001, 2002])
      await remote.search(seededVector(seed, DIM), { k: 5, exact: true });
    expect(objectStore.stats().byOperation.get.requests).toBe(gets);
    await replica.close();
    await writer.close();
  });

  it('follows new data by polling, and keeps handles valid across refreshes', async () => {
    const { writer, collection, replica } = await writerAndReplica('object-store', 20);
    const remote = replica.collection('docs');
    await collection.insert([doc(500)]);
    await vi.waitFor(async () => expect(await remote.get('d500')).toMatchObject({ id: 'd500' }), {
      timeout: 10_000,
      interval: 20,
    });
    expect(replica.stats().replica.generation).toBeGreaterThan(1);
    expect(replica.stats().replica.lagMs).toBeLessThan(10_000);
    await replica.close();
    await writer.close();
  });

  it('refuses every write with READ_ONLY and never writes to the object store', async () => {
    const { objectStore, writer, replica } = await writerAndReplica('object-store');
    const keysBefore = [...objectStore.keys()].sort();
    const remote = replica.collection('docs');
    await expectTierVecError(() => remote.insert([doc(900)]), ErrorCode.READ_ONLY);
    await expectTierVecError(() => remote.upsert([doc(1)]), ErrorCode.READ_ONLY);
    await expectTierVecError(() => remote.delete(['d1']), ErrorCode.READ_ONLY);
    await expectTierVecError(() => remote.flush(), ErrorCode.READ_ONLY);
    await expectTierVecError(() => remote.compact(), ErrorCode.READ_ONLY);
    await expectTierVecError(() => remote.publish(), ErrorCode.READ_ONLY);
    await expectTierVecError(
      () => replica.createCollection({ name: 'x', dimension: 2 }),
      ErrorCode.READ_ONLY,
    );
    await expectTierVecError(() => replica.dropCollection('docs'), ErrorCode.READ_ONLY);
    await expectTierVecError(() => replica.replayDeadLetters(), ErrorCode.READ_ONLY);
    await replica.refresh();
    await replica.close();
    expect([...objectStore.keys()].sort()).toEqual(keysBefore);
    await writer.close();
  });

  it('rejects bad replica options with INVALID_ARGUMENT naming the option', async () => {
    const objectStore = new MockS3ObjectStore();
    await expectTierVecError(
      () => openStore({ readOnly: true, objectStore, replicaPollIntervalMs: 0 }),
      ErrorCode.INVALID_ARGUMENT,
      'replicaPollIntervalMs',
    );
    await expectTierVecError(
      () => openStore({ readOnly: true } as never),
      ErrorCode.INVALID_ARGUMENT,
      'objectStore',
    );
    await expectTierVecError(
      () => openStore({ readOnly: true, objectStore, durability: 'fsync' } as never),
      ErrorCode.INVALID_ARGUMENT,
      'durability',
    );
  });

  it('reports COLLECTION_NOT_FOUND for a collection the writer never published, and CLOSED after close', async () => {
    const objectStore = new MockS3ObjectStore();
    const replica = await openStore({ readOnly: true, objectStore });
    expect(replica.stats().collections).toBe(0);
    await expectTierVecError(() => replica.collection('nope').count(), ErrorCode.COLLECTION_NOT_FOUND);
    await replica.close();
    await expectTierVecError(() => replica.collection('nope'), ErrorCode.CLOSED);
  });
});
