import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, yieldToEventLoop } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError, type TierVecError } from '../../../src/errors.ts';
import { ObjectStoreError } from '../../../src/storage/object-store/object-store-error.ts';
import { decodeBatch } from '../../../src/uploaders/batch-codec.ts';
import { BatchUploader, type BatchUploaderOptions } from '../../../src/uploaders/batch-uploader.ts';
import { ParallelUploader } from '../../../src/uploaders/parallel-uploader.ts';
import { FakeObjectStore } from './fake-object-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiervec-bu-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function make(store: FakeObjectStore, options: Partial<BatchUploaderOptions> = {}) {
  const clock = new ManualClock(0);
  const batches = new BatchUploader({
    objectStore: store,
    deadLetterDir: join(dir, 'dlq'),
    clock,
    seed: 1,
    batchSizeMax: 3,
    waitMsMax: 50,
    retry: { attemptsMax: 2, delayMsBase: 10, delayMsMax: 10 },
    ...options,
  });
  return { batches, clock };
}

const doc = (id: string, vector: number[] = [1, 2]) => ({ id, vector });

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

function rows(store: FakeObjectStore, key: string): string[] {
  return decodeBatch(store.objects.get(key)!).documents.map((d) => d.id);
}

describe('BatchUploader options', () => {
  it('rejects bad options with INVALID_ARGUMENT naming them', async () => {
    const store = new FakeObjectStore();
    const cases: [Partial<BatchUploaderOptions>, string][] = [
      [{ batchSizeMax: 0 }, '`batchSizeMax`'],
      [{ batchSizeMax: 10, pendingDocsMax: 5 }, 'Expected `pendingDocsMax` to be an integer from 10 to'],
      [{ waitMsMax: -1 }, '`waitMsMax`'],
      [{ dimension: 0 }, '`dimension`'],
      [{ onBackpressure: 'drop' as never }, '`onBackpressure`'],
      [{ objectKey: (c, s) => `${c}/${s}` }, '`firstSeq`'],
      [{ deadLetterDir: undefined }, '`deadLetterDir`'],
      [{ concurrencyMax: 0 }, '`concurrencyMax`'],
    ];
    for (const [options, message] of cases) {
      const error = await errorOf(() => make(store, options));
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), message).toBe(true);
      expect((error as Error).message).toContain(message);
    }
    const shared = new ParallelUploader({ objectStore: store, deadLetterDir: dir });
    const error = await errorOf(
      () => new BatchUploader({ objectStore: store, uploader: shared, retry: { attemptsMax: 2 } }),
    );
    expect((error as Error).message).toContain('Expected `retry` to be absent when `uploader` is given');
  });

  it('rejects unknown options, a bad clock and bad passed-on uploader options with INVALID_ARGUMENT', async () => {
    const store = new FakeObjectStore();
    const cases: [Record<string, unknown>, string][] = [
      [{ batchSize: 10 }, 'Unknown option `options.batchSize`'],
      [{ queuedMax: 5 }, 'Unknown option `options.queuedMax`'],
      [{ clock: { now: () => 0 } }, 'Expected `clock` to be a Clock'],
      [{ retry: { attemptsMax: 0 } }, 'Expected `retry.attemptsMax` to be an integer from 1 to 100, got 0'],
      [{ circuitBreaker: { coolDownMs: 5 } }, 'Unknown option `circuitBreaker.coolDownMs`'],
    ];
    for (const [options, message] of cases) {
      const error = await errorOf(() => make(store, options as Partial<BatchUploaderOptions>));
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), message).toBe(true);
      expect((error as Error).message).toContain(message);
    }
  });
});

describe('BatchUploader.add', () => {
  it('rejects bad documents with their code and queues nothing of them', async () => {
    const store = new FakeObjectStore();
    const { batches } = make(store, { dimension: 2 });
    const cases: [string, unknown, string][] = [
      ['Docs', doc('a'), ErrorCode.INVALID_NAME],
      ['docs', doc('a', [1, 2, 3]), ErrorCode.DIMENSION_MISMATCH],
      ['docs', doc('a', [1, Number.NaN]), ErrorCode.INVALID_VECTOR],
      ['docs', doc('a', [1, Number.POSITIVE_INFINITY]), ErrorCode.INVALID_VECTOR],
      ['docs', { id: '', vector: [1, 2] }, ErrorCode.INVALID_ARGUMENT],
      [
        'docs',
        { id: 'a', vector: [1, 2], metadata: { x: 'y'.repeat(70_000) } },
        ErrorCode.METADATA_TOO_LARGE,
      ],
    ];
    for (const [collection, document, code] of cases) {
      const error = await errorOf(() => batches.add(collection, document as never));
      expect((error as TierVecError).code, code).toBe(code);
    }
    expect(batches.stats()).toMatchObject({ pendingDocs: 0, openBatches: 0, batchesInFlight: 0 });
    await batches.close();
    expect(store.puts).toEqual([]);
  });

  it('fixes a collection’s dimension from its first document when none is configured', async () => {
    const store = new FakeObjectStore();
    const { batches } = make(store);
    const first = batches.add('a', doc('1', [1, 2, 3]));
    const other = batches.add('b', doc('1', [1]));
    const error = await errorOf(() => batches.add('a', doc('2', [1, 2])));
    expect(isTierVecError(error, ErrorCode.DIMENSION_MISMATCH)).toBe(true);
    expect((error as Error).message).toContain('to have 3 numbers');
    await batches.flush();
    await Promise.all([first, other]);
    expect(batches.stats().docsUploaded).toBe(2);
  });

  it('writes a full batch at batchSizeMax without waiting for the timer and resolves each add with its row', async () => {
    const store = new FakeObjectStore();
    const { batches, clock } = make(store, { keyPrefix: 'p/' });
    const receipts = await Promise.all(['x', 'y', 'z'].map((id) => batches.add('docs', doc(id))));
    expect(clock.now()).toBe(0);
    const key = 'p/docs/00000000000000000000.arrow';
    expect(receipts).toEqual([0, 1, 2].map((row) => ({ collection: 'docs', key, seq: 0, row })));
    expect(rows(store, key)).toEqual(['x', 'y', 'z']);
    expect(decodeBatch(store.objects.get(key)!)).toMatchObject({ collection: 'docs', seq: 0, dimension: 2 });
    expect(store.puts).toEqual([{ key, ifNoneMatch: true }]);
  });

  it('writes a partial batch when waitMsMax has passed since its first document, with no further add', async () => {
    const store = new FakeObjectStore();
    const { batches, clock } = make(store);
    const added = batches.add('docs', doc('lonely'));
    await clock.advance(20);
    void batches.add('docs', doc('second'));
    await clock.advance(29);
    expect(store.puts.filter((put) => put.key.endsWith('.arrow'))).toEqual([]);
    await clock.advance(1);
    expect((await added).key).toBe('docs/00000000000000000000.arrow');
    expect(rows(store, 'docs/00000000000000000000.arrow')).toEqual(['lonely', 'second']);
  });

  it('uploads an owned copy: changing the vector after add does not change the object', async () => {
    const store = new FakeObjectStore();
    const { batches } = make(store);
    const vector = new Float32Array([1, 2]);
    const added = batches.add('docs', { id: 'a', vector });
    vector[0] = 99;
    await batches.flush();
    const receipt = await added;
    expect([...decodeBatch(store.objects.get(receipt.key)!).documents[0]!.vector]).toEqual([1, 2]);
  });

  it('continues the sequence after existing batch objects and dead-lettered batches', async () => {
    const store = new FakeObjectStore();
    store.objects.set('docs/00000000000000000004.arrow', new Uint8Array([1]));
    store.objects.set('docs/readme.txt', new Uint8Array([1]));
    store.objects.set('docsx/00000000000000000009.arrow', new Uint8Array([1]));
    const uploader = new ParallelUploader({ objectStore: store, deadLetterDir: join(dir, 'dlq'), seed: 1 });
    store.behaviour = (key) => (key === 'docs/00000000000000000006.arrow' ? { fail: 'AccessDenied' } : 'ok');
    await uploader.upload('docs/00000000000000000006.arrow', new Uint8Array([2]));
    const batches = new BatchUploader({ objectStore: store, uploader, clock: new ManualClock(0) });
    const added = batches.add('docs', doc('a'));
    await batches.flush();
    expect((await added).seq).toBe(7);
  });

  it('rejects the adds with OBJECT_STORE when the next sequence number cannot be found, and tries again later', async () => {
    const store = new FakeObjectStore();
    let listing: 'denied' | 'ok' = 'denied';
    const list = store.list.bind(store);
    store.list = (prefix) => {
      if (listing === 'ok') return list(prefix);
      return {
        [Symbol.asyncIterator]: () => ({
          next: () =>
            Promise.reject(new ObjectStoreError('AccessDenied', 'no listing', { operation: 'list' })),
        }),
      };
    };
    const { batches } = make(store);
    const first = batches.add('docs', doc('a'));
    const [outcome] = await batches.flush();
    const error = await errorOf(() => first);
    expect(outcome).toMatchObject({ state: 'failed', key: undefined, docs: 1 });
    expect(isTierVecError(error, ErrorCode.OBJECT_STORE)).toBe(true);
    expect((error as TierVecError).cause).toMatchObject({ code: 'AccessDenied' });
    expect(batches.stats()).toMatchObject({ pendingDocs: 0, batchesFailed: 1 });
    listing = 'ok';
    const second = batches.add('docs', doc('b'));
    await batches.flush();
    expect(await second).toMatchObject({ seq: 0, key: 'docs/00000000000000000000.arrow' });
  });

  it('uses objectKey and firstSeq when given (the WAL key scheme)', async () => {
    const store = new FakeObjectStore();
    const { batches } = make(store, {
      objectKey: (collection, seq) =>
        `tenants/t/collections/${collection}/wal/${String(seq).padStart(20, '0')}.arrow`,
      firstSeq: async () => 41,
    });
    const added = batches.add('docs', doc('a'));
    await batches.flush();
    expect(await added).toMatchObject({
      seq: 41,
      key: 'tenants/t/collections/docs/wal/00000000000000000041.arrow',
    });
  });

  it('rejects the adds of a dead-lettered batch with OBJECT_STORE naming the dead letter, which holds the batch', async () => {
    const store = new FakeObjectStore();
    store.behaviour = (key) => (key.endsWith('.arrow') ? { fail: 'AccessDenied' } : 'ok');
    const { batches } = make(store);
    const adds = ['a', 'b'].map((id) => batches.add('docs', doc(id)).catch((error: unknown) => error));
    const [outcome] = await batches.flush();
    const errors = await Promise.all(adds);
    expect(outcome).toMatchObject({ state: 'dead-lettered', docs: 2, attempts: 1 });
    for (const error of errors) {
      expect(isTierVecError(error, ErrorCode.OBJECT_STORE)).toBe(true);
      expect((error as TierVecError).cause).toMatchObject({ code: 'AccessDenied' });
      expect((error as TierVecError).message).toContain('dead-letter queue');
    }
    const [entry] = await batches.uploader.deadLetters.list();
    expect(entry!.id).toBe((errors[0] as TierVecError).details?.deadLetterId);
    const letter = await batches.uploader.deadLetters.read(entry!.id);
    expect(decodeBatch(letter.body).documents.map((d) => d.id)).toEqual(['a', 'b']);
    expect(batches.stats()).toMatchObject({ pendingDocs: 0, batchesDeadLettered: 1, docsDeadLettered: 2 });
  });
});

describe('BatchUploader backpressure', () => {
  it('rejects with RATE_LIMITED at pendingDocsMax when onBackpressure is reject', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = () => ({ until: gate.promise });
    const { batches } = make(store, { batchSizeMax: 2, pendingDocsMax: 2, onBackpressure: 'reject' });
    const accepted = [batches.add('docs', doc('a')), batches.add('docs', doc('b'))];
    const error = await errorOf(() => batches.add('docs', doc('c')));
    expect(isTierVecError(error, ErrorCode.RATE_LIMITED)).toBe(true);
    expect(batches.stats().pendingDocs).toBe(2);
    gate.resolve();
    await Promise.all(accepted);
    expect(batches.stats().pendingDocs).toBe(0);
    const late = batches.add('docs', doc('c'));
    await batches.flush();
    expect((await late).seq).toBe(1);
  });

  it('makes add wait at pendingDocsMax and lets waiters in, in order, as batches become durable', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = (key) => (key.endsWith('00.arrow') ? { until: gate.promise } : 'ok');
    const { batches } = make(store, { batchSizeMax: 2, pendingDocsMax: 2 });
    const first = [batches.add('docs', doc('a')), batches.add('docs', doc('b'))];
    const order: string[] = [];
    const waiting = ['c', 'd'].map((id) =>
      batches.add('docs', doc(id)).then((receipt) => order.push(id) && receipt),
    );
    const controller = new AbortController();
    const aborted = batches.add('docs', doc('e'), { signal: controller.signal });
    await yieldToEventLoop();
    expect(batches.stats()).toMatchObject({ pendingDocs: 2, waitingAdds: 3 });
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(batches.stats().waitingAdds).toBe(2);
    gate.resolve();
    await Promise.all(first);
    await Promise.all(waiting);
    expect(order).toEqual(['c', 'd']);
    expect(rows(store, 'docs/00000000000000000001.arrow')).toEqual(['c', 'd']);
    expect(batches.stats().docsUploaded).toBe(4);
  });
});

describe('BatchUploader.flush / close', () => {
  it('flush(collection) seals only that collection', async () => {
    const store = new FakeObjectStore();
    const { batches } = make(store);
    void batches.add('a', doc('1'));
    void batches.add('b', doc('1'));
    const outcomes = await batches.flush('a');
    expect(outcomes.map((o) => [o.collection, o.state])).toEqual([['a', 'uploaded']]);
    expect(batches.stats().openBatches).toBe(1);
    expect(await batches.flush('never-used')).toEqual([]);
    await batches.close();
  });

  it('close drains open batches, rejects waiting and later adds with CLOSED, and can be called twice', async () => {
    const store = new FakeObjectStore();
    const gate = deferred();
    store.behaviour = () => ({ until: gate.promise });
    const { batches } = make(store, { batchSizeMax: 2, pendingDocsMax: 2 });
    const accepted = [batches.add('docs', doc('a')), batches.add('docs', doc('b'))];
    const waiting = batches.add('docs', doc('c'));
    const closing = batches.close();
    expect(isTierVecError(await errorOf(() => waiting), ErrorCode.CLOSED)).toBe(true);
    expect(isTierVecError(await errorOf(() => batches.add('docs', doc('d'))), ErrorCode.CLOSED)).toBe(true);
    gate.resolve();
    await Promise.all([closing, batches.close()]);
    expect((await Promise.all(accepted)).map((r) => r.row)).toEqual([0, 1]);
    expect(batches.stats()).toMatchObject({ pendingDocs: 0, batchesInFlight: 0, openBatches: 0 });
    expect(
      isTierVecError(await errorOf(() => batches.uploader.upload('x', new Uint8Array())), ErrorCode.CLOSED),
    ).toBe(true);
  });
});
