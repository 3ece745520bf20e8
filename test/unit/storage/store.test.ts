import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode } from '../../../src/errors.ts';
import { openStore } from '../../../src/storage/store.ts';
import { STORE_DEFAULTS } from '../../../src/storage/store-options.ts';
import type { StoreWarning } from '../../../src/storage/store-warning.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-store-');

const fakeObjectStore = {
  put: async () => ({ etag: 'x' }),
  get: async () => new Uint8Array(),
  head: async () => undefined,
  delete: async () => undefined,
  list: async function* () {},
};

describe('openStore options', () => {
  it('applies the documented defaults', () => {
    expect(STORE_DEFAULTS).toEqual({
      durability: 'fsync',
      segmentVectorsMax: 50_000,
      bufferedFlushIntervalMs: 1_000,
      walPendingBytesMax: 64 * 2 ** 20,
    });
  });

  it('accepts the tier options (objectStore, tiering) ahead of the tiering layer', async () => {
    const store = await openStore({
      dir: await temp.make(),
      objectStore: fakeObjectStore,
      tiering: { hotBytesMax: 1 << 30, warmBytesMax: 1 << 34, hotIdleMs: 60_000, warmIdleMs: 3_600_000 },
      durability: 'buffered',
      clock: new ManualClock(),
    });
    expect(store.stats().durability).toBe('buffered');
    await store.close();
  });

  it.each([
    ['a missing dir', { dir: '' }, '`dir`'],
    ['an unknown option', { segmentSize: 5 }, '`segmentSize`'],
    ['an unknown durability', { durability: 'sometimes' }, '`durability`'],
    ['segmentVectorsMax 0', { segmentVectorsMax: 0 }, '`segmentVectorsMax`'],
    ['a fractional flush interval', { bufferedFlushIntervalMs: 1.5 }, '`bufferedFlushIntervalMs`'],
    ['walPendingBytesMax 0', { walPendingBytesMax: 0 }, '`walPendingBytesMax`'],
    ['a clock without setTimeout', { clock: { now: () => 0 } }, '`clock`'],
    [
      'an object store without list',
      { objectStore: { put() {}, get() {}, head() {}, delete() {} } },
      '`objectStore`',
    ],
    ['an unknown tiering option', { tiering: { hotMax: 1 } }, '`hotMax`'],
    ['a negative tenant quota', { tenantQuota: { vectorsMax: -1 } }, 'tenantQuota.vectorsMax'],
    ['onWarning that is not a function', { onWarning: 'log' }, '`onWarning`'],
  ])('refuses %s with INVALID_ARGUMENT', async (_, extra, mentions) => {
    const dir = await temp.make();
    await expectTierVecError(
      () => openStore({ dir, ...(extra as object) }),
      ErrorCode.INVALID_ARGUMENT,
      mentions,
    );
  });

  it('refuses a bad tenant name in `tenants` with INVALID_NAME', async () => {
    await expectTierVecError(
      async () => openStore({ dir: await temp.make(), tenants: { 'Bad Name': { quota: {} } } }),
      ErrorCode.INVALID_NAME,
    );
  });
});

describe('Store collections', () => {
  it('creates, lists, opens and drops collections', async () => {
    const store = await openStore({ dir: await temp.make() });
    const created = await store.createCollection({ name: 'b', dimension: 3, metric: 'l2', hnsw: { m: 8 } });
    await store.createCollection({ name: 'a', dimension: 5 });
    expect(store.collection('b')).toBe(created);
    const listed = await store.listCollections();
    expect(listed.map((c) => [c.name, c.dimension, c.metric, c.hnsw.m])).toEqual([
      ['a', 5, 'cosine', 16],
      ['b', 3, 'l2', 8],
    ]);
    await store.dropCollection('a');
    expect((await store.listCollections()).map((c) => c.name)).toEqual(['b']);
    await expectTierVecError(() => store.collection('a'), ErrorCode.COLLECTION_NOT_FOUND, '"a"');
    await store.close();
  });

  it('refuses a second collection of the same name with COLLECTION_EXISTS, even concurrently', async () => {
    const store = await openStore({ dir: await temp.make() });
    const results = await Promise.allSettled([
      store.createCollection({ name: 'docs', dimension: 3 }),
      store.createCollection({ name: 'docs', dimension: 4 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason.code).toBe(ErrorCode.COLLECTION_EXISTS);
    await expectTierVecError(
      () => store.createCollection({ name: 'docs', dimension: 3 }),
      ErrorCode.COLLECTION_EXISTS,
    );
    expect(store.collection('docs').spec.dimension).toBe(3);
    await store.close();
  });

  it('refuses unknown collections with COLLECTION_NOT_FOUND and bad names with INVALID_NAME', async () => {
    const store = await openStore({ dir: await temp.make() });
    await expectTierVecError(() => store.collection('nope'), ErrorCode.COLLECTION_NOT_FOUND);
    await expectTierVecError(() => store.dropCollection('nope'), ErrorCode.COLLECTION_NOT_FOUND);
    await expectTierVecError(() => store.collection('No!'), ErrorCode.INVALID_NAME);
    await expectTierVecError(
      () => store.createCollection({ name: '../x', dimension: 3 }),
      ErrorCode.INVALID_NAME,
    );
    await expectTierVecError(() => store.collection('docs', { tenant: 'A' }), ErrorCode.INVALID_NAME);
    await expectTierVecError(() => store.listCollections({ tenant: '' }), ErrorCode.INVALID_NAME);
    await expectTierVecError(
      () => store.createCollection({ name: 'x', dimension: 0 }),
      ErrorCode.INVALID_ARGUMENT,
    );
    await store.close();
  });

  it('persists the catalog: a reopened store knows every collection, its spec and its data', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    const docs = await store.createCollection({
      name: 'docs',
      dimension: 4,
      metric: 'ip',
      tenant: 'acme',
      hnsw: { m: 12, efConstruction: 100, efSearch: 40 },
      quota: { vectorsMax: 10 },
    });
    await docs.insert([{ id: 'a', vector: [1, 2, 3, 4], metadata: { k: 'v' } }]);
    await store.createCollection({ name: 'other', dimension: 2 });
    await store.dropCollection('other');
    await store.close();
    const catalog = JSON.parse(await readFile(join(dir, 'catalog.json'), 'utf8'));
    expect(catalog.collections).toHaveLength(1);

    const reopened = await openStore({ dir });
    expect(await reopened.listCollections()).toEqual([]);
    const [info] = await reopened.listCollections({ tenant: 'acme' });
    expect(info).toMatchObject({
      name: 'docs',
      dimension: 4,
      metric: 'ip',
      hnsw: { m: 12, efConstruction: 100, efSearch: 40 },
    });
    expect(info?.quota).toEqual({ vectorsMax: 10 });
    expect(await reopened.collection('docs', { tenant: 'acme' }).get('a')).toMatchObject({
      metadata: { k: 'v' },
    });
    await reopened.close();
  });

  it("deletes a dropped collection's files, and a new one of the same name starts empty", async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    const first = await store.createCollection({ name: 'docs', dimension: 2, metric: 'l2' });
    await first.insert([{ id: 'a', vector: [1, 1] }]);
    await store.dropCollection('docs');
    expect(await readdir(join(dir, 'tenants', 'default', 'collections'))).toEqual([]);
    const second = await store.createCollection({ name: 'docs', dimension: 2, metric: 'l2' });
    expect(await second.get('a')).toBeUndefined();
    await store.close();
  });

  it('removes collection directories the catalog does not name (an interrupted create or drop) and warns', async () => {
    const dir = await temp.make();
    const leftover = join(dir, 'tenants', 't1', 'collections', 'ghost', 'wal');
    await mkdir(leftover, { recursive: true });
    await writeFile(join(leftover, 'x'), 'x');
    const warnings: StoreWarning[] = [];
    const store = await openStore({ dir, onWarning: (w) => warnings.push(w) });
    expect(await readdir(join(dir, 'tenants', 't1', 'collections'))).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(['LEFTOVERS_REMOVED']);
    expect(warnings[0]?.message).toContain('t1/ghost');
    await store.close();
  });

  it('refuses every call after close with CLOSED, and close twice is harmless', async () => {
    const store = await openStore({ dir: await temp.make() });
    await store.createCollection({ name: 'docs', dimension: 2 });
    await store.close();
    await store.close();
    await expectTierVecError(() => store.createCollection({ name: 'x', dimension: 2 }), ErrorCode.CLOSED);
    await expectTierVecError(() => store.collection('docs'), ErrorCode.CLOSED);
    await expectTierVecError(() => store.listCollections(), ErrorCode.CLOSED);
    await expectTierVecError(() => store.dropCollection('docs'), ErrorCode.CLOSED);
    await expectTierVecError(() => store.tenant('t'), ErrorCode.CLOSED);
    await expectTierVecError(() => store.stats(), ErrorCode.CLOSED);
  });

  it('reports per-tenant usage in stats', async () => {
    const store = await openStore({ dir: await temp.make() });
    const a = await store.createCollection({ name: 'a', dimension: 2, metric: 'l2', tenant: 't1' });
    await store.createCollection({ name: 'b', dimension: 2, tenant: 't1' });
    await store.createCollection({ name: 'c', dimension: 2, tenant: 't2' });
    await a.insert([{ id: 'x', vector: [1, 2], metadata: { a: 1 } }]);
    expect(store.stats()).toMatchObject({
      collections: 3,
      tenants: {
        t1: { collections: 2, vectors: 1, bytes: 1 + 8 + 7 },
        t2: { collections: 1, vectors: 0, bytes: 0 },
      },
    });
    await store.close();
  });
});

describe('Store corruption', () => {
  it('refuses to open a store whose catalog is unreadable with CORRUPT_DATA', async () => {
    const dir = await temp.make();
    await writeFile(
      join(dir, 'catalog.json'),
      '{"format":"tiervec.catalog","formatVersion":1,"collections":[',
    );
    await expectTierVecError(() => openStore({ dir }), ErrorCode.CORRUPT_DATA, 'catalog.json');
    // The failed open released the directory.
    await writeFile(
      join(dir, 'catalog.json'),
      JSON.stringify({ format: 'tiervec.catalog', formatVersion: 1, collections: [] }),
    );
    const store = await openStore({ dir });
    await store.close();
  });

  it('refuses to open a collection whose manifest is gone or damaged with CORRUPT_DATA', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    await store.createCollection({ name: 'docs', dimension: 2 });
    await store.close();
    const manifestDir = join(dir, 'tenants', 'default', 'collections', 'docs', 'manifest');
    const [name] = await readdir(manifestDir);
    await writeFile(join(manifestDir, name as string), '{"format":');
    await expectTierVecError(() => openStore({ dir }), ErrorCode.CORRUPT_DATA, 'not valid JSON');
  });
});

/** Calls `action`, which must return a promise (not throw), and returns what that promise rejected with. */
async function rejectionOf(what: string, action: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = action();
  } catch (error) {
    throw new Error(`${what} threw synchronously instead of returning a rejected promise: ${error}`);
  }
  expect(result, what).toBeInstanceOf(Promise);
  return (result as Promise<unknown>).then(
    () => new Error(`${what} resolved`),
    (error: unknown) => error,
  );
}

describe('Store error clarity', () => {
  it('refuses a directory that is a regular file with IO_ERROR naming the path, not a raw EEXIST', async () => {
    const file = join(await temp.make(), 'not-a-dir');
    await writeFile(file, 'x');
    const error = await expectTierVecError(() => openStore({ dir: file }), ErrorCode.IO_ERROR, file);
    expect(error.message).toContain('not a directory');
  });

  it('returns rejected promises, never synchronous throws, from every async method of Store, Tenant and Collection', async () => {
    const store = await openStore({ dir: await temp.make() });
    const docs = await store.createCollection({ name: 'docs', dimension: 2 });
    const tenant = store.tenant('t');
    const bad = { name: 'Bad!', dimension: 2 };
    const calls: Array<[string, () => unknown, string]> = [
      ['store.createCollection(bad)', () => store.createCollection(bad), ErrorCode.INVALID_NAME],
      [
        'store.createCollection(undefined)',
        () => store.createCollection(undefined as never),
        ErrorCode.INVALID_ARGUMENT,
      ],
      ['store.listCollections(bad)', () => store.listCollections({ tenant: '' }), ErrorCode.INVALID_NAME],
      ['store.dropCollection(bad)', () => store.dropCollection('No!'), ErrorCode.INVALID_NAME],
      ['tenant.createCollection(bad)', () => tenant.createCollection(bad), ErrorCode.INVALID_NAME],
      ['tenant.dropCollection(bad)', () => tenant.dropCollection('No!'), ErrorCode.INVALID_NAME],
      ['docs.insert(bad)', () => docs.insert(undefined as never), ErrorCode.INVALID_ARGUMENT],
      ['docs.upsert(bad)', () => docs.upsert([{ id: '', vector: [1, 2] }]), ErrorCode.INVALID_ARGUMENT],
      ['docs.delete(bad)', () => docs.delete(undefined as never), ErrorCode.INVALID_ARGUMENT],
      ['docs.get(bad)', () => docs.get(undefined as never), ErrorCode.INVALID_ARGUMENT],
      ['docs.search(bad)', () => docs.search([1]), ErrorCode.DIMENSION_MISMATCH],
      ['docs.setTier(bad)', () => docs.setTier('lukewarm' as never), ErrorCode.INVALID_ARGUMENT],
      ['docs.compact(bad)', () => docs.compact(7 as never), ErrorCode.INVALID_ARGUMENT],
    ];
    for (const [what, action, code] of calls) {
      expect(await rejectionOf(what, action), what).toMatchObject({ code });
    }
    await store.close();
    const afterClose: Array<[string, () => unknown]> = [
      ['store.createCollection', () => store.createCollection({ name: 'x', dimension: 2 })],
      ['store.listCollections', () => store.listCollections()],
      ['store.dropCollection', () => store.dropCollection('docs')],
      ['store.replayDeadLetters', () => store.replayDeadLetters()],
      ['tenant.createCollection', () => tenant.createCollection({ name: 'x', dimension: 2 })],
      ['tenant.listCollections', () => tenant.listCollections()],
      ['docs.insert', () => docs.insert([{ id: 'a', vector: [1, 2] }])],
      ['docs.get', () => docs.get('a')],
      ['docs.search', () => docs.search([1, 2])],
      ['docs.flush', () => docs.flush()],
      ['docs.publish', () => docs.publish()],
      ['docs.pin', () => docs.pin()],
    ];
    for (const [what, action] of afterClose) {
      expect(await rejectionOf(`${what} after close`, action), what).toMatchObject({
        code: ErrorCode.CLOSED,
      });
    }
  });
});

describe('Store directory lock', () => {
  it('refuses a second open of the same directory in this process with LOCKED until the first closes', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    await expectTierVecError(() => openStore({ dir }), ErrorCode.LOCKED, 'this process');
    await store.close();
    const again = await openStore({ dir });
    await again.close();
  });

  it('refuses a directory locked by another live process with LOCKED', async () => {
    const dir = await temp.make();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'LOCK'), `${sleeper.pid}\n`);
      await expectTierVecError(() => openStore({ dir }), ErrorCode.LOCKED, `process ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
    }
    // Its owner is gone now: the lock is stale and taken over.
    const store = await openStore({ dir });
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await store.close();
  });
});

describe('Store search sanity', () => {
  it('answers a search right after a reopen of a collection that was never flushed', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    const docs = await store.createCollection({ name: 'docs', dimension: 6, metric: 'l2' });
    await docs.insert(Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, vector: seededVector(i, 6) })));
    await store.close();
    const reopened = await openStore({ dir });
    const hits = await reopened.collection('docs').search(seededVector(3, 6), { k: 1 });
    expect(hits[0]).toMatchObject({ id: 'd3', distance: 0 });
    await reopened.close();
  });
});
