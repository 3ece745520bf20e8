import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import { decodeRemoteManifest } from '../../../../src/storage/remote/remote-manifest.ts';
import { expectTierVecError, seededVector } from '../../../helpers/storage-fixtures.ts';
import { drive, expectTiers, range, tiersOf, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-publish-');
const layout = new RemoteLayout('default', 'docs');

function manifestVersions(keys: readonly string[]): number[] {
  return keys.map((key) => layout.manifestVersionOf(key)).filter((v): v is number => v !== undefined);
}

describe('Publishing to the object store', () => {
  it('uploads each sealed segment, then writes the next manifest version create-only', async () => {
    const { store, docs, mock } = await stores.open();
    await docs.insert(range(0, 20));
    await docs.flush();
    // Version 1 is the empty collection, published when it was created; the seal made version 2.
    expect(await docs.publish()).toEqual({ state: 'unchanged', version: 2 });
    const keys = mock.keys();
    for (const suffix of ['0000000001.arrow', '0000000001.hnsw', '0000000001.ids.json']) {
      expect(keys).toContain(`tenants/default/collections/docs/segments/${suffix}`);
    }
    const manifestKey = layout.manifestKey(2);
    const manifest = decodeRemoteManifest(mock.peek(manifestKey) as Uint8Array, manifestKey, layout);
    expect(manifest.segments.map((segment) => segment.id)).toEqual(['0000000001']);
    expect(manifest.spec).toMatchObject({ name: 'docs', dimension: 8, metric: 'l2' });
    expect(manifest.uid).toMatch(/^[0-9a-f-]{36}$/);
    // The manifest was written after every object it names.
    const order = mock.calls.filter((call) => call.operation === 'put').map((call) => call.key);
    expect(order.indexOf(manifestKey)).toBe(order.length - 1);
    await docs.delete(['d1']);
    await docs.insert(range(20, 40));
    await docs.flush();
    await docs.insert(range(40, 60));
    await docs.flush();
    const { version } = await docs.publish();
    expect(version).toBeGreaterThanOrEqual(3);
    // The previous manifest stays for readers still on it; older ones go once a newer one is durable.
    expect(manifestVersions(mock.keys())).toEqual([version - 1, version]);
    const latestKey = layout.manifestKey(version);
    const latest = decodeRemoteManifest(mock.peek(latestKey) as Uint8Array, latestKey, layout);
    expect(latest.segments.map((segment) => segment.id)).toEqual(['0000000001', '0000000002', '0000000003']);
    expect(latest.tombstoneFiles).toHaveLength(1);
    expect(mock.keys()).toContain(layout.tombstoneKey(latest.tombstoneFiles[0]?.name as string));
    expect(docs.stats().tiering.remote).toMatchObject({ version, pending: false, conflict: false });
    await store.close();
  });

  it('detects a lost conditional manifest put, reports MANIFEST_CONFLICT and never overwrites', async () => {
    const { store, docs, mock, warnings } = await stores.open();
    await docs.insert(range(0, 20));
    await docs.flush();
    const { version } = await docs.publish();
    const foreign = Buffer.from('{"written":"by another store"}');
    await mock.put(layout.manifestKey(version + 1), foreign);
    await docs.insert(range(20, 40));
    await docs.flush();
    const error = await expectTierVecError(
      () => docs.publish(),
      ErrorCode.MANIFEST_CONFLICT,
      'another store',
    );
    expect(error.details).toMatchObject({ collection: 'docs', version: version + 1 });
    expect(Buffer.from(mock.peek(layout.manifestKey(version + 1)) as Uint8Array).equals(foreign)).toBe(true);
    expect(warnings.map((warning) => warning.code)).toContain('MANIFEST_CONFLICT');
    expect(docs.stats().tiering.remote).toMatchObject({ conflict: true, version });
    // The new segment was never named by a durable manifest of ours: it cannot go cold.
    expect(await docs.setTier('cold')).toMatchObject({ segments: 2, held: 1 });
    expect(tiersOf(docs)).toEqual(['cold', 'warm']);
    await expectTierVecError(() => docs.publish(), ErrorCode.MANIFEST_CONFLICT);
    expect((await docs.search(seededVector(30, 8), { k: 1 }))[0]?.id).toBe('d29');
    await store.close();
  });

  it('never overwrites a segment object another writer put under the name it would use: MANIFEST_CONFLICT', async () => {
    const { store, docs, mock } = await stores.open();
    await docs.insert(range(0, 20));
    await docs.flush();
    await docs.publish();
    // A process that died with this put in flight: its manifest naming it may still land.
    const foreign = Buffer.from('segment bytes of another writer');
    const key = layout.segmentKey('0000000002', 'arrow');
    await mock.put(key, foreign);
    await docs.insert(range(20, 40));
    await docs.flush();
    await expectTierVecError(
      () => docs.publish(),
      ErrorCode.MANIFEST_CONFLICT,
      'already exists with other content',
    );
    expect(Buffer.from(mock.peek(key) as Uint8Array).equals(foreign)).toBe(true);
    expect(docs.stats().tiering.remote).toMatchObject({ conflict: true });
    await store.close();
  });

  it('numbers segments and files after every object in the object store when it opens from there, named by a manifest or not', async () => {
    const first = await stores.open();
    await first.docs.insert(range(0, 20));
    await first.docs.flush();
    await first.docs.publish();
    await first.store.close();
    // Objects a dead writer put before its manifest naming them landed (or before it died).
    const strays = [
      layout.segmentKey('0000000007', 'hnsw'),
      layout.tombstoneKey(`${'9'.padStart(20, '0')}.json`),
    ];
    for (const key of strays) await first.mock.put(key, Buffer.from(`stray ${key}`));
    const second = await stores.open({ objectStore: first.mock, clock: first.clock, create: false });
    await second.docs.delete(['d3']);
    await second.docs.insert(range(20, 40));
    await second.docs.flush();
    const { version } = await second.docs.publish();
    const latestKey = layout.manifestKey(version);
    const latest = decodeRemoteManifest(second.mock.peek(latestKey) as Uint8Array, latestKey, layout);
    expect(latest.segments.map((segment) => segment.id)).toEqual(['0000000001', '0000000008']);
    expect(latest.tombstoneFiles.map((file) => Number(file.name.slice(0, 20)))).toEqual([expect.any(Number)]);
    expect(Number(latest.tombstoneFiles[0]?.name.slice(0, 20))).toBeGreaterThan(9);
    for (const key of strays)
      expect(Buffer.from(second.mock.peek(key) as Uint8Array).toString()).toBe(`stray ${key}`);
    expect(second.docs.stats().tiering.remote).toMatchObject({ conflict: false });
    await second.store.close();
  });

  it('refuses to publish on top of another collection of the same name in the same bucket', async () => {
    const first = await stores.open({ create: 'skip' });
    const second = await stores.open({ objectStore: first.mock, clock: first.clock, create: 'skip' });
    // Both stores create "docs" on their own, from the same empty bucket.
    first.docs = await first.store.createCollection({ name: 'docs', dimension: 8, metric: 'l2' });
    second.docs = await second.store.createCollection({ name: 'docs', dimension: 8, metric: 'l2' });
    await first.docs.insert(range(0, 20));
    await first.docs.flush();
    await second.docs.insert(range(100, 120));
    await second.docs.flush();
    const outcomes = await Promise.allSettled([first.docs.publish(), second.docs.publish()]);
    // Exactly one lineage owns the collection; the other gets MANIFEST_CONFLICT and wrote nothing over it.
    const conflicts = outcomes.filter(
      (outcome) => outcome.status === 'rejected' && outcome.reason.code === ErrorCode.MANIFEST_CONFLICT,
    );
    expect(conflicts).toHaveLength(1);
    const winner = outcomes[0]?.status === 'fulfilled' ? first : second;
    const versions = manifestVersions(first.mock.keys());
    const newest = layout.manifestKey(versions.at(-1) as number);
    const owner = decodeRemoteManifest(first.mock.peek(newest) as Uint8Array, newest, layout);
    expect(winner.docs.stats().tiering.remote.version).toBe(versions.at(-1));
    expect(winner.docs.stats().tiering.remote.conflict).toBe(false);
    expect(owner.segments).toHaveLength(1);
    await second.store.close();
    await first.store.close();
  });

  it('keeps segments local under flaky and partitioned S3, shows the breaker and dead letters, and replays them', async () => {
    const { store, docs, mock, clock } = await stores.open({
      mockOptions: { failures: { rate: 0.3, code: 'InternalError' }, seed: 11 },
      uploads: {
        retry: { attemptsMax: 2, delayMsBase: 10, delayMsMax: 100 },
        circuitBreaker: { failuresMax: 3, cooldownMs: 1_000 },
        seed: 5,
      },
      tiering: { publishRetryMs: 600_000 },
    });
    await docs.insert(range(0, 20));
    await drive(clock, docs.flush());
    mock.partition('NetworkError', { operations: ['put'] });
    await docs.insert(range(20, 40));
    await drive(clock, docs.flush());
    await drive(clock, docs.publish()).catch(() => undefined);
    const failing = docs.stats().tiering;
    expect(failing.uploads.deadLetters).toBeGreaterThan(0);
    expect(failing.uploads.breaker.state).toBe('open');
    expect(failing.remote.pending).toBe(true);
    expect((await drive(clock, docs.setTier('cold'))).held).toBeGreaterThanOrEqual(1);
    expect(tiersOf(docs)[1]).toBe('warm');
    // Every acknowledged document is still answered, from local disk.
    expect((await drive(clock, docs.search(seededVector(36, 8), { k: 1 })))[0]?.id).toBe('d35');
    mock.heal();
    await clock.advance(2_000);
    let published = false;
    for (let attempt = 0; attempt < 20 && !published; attempt++) {
      published = await drive(clock, docs.publish()).then(
        () => true,
        () => false,
      );
    }
    expect(published).toBe(true);
    expect(docs.stats().tiering.uploads.deadLetters).toBe(0);
    expect(docs.stats().tiering.uploads.replayed).toBeGreaterThan(0);
    await drive(clock, docs.setTier('cold'));
    await expectTiers(docs, ['cold', 'cold']);
    // The flaky faults go on: a promotion may fail, always typed, and the segment stays cold.
    let hits: Awaited<ReturnType<typeof docs.search>> | undefined;
    for (let attempt = 0; attempt < 20 && hits === undefined; attempt++) {
      hits = await drive(clock, docs.search(seededVector(36, 8), { k: 1 })).catch((error) => {
        expect(['OBJECT_STORE', 'CIRCUIT_OPEN']).toContain(error.code);
        return undefined;
      });
    }
    expect(hits?.[0]?.id).toBe('d35');
    await store.close();
  });
});
