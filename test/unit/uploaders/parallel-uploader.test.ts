import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, yieldToEventLoop } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import type { ObjectStoreError } from '../../../src/object-store/object-store-error.ts';
import { ParallelUploader, type ParallelUploaderOptions } from '../../../src/uploaders/parallel-uploader.ts';
import { FakeObjectStore } from './fake-object-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiervec-pu-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const body = (n: number) => new Uint8Array([n, n, n]);

function make(store: FakeObjectStore, options: Partial<ParallelUploaderOptions> = {}) {
  const clock = new ManualClock(0);
  const uploader = new ParallelUploader({
    objectStore: store,
    deadLetterDir: join(dir, 'dlq'),
    clock,
    seed: 1,
    retry: { attemptsMax: 3, delayMsBase: 10, delayMsMax: 100 },
    ...options,
  });
  return { uploader, clock };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('ParallelUploader options', () => {
  it('checks concurrencyMax is an integer from 1 to 256 with a message naming it', async () => {
    const store = new FakeObjectStore();
    for (const [value, shown] of [
      [0, '0'],
      [257, '257'],
      [1.5, '1.5'],
      ['4', '"4"'],
    ] as const) {
      const error = await errorOf(() => make(store, { concurrencyMax: value as number }));
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
      expect((error as Error).message).toBe(
        `Expected \`concurrencyMax\` to be an integer from 1 to 256, got ${shown}`,
      );
    }
    expect(make(store, { concurrencyMax: 256 }).uploader.concurrencyMax).toBe(256);
  });

  it('rejects unknown options, a missing store or dead-letter directory, and bad nested options', async () => {
    const store = new FakeObjectStore();
    const cases: unknown[] = [
      { objectStore: store, deadLetterDir: dir, concurency: 5 },
      { deadLetterDir: dir },
      { objectStore: store },
      { objectStore: store, deadLetterDir: dir, retry: { attemptsMax: 0 } },
      { objectStore: store, deadLetterDir: dir, circuitBreaker: { cooldownMs: -5 } },
      { objectStore: store, deadLetterDir: dir, queuedMax: -1 },
      { objectStore: store, deadLetterDir: dir, deadLettersMax: 0 },
    ];
    for (const options of cases) {
      const error = await errorOf(() => new ParallelUploader(options as ParallelUploaderOptions));
      expect(
        isTierVecError(error, ErrorCode.INVALID_ARGUMENT),
        JSON.stringify(Object.keys(options as object)),
      ).toBe(true);
    }
  });
});

describe('ParallelUploader.upload', () => {
  it('uploads and reports attempts, counts and bytes', async () => {
    const store = new FakeObjectStore();
    const { uploader } = make(store);
    expect(await uploader.upload('a/1', body(1))).toEqual({ state: 'uploaded', key: 'a/1', attempts: 1 });
    expect(store.objects.get('a/1')).toEqual(body(1));
    expect(uploader.stats()).toMatchObject({
      uploaded: 1,
      bytesUploaded: 3,
      retried: 0,
      inFlight: 0,
      queued: 0,
    });
  });

  it('rejects a bad key with INVALID_KEY and a bad body with INVALID_ARGUMENT, sending nothing', async () => {
    const store = new FakeObjectStore();
    const { uploader } = make(store);
    expect(isTierVecError(await errorOf(() => uploader.upload('', body(1))), ErrorCode.INVALID_KEY)).toBe(
      true,
    );
    const notBytes = 'text' as unknown as Uint8Array;
    expect(
      isTierVecError(await errorOf(() => uploader.upload('k', notBytes)), ErrorCode.INVALID_ARGUMENT),
    ).toBe(true);
    expect(store.puts).toEqual([]);
  });

  it('keeps at most concurrencyMax in flight and starts the queued ones in arrival order', async () => {
    const store = new FakeObjectStore();
    const gates = new Map<string, ReturnType<typeof deferred>>();
    store.behaviour = (key) => {
      const gate = deferred();
      gates.set(key, gate);
      return { until: gate.promise };
    };
    const { uploader } = make(store, { concurrencyMax: 2 });
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const results = keys.map((key, i) => uploader.upload(key, body(i)));
    await yieldToEventLoop();
    expect(store.puts.map((put) => put.key)).toEqual(['k0', 'k1']);
    expect(uploader.stats()).toMatchObject({ inFlight: 2, queued: 3 });
    // Finishing k1 (not the oldest) frees one slot, which goes to the oldest queued upload.
    gates.get('k1')!.resolve();
    await yieldToEventLoop();
    expect(store.puts.map((put) => put.key)).toEqual(['k0', 'k1', 'k2']);
    gates.get('k0')!.resolve();
    await yieldToEventLoop();
    expect(store.puts.map((put) => put.key)).toEqual(['k0', 'k1', 'k2', 'k3']);
    gates.get('k2')!.resolve();
    await yieldToEventLoop();
    gates.get('k3')!.resolve();
    gates.get('k4')!.resolve();
    expect((await Promise.all(results)).map((r) => r.state)).toEqual(Array(5).fill('uploaded'));
    expect(store.puts.map((put) => put.key)).toEqual(keys);
    expect(store.inFlightMax).toBe(2);
  });

  it('rejects with RATE_LIMITED when queuedMax uploads already wait, and the others still complete', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = () => ({ until: gate.promise });
    const { uploader } = make(store, { concurrencyMax: 1, queuedMax: 1 });
    const first = uploader.upload('a', body(1));
    const second = uploader.upload('b', body(2));
    const error = await errorOf(() => uploader.upload('c', body(3)));
    expect(isTierVecError(error, ErrorCode.RATE_LIMITED)).toBe(true);
    gate.resolve();
    expect((await first).state).toBe('uploaded');
    expect((await second).state).toBe('uploaded');
    expect(store.puts.map((put) => put.key)).toEqual(['a', 'b']);
    expect(uploader.stats().failed).toBe(1);
  });

  it('rejects with the signal reason when aborted while queued, and never sends that upload', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = () => ({ until: gate.promise });
    const { uploader } = make(store, { concurrencyMax: 1 });
    const first = uploader.upload('a', body(1));
    const controller = new AbortController();
    const second = uploader.upload('b', body(2), { signal: controller.signal });
    controller.abort(new Error('not needed'));
    await expect(second).rejects.toThrow('not needed');
    gate.resolve();
    await first;
    expect(store.puts.map((put) => put.key)).toEqual(['a']);
    expect(await uploader.deadLetters.list()).toEqual([]);
  });

  it('abandons an attempt after attemptTimeoutMs on the clock as a retryable RequestTimeout', async () => {
    const store = new FakeObjectStore();
    store.behaviour = (_key, attempt) => (attempt === 1 ? 'hang' : 'ok');
    const retries: [string, number][] = [];
    const { uploader, clock } = make(store, {
      attemptTimeoutMs: 1_000,
      onRetry: (event) => retries.push([(event.error as ObjectStoreError).code, event.delayMs]),
    });
    const result = uploader.upload('slow', body(1));
    await clock.advance(999);
    expect(retries).toEqual([]);
    await clock.advance(1);
    expect(retries).toHaveLength(1);
    expect(retries[0]![0]).toBe('RequestTimeout');
    await clock.advance(retries[0]![1]);
    expect(await result).toEqual({ state: 'uploaded', key: 'slow', attempts: 2 });
    expect(store.puts).toHaveLength(2);
    expect(store.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts a create-only retry that finds its own bytes as uploaded (the first answer was lost)', async () => {
    const store = new FakeObjectStore();
    store.behaviour = (_key, attempt) => (attempt === 1 ? { landThenFail: 'NetworkError' } : 'ok');
    const { uploader, clock } = make(store);
    const result = uploader.upload('wal/1', body(5), { ifNoneMatch: '*' });
    await clock.runAll();
    expect(await result).toEqual({ state: 'uploaded', key: 'wal/1', attempts: 2 });
    expect(store.puts).toEqual([
      { key: 'wal/1', ifNoneMatch: true },
      { key: 'wal/1', ifNoneMatch: true },
    ]);
  });

  it('dead-letters a create-only upload that finds different bytes, without overwriting them', async () => {
    const store = new FakeObjectStore();
    store.objects.set('wal/1', body(9));
    const { uploader } = make(store);
    const result = await uploader.upload('wal/1', body(5), { ifNoneMatch: '*' });
    expect(result).toMatchObject({
      state: 'dead-lettered',
      attempts: 1,
      error: { code: 'PreconditionFailed' },
    });
    expect(store.objects.get('wal/1')).toEqual(body(9));
  });

  it('counts a create-only first attempt that finds the same bytes as uploaded (an earlier process put them)', async () => {
    const store = new FakeObjectStore();
    store.objects.set('segments/1.arrow', body(5));
    const { uploader } = make(store);
    expect(await uploader.upload('segments/1.arrow', body(5), { ifNoneMatch: '*' })).toEqual({
      state: 'uploaded',
      key: 'segments/1.arrow',
      attempts: 1,
    });
  });

  it('replays a dead-lettered create-only upload create-only: it never overwrites what another writer put meanwhile', async () => {
    const store = new FakeObjectStore();
    store.behaviour = () => ({ fail: 'AccessDenied' });
    const { uploader } = make(store);
    expect((await uploader.upload('segments/2.arrow', body(5), { ifNoneMatch: '*' })).state).toBe(
      'dead-lettered',
    );
    const [entry] = await uploader.deadLetters.list();
    expect(entry).toMatchObject({ key: 'segments/2.arrow', createOnly: true });
    store.behaviour = () => 'ok';
    store.objects.set('segments/2.arrow', body(9));
    const [outcome] = await uploader.deadLetters.replay();
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'PreconditionFailed' } });
    expect(store.objects.get('segments/2.arrow')).toEqual(body(9));
    expect(store.puts.at(-1)).toEqual({ key: 'segments/2.arrow', ifNoneMatch: true });
  });

  it('dead-letters a permanent error after one attempt, keeping key, body and error on disk', async () => {
    const store = new FakeObjectStore();
    store.behaviour = () => ({ fail: 'AccessDenied' });
    const { uploader } = make(store);
    const result = await uploader.upload('k', body(4));
    expect(result).toMatchObject({
      state: 'dead-lettered',
      key: 'k',
      attempts: 1,
      error: { code: 'AccessDenied' },
    });
    const [entry] = await uploader.deadLetters.list();
    expect(entry).toMatchObject({ key: 'k', attempts: 1, error: { code: 'AccessDenied', status: 403 } });
    expect((await uploader.deadLetters.read(entry!.id)).body).toEqual(body(4));
    expect(uploader.stats()).toMatchObject({ deadLettered: 1, retried: 0 });
  });

  it('rejects with DEAD_LETTER_FULL when a failed upload cannot be kept, and counts it as failed', async () => {
    const store = new FakeObjectStore();
    store.behaviour = () => ({ fail: 'AccessDenied' });
    const { uploader } = make(store, { deadLettersMax: 1 });
    expect((await uploader.upload('a', body(1))).state).toBe('dead-lettered');
    const error = await errorOf(() => uploader.upload('b', body(2)));
    expect(isTierVecError(error, ErrorCode.DEAD_LETTER_FULL)).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: 'AccessDenied' });
    expect(uploader.stats()).toMatchObject({ deadLettered: 1, failed: 1 });
  });

  it('fails fast with CIRCUIT_OPEN once the breaker opens and dead-letters with that code', async () => {
    const store = new FakeObjectStore();
    store.behaviour = () => ({ fail: 'InternalError' });
    const { uploader, clock } = make(store, { circuitBreaker: { failuresMax: 2, cooldownMs: 60_000 } });
    const result = uploader.upload('k', body(1));
    await clock.runAll();
    expect(await result).toMatchObject({
      state: 'dead-lettered',
      attempts: 3,
      error: { code: 'CIRCUIT_OPEN' },
    });
    expect(store.puts).toHaveLength(2);
    expect(uploader.circuitBreaker.state).toBe('open');
    expect(uploader.stats().circuitBreaker).toEqual({ state: 'open', opened: 1, rejected: 1 });
  });
});

describe('ParallelUploader.enqueue / flushAllParallel', () => {
  it('returns every outcome in enqueue order, after every upload ended, never rejecting', async () => {
    const store = new FakeObjectStore();
    store.behaviour = (key) => (key.startsWith('bad') ? { fail: 'AccessDenied' } : 'ok');
    const { uploader } = make(store, { concurrencyMax: 2, deadLettersMax: 1 });
    for (const key of ['a', 'bad1', 'b', 'bad2', 'c']) uploader.enqueue(key, body(1));
    expect(uploader.stats().queued).toBe(5);
    const outcomes = await uploader.flushAllParallel();
    expect(outcomes.map((o) => [o.key, o.state])).toEqual([
      ['a', 'uploaded'],
      ['bad1', 'dead-lettered'],
      ['b', 'uploaded'],
      ['bad2', 'failed'],
      ['c', 'uploaded'],
    ]);
    expect(isTierVecError((outcomes[3] as { error: unknown }).error, ErrorCode.DEAD_LETTER_FULL)).toBe(true);
    expect(store.inFlight).toBe(0);
    expect(uploader.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    expect(await uploader.flushAllParallel()).toEqual([]);
  });

  it('waits for uploads already running when called, but not for uploads started after it', async () => {
    const store = new FakeObjectStore();
    const before = deferred();
    const after = deferred();
    store.behaviour = (key) =>
      key === 'before' ? { until: before.promise } : key === 'after' ? { until: after.promise } : 'ok';
    const { uploader } = make(store);
    const running = uploader.upload('before', body(1));
    uploader.enqueue('queued', body(2));
    let flushed = false;
    const flushing = uploader.flushAllParallel().then((outcomes) => {
      flushed = true;
      return outcomes;
    });
    const late = uploader.upload('after', body(3));
    await yieldToEventLoop();
    expect(flushed).toBe(false);
    before.resolve();
    expect((await flushing).map((o) => o.key)).toEqual(['queued']);
    expect((await running).state).toBe('uploaded');
    expect(uploader.stats().inFlight).toBe(1);
    after.resolve();
    expect((await late).state).toBe('uploaded');
  });

  it('refuses to enqueue past queuedMax with RATE_LIMITED', () => {
    const { uploader } = make(new FakeObjectStore(), { queuedMax: 2 });
    uploader.enqueue('a', body(1));
    uploader.enqueue('b', body(1));
    let error: unknown;
    try {
      uploader.enqueue('c', body(1));
    } catch (caught) {
      error = caught;
    }
    expect(isTierVecError(error, ErrorCode.RATE_LIMITED)).toBe(true);
    expect(uploader.stats().queued).toBe(2);
  });
});

describe('ParallelUploader.deadLetters.replay', () => {
  it('removes an entry only after its upload succeeded and records a failed replay in the entry', async () => {
    const store = new FakeObjectStore();
    let denied = true;
    store.behaviour = (key) => (denied || key === 'still-bad' ? { fail: 'AccessDenied' } : 'ok');
    const { uploader } = make(store);
    await uploader.upload('good', body(1));
    await uploader.upload('still-bad', body(2));
    denied = false;
    const outcomes = await uploader.deadLetters.replay();
    expect(outcomes.map((o) => [o.key, o.state, o.attempts])).toEqual([
      ['good', 'uploaded', 1],
      ['still-bad', 'failed', 1],
    ]);
    expect(store.objects.get('good')).toEqual(body(1));
    const left = await uploader.deadLetters.list();
    expect(left).toMatchObject([{ key: 'still-bad', attempts: 2, replays: 1 }]);
    expect(uploader.stats()).toMatchObject({ replayed: 1, uploaded: 1 });
    expect(await uploader.deadLetters.purge()).toBe(1);
  });
  it('replays around a damaged entry, which fails alone with CORRUPT_DATA and still counts toward the limit', async () => {
    const store = new FakeObjectStore();
    let denied = true;
    store.behaviour = () => (denied ? { fail: 'AccessDenied' } : 'ok');
    const { uploader } = make(store, { deadLettersMax: 3 });
    for (const key of ['a', 'b', 'c']) await uploader.upload(key, body(1));
    const [, middle] = await uploader.deadLetters.list();
    await writeFile(join(dir, 'dlq', `${middle!.id}.dlq`), 'garbage');

    // A new uploader on the same directory opens despite the damaged entry, and counts it.
    const { uploader: next } = make(store, { deadLettersMax: 3 });
    const full = await errorOf(() => next.upload('d', body(2)));
    expect(isTierVecError(full, ErrorCode.DEAD_LETTER_FULL)).toBe(true);
    denied = false;
    const outcomes = await next.deadLetters.replay();
    expect(outcomes.map((o) => [o.key, o.state])).toEqual([
      ['a', 'uploaded'],
      [undefined, 'failed'],
      ['c', 'uploaded'],
    ]);
    expect(isTierVecError((outcomes[1] as { error: unknown }).error, ErrorCode.CORRUPT_DATA)).toBe(true);
    expect(await next.deadLetters.size()).toBe(1);
  });

  it('reports the entries not replayed when aborted as failed with the reason, and keeps them', async () => {
    const store = new FakeObjectStore();
    store.behaviour = () => ({ fail: 'AccessDenied' });
    const { uploader } = make(store);
    for (const key of ['a', 'b']) await uploader.upload(key, body(1));
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const outcomes = await uploader.deadLetters.replay({ signal: controller.signal });
    expect(outcomes.map((o) => [o.state, (o as { error: Error }).error.message])).toEqual([
      ['failed', 'shutting down'],
      ['failed', 'shutting down'],
    ]);
    expect(await uploader.deadLetters.size()).toBe(2);
  });
});

describe('ParallelUploader.close', () => {
  it('uploads what is pending, waits for what runs, then refuses new work with CLOSED', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = (key) => (key === 'slow' ? { until: gate.promise } : 'ok');
    const { uploader } = make(store);
    const slow = uploader.upload('slow', body(1));
    uploader.enqueue('pending', body(2));
    let closed = false;
    const closing = uploader.close().then(() => {
      closed = true;
    });
    await yieldToEventLoop();
    expect(closed).toBe(false);
    expect(isTierVecError(await errorOf(() => uploader.upload('late', body(3))), ErrorCode.CLOSED)).toBe(
      true,
    );
    expect(() => uploader.enqueue('late', body(3))).toThrow(
      expect.objectContaining({ code: ErrorCode.CLOSED }),
    );
    gate.resolve();
    await closing;
    expect((await slow).state).toBe('uploaded');
    expect([...store.objects.keys()].sort()).toEqual(['pending', 'slow']);
  });
});

describe('ParallelUploader with a body function', () => {
  it('calls the function once, only when the upload is granted its slot', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = (key) => (key === 'first' ? { until: gate.promise } : 'ok');
    const { uploader } = make(store, { concurrencyMax: 1 });
    const calls: string[] = [];
    const first = uploader.upload('first', () => {
      calls.push('first');
      return body(1);
    });
    const second = uploader.upload('second', () => {
      calls.push('second');
      return body(2);
    });
    await yieldToEventLoop();
    expect(calls).toEqual(['first']);
    gate.resolve();
    expect(await first).toMatchObject({ state: 'uploaded', key: 'first' });
    expect(await second).toMatchObject({ state: 'uploaded', key: 'second' });
    expect(calls).toEqual(['first', 'second']);
    expect(store.objects.get('second')).toEqual(body(2));
  });

  it('sends the same bytes on every retry without calling the function again', async () => {
    const store = new FakeObjectStore();
    store.behaviour = (_key, attempt) => (attempt <= 2 ? { fail: 'SlowDown' } : 'ok');
    const { uploader, clock } = make(store);
    let calls = 0;
    const result = uploader.upload('k', () => {
      calls++;
      return body(calls);
    });
    await clock.runAll();
    expect(await result).toMatchObject({ state: 'uploaded', attempts: 3 });
    expect(calls).toBe(1);
    expect(store.puts.map((put) => put.key)).toEqual(['k', 'k', 'k']);
    expect(store.objects.get('k')).toEqual(body(1));
  });

  it('rejects with the error the function threw, counts it as failed and puts nothing', async () => {
    const store = new FakeObjectStore();
    const { uploader } = make(store);
    const thrown = new Error('encoding failed');
    const error = await errorOf(() =>
      uploader.upload('k', () => {
        throw thrown;
      }),
    );
    expect(error).toBe(thrown);
    expect(uploader.stats().failed).toBe(1);
    expect(store.puts).toEqual([]);
  });

  it('never calls the function of a queued upload whose signal aborts before it gets a slot', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = () => ({ until: gate.promise });
    const { uploader } = make(store, { concurrencyMax: 1 });
    const running = uploader.upload('running', body(1));
    const controller = new AbortController();
    let called = false;
    const queued = uploader.upload(
      'queued',
      () => {
        called = true;
        return body(2);
      },
      { signal: controller.signal },
    );
    await yieldToEventLoop();
    controller.abort();
    expect(await errorOf(() => queued)).toBe(controller.signal.reason);
    gate.resolve();
    await running;
    expect(called).toBe(false);
    expect(store.puts.map((put) => put.key)).toEqual(['running']);
  });

  it('rejects a body that is neither bytes nor a function with INVALID_ARGUMENT', async () => {
    const store = new FakeObjectStore();
    const { uploader } = make(store);
    const error = await errorOf(() => uploader.upload('k', 'text' as unknown as Uint8Array));
    expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
  });
});
