import { describe, expect, it } from 'vitest';
import { type Clock, ManualClock, systemClock, type TimerHandle } from '../../../../src/clock.ts';
import { ErrorCode, isTierVecError, type TierVecError } from '../../../../src/errors.ts';
import type { ObjectStore, PutOptions } from '../../../../src/object-store/object-store.ts';
import { ObjectStoreError } from '../../../../src/object-store/object-store-error.ts';
import { MockS3ObjectStore } from '../../../../src/object-store/testing/mock-s3.ts';
import { decodeLease, encodeLease, LEASE_KEY } from '../../../../src/storage/lease/lease-record.ts';
import { WriterLease } from '../../../../src/storage/lease/writer-lease.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import { openStore } from '../../../../src/storage/store.ts';
import type { StoreOptions } from '../../../../src/storage/store-options.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const dirs = useTempDirs('tiervec-lease-');
const DIM = 4;
const doc = (i: number) => ({ id: `d${i}`, vector: seededVector(i, DIM) });

/** A writer's view of the object store with the lease object (and, when asked, manifests) cut off. */
class LeaseCutOff implements ObjectStore {
  cut = false;
  cutManifests = false;
  cutSegments = false;
  constructor(readonly inner: ObjectStore) {}
  put(key: string, body: Uint8Array, options?: PutOptions) {
    if (
      (this.cut && key === LEASE_KEY) ||
      (this.cutManifests && key.includes('/manifest/')) ||
      (this.cutSegments && key.includes('/segments/'))
    ) {
      return Promise.reject(new ObjectStoreError('AccessDenied', 'cut off'));
    }
    return this.inner.put(key, body, options);
  }
  get = (key: string) => this.inner.get(key);
  head = (key: string) => this.inner.head(key);
  delete = (key: string) => this.inner.delete(key);
  list = (prefix: string) => this.inner.list(prefix);
}

/** Opens a leased writer on a new directory, retrying while the previous holder's lease is live. */
async function openWhenFree(objectStore: ObjectStore, clock: Clock = systemClock) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStore({
        dir: await dirs.make(),
        objectStore,
        durability: 'object-store',
        lease: true,
        clock,
      });
    } catch (error) {
      if (!isTierVecError(error, ErrorCode.LEASE_HELD) || attempt > 200) throw error;
      await systemClock.sleep(25);
    }
  }
}

/** Real time plus an offset the test moves forward; timers are real. */
class JumpClock implements Clock {
  offsetMs = 0;
  now = () => systemClock.now() + this.offsetMs;
  setTimeout = (callback: () => void, delayMs: number) => systemClock.setTimeout(callback, delayMs);
  clearTimeout = (handle: TimerHandle) => systemClock.clearTimeout(handle);
  sleep = (delayMs: number, signal?: AbortSignal) => systemClock.sleep(delayMs, signal);
}

/**
 * A leased writer (lease of 10 s, 'object-store' durability) whose view of the mock can be cut off,
 * on real timers and a time that jumps: its lease lapses when the test says, not when a busy machine
 * stalls the event loop.
 */
async function leasedWriter(options: Partial<StoreOptions> = {}) {
  const mock = new MockS3ObjectStore();
  const cutOff = new LeaseCutOff(mock);
  const clock = new JumpClock();
  const old = await openStore({
    dir: await dirs.make(),
    objectStore: cutOff,
    durability: 'object-store',
    lease: { durationMs: 10_000 },
    clock,
    onWarning: () => undefined,
    ...options,
  });
  return { mock, cutOff, clock, old };
}

async function outcome(promise: Promise<WriterLease>): Promise<WriterLease | TierVecError> {
  return promise.catch((error: TierVecError) => error);
}

describe('WriterLease', () => {
  it('lets exactly one of two racing writers win, over 100 seeded trials (with and without an expired lease)', async () => {
    for (let seed = 1; seed <= 100; seed++) {
      const objectStore = new MockS3ObjectStore({ seed, latency: { fixedMs: 0, jitterMs: 3 } });
      const expired = seed % 2 === 0;
      if (expired) {
        const old = {
          format: 1,
          holder: 'old',
          term: 7,
          durationMs: 1000,
          renewedAtMs: 0,
          expiresAtMs: 1000,
        } as const;
        await objectStore.put(LEASE_KEY, encodeLease(old));
      }
      const results = await Promise.all(
        ['a', 'b'].map((holder) => outcome(WriterLease.acquire({ objectStore, clock: systemClock, holder }))),
      );
      const winners = results.filter((result): result is WriterLease => result instanceof WriterLease);
      expect(winners.length, `seed ${seed}`).toBe(1);
      const loser = results.find((result) => !(result instanceof WriterLease));
      expect(isTierVecError(loser, ErrorCode.LEASE_HELD), `seed ${seed}: ${String(loser)}`).toBe(true);
      const stored = decodeLease(await objectStore.get(LEASE_KEY));
      expect(stored).toMatchObject({ holder: winners[0]?.holder, term: expired ? 8 : 1 });
      await winners[0]?.release();
    }
  });

  it('renews in the background, so a second writer stays refused while the holder lives', async () => {
    const clock = new ManualClock();
    const objectStore = new MockS3ObjectStore();
    const lease = await WriterLease.acquire({ objectStore, clock, durationMs: 3_000, holder: 'a' });
    for (let i = 0; i < 10; i++) await clock.advance(1_000);
    expect(lease.stats()).toMatchObject({ renewals: expect.any(Number), lost: false, term: 1 });
    expect(lease.stats().renewals).toBeGreaterThanOrEqual(3);
    expect(() => lease.check()).not.toThrow();
    await expectTierVecError(
      () => WriterLease.acquire({ objectStore, clock, durationMs: 3_000, holder: 'b' }),
      ErrorCode.LEASE_HELD,
    );
    await lease.release();
    const next = await WriterLease.acquire({ objectStore, clock, holder: 'b' });
    expect(next.term).toBe(2);
    await next.release();
  });

  it('lapses when renewals fail; another writer takes over after expiry; the old holder learns it lost', async () => {
    const clock = new ManualClock();
    const mock = new MockS3ObjectStore();
    const cutOff = new LeaseCutOff(mock);
    const lost: TierVecError[] = [];
    const old = await WriterLease.acquire({
      objectStore: cutOff,
      clock,
      durationMs: 3_000,
      holder: 'a',
      onLost: (error) => lost.push(error),
    });
    cutOff.cut = true;
    await clock.advance(2_000);
    expect(() => old.check()).not.toThrow();
    await clock.advance(500);
    // A fifth of the duration before the others may take over, the holder stops writing.
    await expectTierVecError(() => old.check(), ErrorCode.LEASE_LOST);
    await expectTierVecError(
      () => WriterLease.acquire({ objectStore: mock, clock, holder: 'b' }),
      ErrorCode.LEASE_HELD,
    );
    await clock.advance(600);
    const next = await WriterLease.acquire({ objectStore: mock, clock, holder: 'b', durationMs: 3_000 });
    expect(next.term).toBe(2);
    cutOff.cut = false;
    await old.renew();
    expect(lost.map((error) => error.code)).toEqual([ErrorCode.LEASE_LOST]);
    expect(old.stats().lost).toBe(true);
    await old.release();
    expect(decodeLease(await mock.get(LEASE_KEY))).toMatchObject({ holder: 'b', term: 2 });
    await next.release();
  });

  it('refuses a damaged lease object with CORRUPT_DATA', async () => {
    const objectStore = new MockS3ObjectStore();
    await objectStore.put(LEASE_KEY, new TextEncoder().encode('{"format":1,"holder":"x","term":-1}'));
    await expectTierVecError(
      () => WriterLease.acquire({ objectStore, clock: systemClock }),
      ErrorCode.CORRUPT_DATA,
      LEASE_KEY,
    );
  });
});

describe('openStore({ lease })', () => {
  it('refuses a second writer with LEASE_HELD and lets the next one in at once after close', async () => {
    const objectStore = new MockS3ObjectStore();
    const first = await openStore({ dir: await dirs.make(), objectStore, lease: true });
    expect(first.stats().lease).toMatchObject({ term: 1, lost: false });
    const otherDir = await dirs.make();
    await expectTierVecError(
      () => openStore({ dir: otherDir, objectStore, lease: true }),
      ErrorCode.LEASE_HELD,
    );
    await first.close();
    const second = await openStore({ dir: await dirs.make(), objectStore, lease: { durationMs: 5_000 } });
    expect(second.stats().lease).toMatchObject({ term: 2, durationMs: 5_000 });
    await second.close();
  });

  it('rejects a lease without objectStore, and a bad duration, with INVALID_ARGUMENT', async () => {
    await expectTierVecError(() => openStore({ dir: 'x', lease: true }), ErrorCode.INVALID_ARGUMENT, 'lease');
    await expectTierVecError(
      () => openStore({ dir: 'x', objectStore: new MockS3ObjectStore(), lease: { durationMs: 10 } }),
      ErrorCode.INVALID_ARGUMENT,
      'lease.durationMs',
    );
    await expectTierVecError(
      () => openStore({ dir: 'x', objectStore: new MockS3ObjectStore(), lease: 'yes' as never }),
      ErrorCode.INVALID_ARGUMENT,
      'lease',
    );
  });

  it('fences a writer whose lease lapsed: writes refused, publish MANIFEST_CONFLICT, nothing acknowledged lost', async () => {
    const { mock, cutOff, clock, old } = await leasedWriter();
    const docs = await old.createCollection({ name: 'docs', dimension: DIM });
    await docs.insert([doc(0), doc(1)]);
    await docs.flush();
    const acknowledged = ['d0', 'd1'];
    for (let i = 2; i < 40; i++) {
      await docs.insert([doc(i)]);
      acknowledged.push(`d${i}`);
    }
    // A seal whose publish fails while the lease is valid: its publish comes late, after the lease.
    cutOff.cutManifests = true;
    await docs.flush();
    expect(docs.stats().tiering.remote.pending).toBe(true);
    cutOff.cut = true;
    clock.offsetMs += 8_500;
    await expectTierVecError(() => docs.insert([doc(999)]), ErrorCode.LEASE_LOST);
    clock.offsetMs += 2_000;
    const next = await openWhenFree(mock, clock);
    expect(next.stats().lease?.term).toBe(2);
    const taken = next.collection('docs');
    for (const id of acknowledged) expect(await taken.get(id), id).toMatchObject({ id });
    expect(taken.count()).toBe(40);
    cutOff.cutManifests = false;
    await expectTierVecError(() => docs.publish(), ErrorCode.MANIFEST_CONFLICT);
    const layout = new RemoteLayout('default', 'docs');
    const manifests = mock.keys().filter((key) => layout.manifestVersionOf(key) !== undefined);
    const newest = JSON.parse(new TextDecoder().decode(await mock.get(manifests.at(-1) as string)));
    expect(newest.leaseTerm).toBe(2);
    await next.close();
    await old.close();
  });

  it('answers a late publish that still has segment files to upload with MANIFEST_CONFLICT, uploading nothing', async () => {
    const { mock, cutOff, clock, old } = await leasedWriter({ uploads: { retry: { attemptsMax: 1 } } });
    const docs = await old.createCollection({ name: 'docs', dimension: DIM });
    for (let i = 0; i < 20; i++) await docs.insert([doc(i)]);
    // The seal's segment files never reach the object store while the lease is valid.
    cutOff.cutSegments = true;
    await docs.flush();
    expect(docs.stats().tiering.remote.pending).toBe(true);
    cutOff.cut = true;
    clock.offsetMs += 10_500;
    const next = await openWhenFree(mock, clock);
    expect(next.collection('docs').count()).toBe(20);
    cutOff.cutSegments = false;
    const segmentsBefore = mock.keys().filter((key) => key.includes('/segments/'));
    await expectTierVecError(() => docs.publish(), ErrorCode.MANIFEST_CONFLICT, 'lease');
    expect(mock.keys().filter((key) => key.includes('/segments/'))).toEqual(segmentsBefore);
    await next.close();
    await old.close();
  });
});
