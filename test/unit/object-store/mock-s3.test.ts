import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { isObjectStoreError } from '../../../src/object-store/object-store-error.ts';
import { MockS3ObjectStore, type MockS3Options } from '../../../src/object-store/testing/mock-s3.ts';
import { describeObjectStoreContract } from '../../helpers/object-store-contract.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Runs `count` puts one after another and returns each one's outcome ('ok' or the error code). */
async function outcomesOf(store: MockS3ObjectStore, count: number, operation: 'put' | 'get' = 'put') {
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      if (operation === 'put') await store.put(`k/${i}`, bytes('x'));
      else await store.get(`k/${i}`);
      outcomes.push('ok');
    } catch (error) {
      outcomes.push(isObjectStoreError(error) ? error.code : String(error));
    }
  }
  return outcomes;
}

async function settled<T>(promise: Promise<T>): Promise<{ done: boolean }> {
  const state = { done: false };
  promise.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

describe('MockS3ObjectStore semantics', () => {
  it('copies bodies in and out so callers cannot change stored bytes', async () => {
    const store = new MockS3ObjectStore();
    const body = bytes('abc');
    await store.put('a', body);
    body[0] = 0;
    const read = await store.get('a');
    read[1] = 0;
    expect(new TextDecoder().decode(await store.get('a'))).toBe('abc');
  });

  it('rejects a conditional put on an existing key with PreconditionFailed and keeps the first body', async () => {
    const store = new MockS3ObjectStore();
    await store.put('m/1', bytes('first'), { ifNoneMatch: '*' });
    const error = await store.put('m/1', bytes('second'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(isObjectStoreError(error, 'PreconditionFailed') && error.status === 412 && !error.retryable).toBe(
      true,
    );
    expect(new TextDecoder().decode(store.peek('m/1'))).toBe('first');
  });

  it('lets exactly one of two concurrent conditional puts win when both are in flight', async () => {
    const clock = new ManualClock(0);
    const store = new MockS3ObjectStore({ clock, latency: { fixedMs: 10 } });
    const results = Promise.allSettled([
      store.put('m/1', bytes('a'), { ifNoneMatch: '*' }),
      store.put('m/1', bytes('b'), { ifNoneMatch: '*' }),
    ]);
    await clock.advance(10);
    const states = (await results).map((r) =>
      r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code,
    );
    expect(states).toEqual(['ok', 'PreconditionFailed']);
    expect(new TextDecoder().decode(store.peek('m/1'))).toBe('a');
  });

  it('answers NoSuchKey for a missing get, undefined for a missing head, and deletes missing keys quietly', async () => {
    const store = new MockS3ObjectStore();
    const error = await store.get('nope').catch((e: unknown) => e);
    expect(isObjectStoreError(error, 'NoSuchKey') && error.status === 404 && error.key === 'nope').toBe(true);
    expect(await store.head('nope')).toBeUndefined();
    await expect(store.delete('nope')).resolves.toBeUndefined();
  });

  it('lists keys under a prefix in UTF-8 byte order, one request per page', async () => {
    const store = new MockS3ObjectStore({ listPageSizeMax: 2 });
    for (const key of ['p/b', 'p/a', 'p/\u{1f600}', 'p/\uffff', 'q/a', 'p/c'])
      await store.put(key, bytes(key));
    const keys: string[] = [];
    for await (const key of store.list('p/')) keys.push(key);
    expect(keys).toEqual(['p/a', 'p/b', 'p/c', 'p/\uffff', 'p/\u{1f600}']);
    expect(store.calls.filter((c) => c.operation === 'list').length).toBe(3);
  });

  it('rejects hostile keys with INVALID_KEY before recording a request', async () => {
    const store = new MockS3ObjectStore();
    for (const key of ['', '/abs', 'a/../b', 'a\\b', 'a\u0000b']) {
      const error = await store.put(key, bytes('x')).catch((e: unknown) => e);
      expect(isTierVecError(error, ErrorCode.INVALID_KEY), JSON.stringify(key)).toBe(true);
    }
    expect(store.calls).toEqual([]);
  });
});

describe('MockS3ObjectStore faults', () => {
  it('consumes a pattern in order on the matching operation, then succeeds', async () => {
    const store = new MockS3ObjectStore({
      failures: { pattern: ['SlowDown', 'ok', 'AccessDenied'], operations: ['put'] },
    });
    expect(await outcomesOf(store, 5)).toEqual(['SlowDown', 'ok', 'AccessDenied', 'ok', 'ok']);
    expect(await store.get('k/1').then(() => 'ok')).toBe('ok');
    expect(store.calls.map((c) => c.outcome)).toEqual(['SlowDown', 'ok', 'AccessDenied', 'ok', 'ok', 'ok']);
  });

  it('stores the object yet fails the put when its answer is lost, and a conditional retry then gets 412', async () => {
    const store = new MockS3ObjectStore({
      failures: { pattern: ['RequestTimeout'], operations: ['put'], answerLost: true },
    });
    const error = await store.put('k/1', bytes('v1'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(isObjectStoreError(error, 'RequestTimeout')).toBe(true);
    expect((error as Error).message).toContain('answer lost');
    expect(store.peek('k/1')).toEqual(bytes('v1'));
    // The caller's retry of the same conditional put finds the object its lost request stored.
    const retry = await store.put('k/1', bytes('v1'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(isObjectStoreError(retry, 'PreconditionFailed')).toBe(true);
    expect(store.calls.map((c) => c.outcome)).toEqual(['RequestTimeout', 'PreconditionFailed']);
  });

  it('deletes the object when a delete answer is lost, from a seeded flaky rule', async () => {
    const store = new MockS3ObjectStore({
      failures: { rate: 1, code: 'InternalError', operations: ['delete'], answerLost: true },
    });
    await store.put('k/1', bytes('v1'));
    const error = await store.delete('k/1').catch((e: unknown) => e);
    expect(isObjectStoreError(error, 'InternalError')).toBe(true);
    expect(store.peek('k/1')).toBeUndefined();
  });

  it('repeats a pattern when asked', async () => {
    const store = new MockS3ObjectStore({ failures: { pattern: ['InternalError', 'ok'], repeat: true } });
    expect(await outcomesOf(store, 5)).toEqual([
      'InternalError',
      'ok',
      'InternalError',
      'ok',
      'InternalError',
    ]);
  });

  it('gives identical outcomes call by call for the same seed and config, and different ones for another seed', async () => {
    const config = (seed: number): MockS3Options => ({
      seed,
      failures: [{ rate: 0.3, code: 'InternalError' }, { pattern: ['SlowDown', 'ok', 'SlowDown'] }],
    });
    const a = await outcomesOf(new MockS3ObjectStore(config(7)), 200);
    const b = await outcomesOf(new MockS3ObjectStore(config(7)), 200);
    const c = await outcomesOf(new MockS3ObjectStore(config(8)), 200);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    const failures = a.filter((o) => o === 'InternalError').length;
    // 200 draws at 0.3: the binomial standard deviation is about 6.5, so 30..90 is a safe band.
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(90);
  });

  it('fails everything while partitioned, recovers on heal, and heal also ends configured always-fail', async () => {
    const store = new MockS3ObjectStore({ failures: { always: 'ServiceUnavailable', operations: ['get'] } });
    await store.put('k/0', bytes('x'));
    expect(await outcomesOf(store, 1, 'get')).toEqual(['ServiceUnavailable']);
    store.partition('NetworkError');
    expect(store.partitioned).toBe(true);
    expect(await outcomesOf(store, 2)).toEqual(['NetworkError', 'NetworkError']);
    const error = await store.get('k/0').catch((e: unknown) => e);
    expect(isObjectStoreError(error, 'NetworkError') && error.status === 0 && error.retryable).toBe(true);
    store.heal();
    expect(await outcomesOf(store, 1, 'get')).toEqual(['ok']);
    expect(await outcomesOf(store, 2)).toEqual(['ok', 'ok']);
  });

  it('scopes a partition to operations and a key prefix', async () => {
    const store = new MockS3ObjectStore();
    store.partition('SlowDown', { operations: ['put'], keyPrefix: 'k/1' });
    expect(await outcomesOf(store, 3)).toEqual(['ok', 'SlowDown', 'ok']);
  });

  it('answers SlowDown beyond the per-prefix write rate and refills on the clock', async () => {
    const clock = new ManualClock(0);
    const store = new MockS3ObjectStore({ clock, rateLimit: { writesPerS: 10, readsPerS: 1000 } });
    expect(await outcomesOf(store, 12)).toEqual([...Array(10).fill('ok'), 'SlowDown', 'SlowDown']);
    await expect(store.put('other/x', bytes('x'))).resolves.toBeDefined();
    await expect(store.get('k/0')).resolves.toBeDefined();
    await clock.advance(100);
    expect(await outcomesOf(store, 2)).toEqual(['ok', 'SlowDown']);
  });

  it('defaults to S3 rates: 3,500 writes per second per prefix', async () => {
    const clock = new ManualClock(0);
    const store = new MockS3ObjectStore({ clock });
    const outcomes = await Promise.all(
      Array.from({ length: 3501 }, (_, i) =>
        store.put(`w/${i}`, bytes('')).then(
          () => 'ok',
          (e) => e.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok').length).toBe(3500);
    expect(outcomes[3500]).toBe('SlowDown');
  });

  it('holds every response until its latency has passed on the clock', async () => {
    const clock = new ManualClock(0);
    const store = new MockS3ObjectStore({ clock, latency: { fixedMs: 100 } });
    const put = store.put('a', bytes('x'));
    await clock.advance(99);
    expect((await settled(put)).done).toBe(false);
    expect(store.peek('a')).toBeUndefined();
    expect(store.inFlight('put')).toBe(1);
    await clock.advance(1);
    await put;
    expect(store.peek('a')).toBeDefined();
    expect(store.inFlight()).toBe(0);
  });

  it('draws the same seeded jitter for the same seed', async () => {
    const delays = async (seed: number) => {
      const clock = new ManualClock(0);
      const store = new MockS3ObjectStore({ clock, seed, latency: { fixedMs: 5, jitterMs: 50 } });
      const done: number[] = [];
      const puts = [0, 1, 2, 3].map((i) =>
        store.put(`k/${i}`, bytes('x')).then(() => done.push(clock.now())),
      );
      await clock.advance(60);
      await Promise.all(puts);
      return done;
    };
    const a = await delays(1);
    expect(await delays(1)).toEqual(a);
    expect(await delays(2)).not.toEqual(a);
    for (const t of a) expect(t).toBeGreaterThanOrEqual(5);
  });

  it('never touches a timer when latency is zero', async () => {
    const clock = new ManualClock(0);
    const store = new MockS3ObjectStore({ clock });
    await store.put('a', bytes('x'));
    await store.get('a');
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts in-flight requests per operation and the maximum reached', async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    const store = new MockS3ObjectStore({
      clock,
      latency: { fixedMs: 10 },
      onRequest: (call) => seen.push(call.seq),
    });
    const puts = [1, 2, 3].map((i) => store.put(`k/${i}`, bytes('x')));
    const get = store.get('k/9').catch(() => undefined);
    expect(store.inFlight('put')).toBe(3);
    expect(store.inFlight()).toBe(4);
    await clock.advance(10);
    await Promise.all([...puts, get]);
    expect(store.inFlightMax('put')).toBe(3);
    expect(store.inFlightMax()).toBe(4);
    expect(seen).toEqual([0, 1, 2, 3]);
    const stats = store.stats();
    expect(stats.byOperation.put).toMatchObject({ requests: 3, ok: 3, inFlight: 0, inFlightMax: 3 });
    expect(stats.byOutcome).toEqual({ ok: 3, NoSuchKey: 1 });
    expect(stats.objects).toBe(3);
  });

  it('rejects with the signal reason, records the call as aborted and stores nothing', async () => {
    const clock = new ManualClock(0);
    const store = new MockS3ObjectStore({ clock, latency: { fixedMs: 10 } });
    const controller = new AbortController();
    const put = store.put('a', bytes('x'), { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(put).rejects.toBe(controller.signal.reason);
    await clock.advance(20);
    expect(store.peek('a')).toBeUndefined();
    expect(store.calls.map((c) => c.outcome)).toEqual(['aborted']);
    await expect(store.get('a', { signal: controller.signal })).rejects.toBe(controller.signal.reason);
    expect(store.calls.length).toBe(1);
  });

  it('keeps only the last callHistoryMax calls', async () => {
    const store = new MockS3ObjectStore({ callHistoryMax: 3 });
    await outcomesOf(store, 10);
    expect(store.calls.map((c) => c.key)).toEqual(['k/7', 'k/8', 'k/9']);
    expect(store.stats().total.requests).toBe(10);
  });
});

describe('MockS3ObjectStore options', () => {
  const cases: [string, unknown][] = [
    ['seed', { seed: -1 }],
    ['latency.fixedMs', { latency: { fixedMs: -5 } }],
    ['latency.jitterMs', { latency: { jitterMs: Number.NaN } }],
    ['latency.fixed', { latency: { fixed: 5 } }],
    ['failures', { failures: { rate: 0.5, pattern: ['ok'], code: 'SlowDown' } }],
    ['failures[1].rate', { failures: [{ always: 'SlowDown' }, { rate: 2, code: 'SlowDown' }] }],
    ['failures.code', { failures: { rate: 0.1, code: 'Teapot' } }],
    ['failures.pattern[1]', { failures: { pattern: ['ok', 'Nope'] } }],
    ['failures.pattern', { failures: { pattern: [] } }],
    ['failures.operations[0]', { failures: { always: 'SlowDown', operations: ['copy'] } }],
    ['failures.operation', { failures: { always: 'SlowDown', operation: ['put'] } }],
    ['failures.answerLost', { failures: { pattern: ['SlowDown'], answerLost: 'yes' } }],
    ['failures.answerLost', { failures: { always: 'SlowDown', answerLost: true } }],
    ['rateLimit.writesPerS', { rateLimit: { writesPerS: 0 } }],
    ['listPageSizeMax', { listPageSizeMax: 0 }],
    ['clock', { clock: {} }],
    ['onRequest', { onRequest: 'yes' }],
    ['options.latencyMs', { latencyMs: 3 }],
  ];
  it.each(cases)('rejects a bad `%s` with INVALID_ARGUMENT naming it', (option, options) => {
    let error: unknown;
    try {
      new MockS3ObjectStore(options as MockS3Options);
    } catch (e) {
      error = e;
    }
    expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toContain(`\`${option}\``);
  });

  it('rejects a partition with an unknown code', () => {
    const store = new MockS3ObjectStore();
    expect(() => store.partition('Teapot' as 'SlowDown')).toThrow(/partition\(code\)/);
  });

  it('rejects a partition scope with an unknown key or a bad operation, naming it', () => {
    const store = new MockS3ObjectStore();
    for (const [scope, option] of [
      [{ operation: ['put'] }, 'partition.operation'],
      [{ operations: ['copy'] }, 'partition.operations[0]'],
    ] as const) {
      let error: unknown;
      try {
        store.partition('SlowDown', scope as never);
      } catch (caught) {
        error = caught;
      }
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), option).toBe(true);
      expect((error as Error).message).toContain(`\`${option}\``);
    }
    expect(store.partitioned).toBe(false);
  });

  it('turns rate limits off with rateLimit: false', async () => {
    const store = new MockS3ObjectStore({ clock: new ManualClock(0), rateLimit: false });
    const outcomes = await outcomesOf(store, 4000);
    expect(outcomes.every((o) => o === 'ok')).toBe(true);
  });
});

describeObjectStoreContract('MockS3ObjectStore', async () => ({ store: new MockS3ObjectStore() }), {
  largeBodyBytes: 3 * 1024 * 1024,
});

// Real-time jitter so that concurrent requests interleave and complete out of order.
describeObjectStoreContract(
  'MockS3ObjectStore with seeded jitter on the system clock',
  async () => ({ store: new MockS3ObjectStore({ seed: 3, latency: { fixedMs: 0, jitterMs: 2 } }) }),
  { largeBodyBytes: 1024 * 1024 },
);

describe('MockS3ObjectStore.clearFailures', () => {
  it('turns flaky, pattern and always rules off for good, while a later partition still fails requests', async () => {
    const mock = new MockS3ObjectStore({
      seed: 3,
      rateLimit: false,
      failures: [
        { rate: 1, code: 'InternalError' },
        { pattern: ['SlowDown'], operations: ['get'] },
        { always: 'AccessDenied', operations: ['delete'] },
      ],
    });
    await expect(mock.put('a/1', new Uint8Array([1]))).rejects.toMatchObject({ code: 'InternalError' });
    mock.clearFailures();
    await mock.put('a/1', new Uint8Array([1]));
    expect(await mock.get('a/1')).toEqual(new Uint8Array([1]));
    await mock.delete('a/1');
    mock.partition('NetworkError');
    await expect(mock.put('a/2', new Uint8Array([2]))).rejects.toMatchObject({ code: 'NetworkError' });
    mock.heal();
    await mock.put('a/2', new Uint8Array([2]));
    expect(mock.calls.map((call) => call.outcome)).toEqual([
      'InternalError',
      'ok',
      'ok',
      'ok',
      'NetworkError',
      'ok',
    ]);
  });
});

describe('MockS3ObjectStore.setFailures', () => {
  it('switches rules on at run time and replays the same faults for the same seed and calls', async () => {
    const outcomes = async () => {
      const mock = new MockS3ObjectStore({ seed: 9, rateLimit: false });
      for (let i = 0; i < 5; i++) await mock.put(`before/${i}`, new Uint8Array([i]));
      mock.setFailures({ rate: 0.5, code: 'InternalError' });
      for (let i = 0; i < 40; i++) await mock.put(`after/${i}`, new Uint8Array([i])).catch(() => undefined);
      return mock.calls.map((call) => call.outcome);
    };
    const first = await outcomes();
    expect(first.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(first.slice(5)).toContain('InternalError');
    expect(first.slice(5)).toContain('ok');
    expect(await outcomes()).toEqual(first);
  });

  it('rejects a bad rule with INVALID_ARGUMENT and keeps the rules it had', async () => {
    const mock = new MockS3ObjectStore({ seed: 1, rateLimit: false, failures: { always: 'AccessDenied' } });
    let error: unknown;
    try {
      mock.setFailures({ rate: 2, code: 'InternalError' });
    } catch (caught) {
      error = caught;
    }
    expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    await expect(mock.put('k', new Uint8Array([1]))).rejects.toMatchObject({ code: 'AccessDenied' });
  });
});
