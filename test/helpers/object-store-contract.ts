/**
 * The behaviour every ObjectStore must share, as one suite run against each implementation
 * (`LocalObjectStore`, `MockS3ObjectStore`, `S3ObjectStore` over s3rver). Each test gets a fresh,
 * empty store from the factory. A store that passes here can stand in for any other.
 */

import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../src/errors.ts';
import type { ObjectStore } from '../../src/object-store/object-store.ts';
import { isObjectStoreError } from '../../src/object-store/object-store-error.ts';
import { Rng } from '../../src/random.ts';

export interface ContractSubject {
  store: ObjectStore;
  cleanup?: () => Promise<void> | void;
}

export interface ContractOptions {
  /** Bytes of the large-body test; above the multipart threshold for S3. */
  largeBodyBytes: number;
  /** Keys in the pagination test; more than 1,000 so that S3 listings span pages. @default 1050 */
  listKeyCount?: number;
  /** Puts in flight at once when filling the store. @default 16 */
  putConcurrency?: number;
  /**
   * Whether listings are in S3's UTF-8 byte order even where a character below `/` (`-`, `.`) follows
   * a shared stem (`p-1` before `p/a`). s3rver walks its directories instead and lists `p/a` first;
   * for it the prefix test compares the listed keys as sets. @default true
   */
  listOrderStrict?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys;
}

async function putAll(store: ObjectStore, keys: readonly string[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      await store.put(key, encoder.encode(key));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function seededBytes(seed: number, length: number): Uint8Array {
  const rng = new Rng(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const word = rng.nextUint32();
    for (let j = 0; j < 4 && i + j < length; j++) bytes[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return bytes;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export function describeObjectStoreContract(
  name: string,
  create: () => Promise<ContractSubject>,
  options: ContractOptions,
): void {
  const listKeyCount = options.listKeyCount ?? 1050;
  const putConcurrency = options.putConcurrency ?? 16;
  const inListOrder = (keys: string[]) => (options.listOrderStrict === false ? [...keys].sort() : keys);
  const withStore = (test: (store: ObjectStore) => Promise<void>) => async () => {
    const subject = await create();
    try {
      await test(subject.store);
    } finally {
      await subject.cleanup?.();
    }
  };

  describe(`${name} (ObjectStore contract)`, () => {
    it(
      'puts, gets, heads and deletes an object, with the etag of the put',
      withStore(async (store) => {
        const { etag } = await store.put('a/b/c.bin', encoder.encode('hello'));
        expect(etag).toMatch(/^[0-9a-f]{32}$/);
        expect(decoder.decode(await store.get('a/b/c.bin'))).toBe('hello');
        expect(await store.head('a/b/c.bin')).toEqual({ sizeBytes: 5, etag });
        await store.delete('a/b/c.bin');
        expect(await store.head('a/b/c.bin')).toBeUndefined();
        expect(await collect(store.list(''))).toEqual([]);
      }),
    );

    it(
      'lets the last writer win on overwrite',
      withStore(async (store) => {
        await store.put('k', encoder.encode('first, longer'));
        const { etag } = await store.put('k', encoder.encode('second'));
        expect(decoder.decode(await store.get('k'))).toBe('second');
        expect(await store.head('k')).toEqual({ sizeBytes: 6, etag });
      }),
    );

    it(
      'rejects get of a missing key with NoSuchKey (404, not retryable)',
      withStore(async (store) => {
        const error = await errorOf(store.get('missing/key'));
        expect(isObjectStoreError(error, 'NoSuchKey')).toBe(true);
        expect(error).toMatchObject({ status: 404, retryable: false });
      }),
    );

    it(
      'answers head of a missing key with undefined and deletes a missing key quietly',
      withStore(async (store) => {
        expect(await store.head('missing')).toBeUndefined();
        await expect(store.delete('missing')).resolves.toBeUndefined();
        await expect(store.delete('missing/deeper')).resolves.toBeUndefined();
      }),
    );

    it(
      'writes with ifNoneMatch only when the key is free, else PreconditionFailed and no change',
      withStore(async (store) => {
        await store.put('manifest/00000000000000000001.json', encoder.encode('v1'), { ifNoneMatch: '*' });
        const error = await errorOf(
          store.put('manifest/00000000000000000001.json', encoder.encode('v1-other'), { ifNoneMatch: '*' }),
        );
        expect(isObjectStoreError(error, 'PreconditionFailed')).toBe(true);
        expect(error).toMatchObject({ status: 412, retryable: false });
        expect(decoder.decode(await store.get('manifest/00000000000000000001.json'))).toBe('v1');
      }),
    );

    it(
      'lets exactly one of concurrent conditional puts to one key win',
      withStore(async (store) => {
        const contenders = ['a', 'b', 'c', 'd'];
        const results = await Promise.allSettled(
          contenders.map((body) => store.put('manifest/race', encoder.encode(body), { ifNoneMatch: '*' })),
        );
        const winners = contenders.filter((_, i) => results[i]?.status === 'fulfilled');
        expect(winners.length).toBe(1);
        for (const result of results) {
          if (result.status === 'rejected')
            expect(isObjectStoreError(result.reason, 'PreconditionFailed')).toBe(true);
        }
        expect(decoder.decode(await store.get('manifest/race'))).toBe(winners[0]);
      }),
    );

    it(
      'replaces with ifMatch only when the etag matches, else PreconditionFailed and no change',
      withStore(async (store) => {
        const { etag } = await store.put('lease/writer.json', encoder.encode('term 1'));
        const error = await errorOf(
          store.put('lease/writer.json', encoder.encode('stale'), { ifMatch: '0'.repeat(32) }),
        );
        expect(isObjectStoreError(error, 'PreconditionFailed')).toBe(true);
        expect(error).toMatchObject({ status: 412, retryable: false });
        expect(decoder.decode(await store.get('lease/writer.json'))).toBe('term 1');
        const next = await store.put('lease/writer.json', encoder.encode('term 2'), { ifMatch: etag });
        expect(decoder.decode(await store.get('lease/writer.json'))).toBe('term 2');
        expect((await store.head('lease/writer.json'))?.etag).toBe(next.etag);
        const absent = await errorOf(store.put('lease/none.json', encoder.encode('x'), { ifMatch: etag }));
        expect(isObjectStoreError(absent, 'PreconditionFailed')).toBe(true);
        expect(await store.head('lease/none.json')).toBeUndefined();
      }),
    );

    it(
      'lets exactly one of concurrent ifMatch puts on one etag win',
      withStore(async (store) => {
        const { etag } = await store.put('lease/race.json', encoder.encode('base'));
        const contenders = ['a', 'b', 'c', 'd'];
        const results = await Promise.allSettled(
          contenders.map((body) => store.put('lease/race.json', encoder.encode(body), { ifMatch: etag })),
        );
        const winners = contenders.filter((_, i) => results[i]?.status === 'fulfilled');
        expect(winners.length).toBe(1);
        for (const result of results) {
          if (result.status === 'rejected')
            expect(isObjectStoreError(result.reason, 'PreconditionFailed')).toBe(true);
        }
        expect(decoder.decode(await store.get('lease/race.json'))).toBe(winners[0]);
        expect(await collect(store.list('lease/'))).toEqual(['lease/race.json']);
      }),
    );

    it(
      'refuses ifMatch together with ifNoneMatch, and an empty etag, with INVALID_ARGUMENT',
      withStore(async (store) => {
        for (const options of [{ ifMatch: 'abc', ifNoneMatch: '*' as const }, { ifMatch: '' }]) {
          const error = await errorOf(store.put('lease/bad.json', encoder.encode('x'), options));
          expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
        }
      }),
    );

    it(
      `lists ${listKeyCount} keys in key order across pages`,
      withStore(async (store) => {
        const keys = Array.from({ length: listKeyCount }, (_, i) => `many/${String(i).padStart(5, '0')}`);
        await putAll(store, [...keys].reverse(), putConcurrency);
        await store.put('other/x', encoder.encode('x'));
        expect(await collect(store.list('many/'))).toEqual(keys);
        expect((await collect(store.list(''))).length).toBe(listKeyCount + 1);
      }),
    );

    it(
      'lists by plain string prefix: whole segments, partial segments and nested keys',
      withStore(async (store) => {
        // No key is both an object and a prefix (`p/a` and `p/a/b`): LocalObjectStore cannot hold both.
        const stored = ['p/a.txt', 'p/ab/x', 'p/b/c/d', 'pa/x', 'q', 'p-1'];
        for (const key of stored) await store.put(key, encoder.encode(key));
        expect(await collect(store.list('p/'))).toEqual(['p/a.txt', 'p/ab/x', 'p/b/c/d']);
        expect(await collect(store.list('p/a'))).toEqual(['p/a.txt', 'p/ab/x']);
        expect(await collect(store.list('p/b/'))).toEqual(['p/b/c/d']);
        expect(inListOrder(await collect(store.list('p')))).toEqual([
          'p-1',
          'p/a.txt',
          'p/ab/x',
          'p/b/c/d',
          'pa/x',
        ]);
        expect(await collect(store.list('nothing/'))).toEqual([]);
        const all = ['p-1', 'p/a.txt', 'p/ab/x', 'p/b/c/d', 'pa/x', 'q'];
        expect(inListOrder(await collect(store.list('')))).toEqual(all);
      }),
    );

    it(
      'stores keys with spaces, reserved URL characters and non-ASCII text unchanged',
      withStore(async (store) => {
        const keys = [
          'odd/a b',
          'odd/plus+sign',
          'odd/per%25cent',
          'odd/q?x=1&y#z',
          'odd/ünï çødé',
          'odd/😀',
        ];
        for (const key of keys) await store.put(key, encoder.encode(key));
        for (const key of keys) expect(decoder.decode(await store.get(key))).toBe(key);
        expect(await collect(store.list('odd/'))).toEqual(
          [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      }),
    );

    it(
      'copies bodies: changing the caller’s buffers never changes the stored object',
      withStore(async (store) => {
        const body = encoder.encode('original');
        const pending = store.put('copy', body);
        body.fill(0);
        await pending;
        const read = await store.get('copy');
        read.fill(0);
        expect(decoder.decode(await store.get('copy'))).toBe('original');
      }),
    );

    it(
      'keeps binary bodies byte-exact, including the empty body and every byte value',
      withStore(async (store) => {
        const everyByte = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
        const random = seededBytes(42, 100_003);
        await store.put('bin/every', everyByte);
        await store.put('bin/random', random);
        await store.put('bin/empty', new Uint8Array(0));
        expect(Buffer.compare(await store.get('bin/every'), everyByte)).toBe(0);
        expect(Buffer.compare(await store.get('bin/random'), random)).toBe(0);
        expect((await store.get('bin/empty')).byteLength).toBe(0);
        expect(await store.head('bin/empty')).toMatchObject({ sizeBytes: 0 });
      }),
    );

    it(
      `round-trips a large body of ${options.largeBodyBytes} bytes`,
      withStore(async (store) => {
        const body = seededBytes(7, options.largeBodyBytes);
        const { etag } = await store.put('large/body', body);
        const read = await store.get('large/body');
        expect(read.byteLength).toBe(body.byteLength);
        expect(Buffer.compare(read, body)).toBe(0);
        expect(await store.head('large/body')).toEqual({ sizeBytes: body.byteLength, etag });
      }),
    );

    it(
      'rejects a large conditional put on an existing key with PreconditionFailed',
      withStore(async (store) => {
        const body = seededBytes(9, options.largeBodyBytes);
        await store.put('large/once', encoder.encode('small first'));
        const error = await errorOf(store.put('large/once', body, { ifNoneMatch: '*' }));
        expect(isObjectStoreError(error, 'PreconditionFailed')).toBe(true);
        expect(decoder.decode(await store.get('large/once'))).toBe('small first');
      }),
    );

    it(
      'rejects hostile keys with INVALID_KEY and writes nothing',
      withStore(async (store) => {
        for (const key of [
          '',
          '/abs',
          'a/../b',
          'a\\b',
          'nul\u0000',
          'a//b',
          'trailing/',
          'x'.repeat(1025),
        ]) {
          const error = await errorOf(store.put(key, encoder.encode('x')));
          expect(isTierVecError(error, ErrorCode.INVALID_KEY), JSON.stringify(key)).toBe(true);
        }
        expect(await collect(store.list(''))).toEqual([]);
      }),
    );

    it(
      'rejects an already aborted request with the signal’s reason',
      withStore(async (store) => {
        const controller = new AbortController();
        const reason = new Error('stop');
        controller.abort(reason);
        await expect(store.put('aborted', encoder.encode('x'), { signal: controller.signal })).rejects.toBe(
          reason,
        );
        await expect(store.get('aborted', { signal: controller.signal })).rejects.toBe(reason);
        expect(await store.head('aborted')).toBeUndefined();
      }),
    );
  });
}
