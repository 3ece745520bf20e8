import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import {
  COMPACTION_DEFAULTS,
  planCompaction,
  resolveCompactionOptions,
} from '../../../../src/storage/compaction-plan.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import { expectTierVecError, seededVector } from '../../../helpers/storage-fixtures.ts';
import { doc, range, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-compaction-');
const layout = new RemoteLayout('default', 'docs');
const queries = [1, 2, 3, 4, 5, 6].map((q) => seededVector(800 + q, 8));

/** Four 5-row segments and one 20-row segment with 6 rows deleted. */
async function fragmented(docs: Awaited<ReturnType<typeof stores.open>>['docs']) {
  for (let s = 0; s < 4; s++) {
    await docs.insert(range(s * 5, s * 5 + 5));
    await docs.flush();
  }
  await docs.insert(range(20, 40));
  await docs.flush();
  await docs.delete(['d20', 'd21', 'd22', 'd23', 'd24', 'd25']);
}

describe('planCompaction', () => {
  const options = resolveCompactionOptions(undefined);

  it('merges small segments up to segmentVectorsMax live rows and rewrites deleted-heavy ones alone', () => {
    expect(COMPACTION_DEFAULTS).toEqual({ smallSegmentRatio: 0.5, deletedRatioMin: 0.2 });
    const plan = planCompaction(
      [
        { seq: 1, rows: 5, liveRows: 5 },
        { seq: 2, rows: 5, liveRows: 5 },
        { seq: 3, rows: 20, liveRows: 20 },
        { seq: 4, rows: 8, liveRows: 8 },
        { seq: 5, rows: 9, liveRows: 9 },
        { seq: 6, rows: 20, liveRows: 14 },
      ],
      20,
      options,
    );
    // 1, 2 and 4 are small (18 live rows); 5 would overflow them and is small but alone, so stays;
    // 6 has 30% of its rows deleted.
    expect(plan).toEqual([[1, 2, 4], [6]]);
  });

  it('leaves full, clean segments alone', () => {
    expect(
      planCompaction(
        [
          { seq: 1, rows: 20, liveRows: 20 },
          { seq: 2, rows: 20, liveRows: 19 },
        ],
        20,
        options,
      ),
    ).toEqual([]);
  });

  it('refuses options out of range with INVALID_ARGUMENT', async () => {
    await expectTierVecError(
      () => resolveCompactionOptions({ deletedRatioMin: 2 }),
      ErrorCode.INVALID_ARGUMENT,
      'deletedRatioMin',
    );
    await expectTierVecError(
      () => resolveCompactionOptions({ ratio: 1 }),
      ErrorCode.INVALID_ARGUMENT,
      '`ratio`',
    );
  });
});

describe('Collection.compact', () => {
  it('merges small segments and drops deleted rows, with the same answers before and after a reopen', async () => {
    const { store, docs, dir, mock, clock } = await stores.open();
    await fragmented(docs);
    const before = await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));
    const result = await docs.compact();
    expect(result).toEqual({
      segmentsBefore: 5,
      segmentsAfter: 2,
      segmentsRewritten: 5,
      segmentsWritten: 2,
      rowsDropped: 6,
    });
    const segments = docs.stats().segments.filter((segment) => segment.state !== 'active');
    expect(segments.map((segment) => [segment.vectors, segment.rows])).toEqual([
      [20, 20],
      [14, 14],
    ]);
    expect(await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })))).toEqual(before);
    expect(await docs.get('d7')).toMatchObject({ id: 'd7', metadata: { i: 7 } });
    await expectTierVecError(() => docs.insert([doc(7)]), ErrorCode.DUPLICATE_ID);
    const files = await readdir(join(dir, 'tenants', 'default', 'collections', 'docs', 'segments'));
    expect(files.sort()).toEqual(
      segments.flatMap((segment) => [`${segment.id}.arrow`, `${segment.id}.hnsw`]).sort(),
    );
    const { version } = await docs.publish();
    const remoteSegments = mock.keys().filter((key) => key.startsWith(layout.segmentsPrefix));
    expect(remoteSegments).toHaveLength(6);
    await store.close();
    const reopened = await stores.open({ dir, objectStore: mock, clock, create: false });
    expect(reopened.docs.stats().vectors).toBe(34);
    expect(await Promise.all(queries.map((q) => reopened.docs.search(q, { k: 10, exact: true })))).toEqual(
      before,
    );
    await reopened.store.close();
    expect(version).toBeGreaterThan(0);
  });

  it('keeps deletes and upserts made while it runs', async () => {
    const { store, docs, dir, mock, clock } = await stores.open();
    await fragmented(docs);
    const compacting = docs.compact();
    const writes = Promise.all([
      docs.delete(['d1', 'd30']),
      docs.upsert([{ ...doc(12), metadata: { i: 12, group: 'moved' } }]),
    ]);
    await Promise.all([compacting, writes]);
    expect(await docs.get('d1')).toBeUndefined();
    expect(await docs.get('d30')).toBeUndefined();
    expect(await docs.get('d12')).toMatchObject({ metadata: { group: 'moved' } });
    expect(docs.stats().vectors).toBe(32);
    const exact = await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));
    expect(exact.flat().map((hit) => hit.id)).not.toContain('d1');
    await store.close();
    const reopened = await stores.open({ dir, objectStore: mock, clock, create: false });
    expect(reopened.docs.stats().vectors).toBe(32);
    expect(await reopened.docs.get('d30')).toBeUndefined();
    expect(await Promise.all(queries.map((q) => reopened.docs.search(q, { k: 10, exact: true })))).toEqual(
      exact,
    );
    await reopened.store.close();
  });

  it('deletes the replaced objects from the object store only after the new manifest is durable there', async () => {
    const { store, docs, mock, clock } = await stores.open({ uploads: { retry: { attemptsMax: 1 } } });
    await fragmented(docs);
    await docs.flush();
    const { version } = await docs.publish();
    const oldKeys = mock.keys().filter((key) => key.startsWith(layout.segmentsPrefix));
    expect(oldKeys).toHaveLength(15);
    mock.partition('ServiceUnavailable', { operations: ['put'] });
    await docs.compact();
    await expectTierVecError(() => docs.publish(), ErrorCode.OBJECT_STORE);
    // The object store still has the old manifest, so it keeps every object that manifest names.
    for (const key of oldKeys) expect(mock.keys()).toContain(key);
    mock.heal();
    await clock.advance(10_000); // past the circuit breaker's cooldown
    const published = await docs.publish();
    expect(published.version).toBeGreaterThan(version);
    const manifestPut = mock.calls.findIndex(
      (call) =>
        call.operation === 'put' &&
        call.key === layout.manifestKey(published.version) &&
        call.outcome === 'ok',
    );
    const firstDelete = mock.calls.findIndex(
      (call) => call.operation === 'delete' && oldKeys.includes(call.key),
    );
    expect(manifestPut).toBeGreaterThan(-1);
    expect(firstDelete).toBeGreaterThan(manifestPut);
    const left = mock.keys().filter((key) => key.startsWith(layout.segmentsPrefix));
    expect(left).toHaveLength(6);
    expect(left.some((key) => oldKeys.includes(key))).toBe(false);
    await store.close();
  });
});
