/**
 * Object stores: PUT, GET, DELETE and LIST on every implementation, with small (1 KiB) and
 * segment-sized (8 MiB) bodies. Small bodies report requests/s, large ones MiB/s. Beside each store
 * stands its baseline: the raw primitives for local and s3rver (`<store>-raw-put-…`), and for the
 * mock with simulated latency the bound 1000 ÷ latency requests/s, so the table shows what each
 * layer adds. Every operation is real: GET reads objects a setup wrote, DELETE removes an object
 * written just before it (outside the timed window), LIST walks a prefix of `listKeys` objects and
 * checks it saw all of them.
 */

import type { ObjectStore } from '../../src/object-store/object-store.ts';
import { Rng } from '../../src/random.ts';
import { type BenchMode, defineSuite, type TimedTask } from '../runner/bench-suite.ts';
import { localTarget, mockTarget, type RawOperations, type StoreTarget } from './store-target.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

interface BodySize {
  readonly label: '1kib' | '8mib';
  readonly bytes: number;
  /** Keys the PUT and GET tasks rotate through (bounds the memory a store holds). */
  readonly keysMax: number;
  /** Fixed iteration count of DELETE tasks (each needs a PUT before it, outside the timed window). */
  readonly deletes: number;
  readonly timeMs: number;
  readonly iterationsMin: number;
}

export interface ObjectStoreBenchSize {
  readonly small: BodySize;
  readonly large: BodySize;
  /** Objects under the prefix the LIST tasks walk. */
  readonly listKeys: number;
  /** Simulated latency of the second mock, in milliseconds. */
  readonly mockLatencyMs: number;
}

export interface ObjectStoreTargetFactories {
  /** Extra targets (s3rver) appended after mock and local. */
  readonly extra?: readonly (() => StoreTarget)[];
}

const SIZES: Record<BenchMode, ObjectStoreBenchSize> = {
  quick: {
    small: { label: '1kib', bytes: KIB, keysMax: 64, deletes: 20, timeMs: 150, iterationsMin: 10 },
    large: { label: '8mib', bytes: 8 * MIB, keysMax: 2, deletes: 3, timeMs: 100, iterationsMin: 3 },
    listKeys: 250,
    mockLatencyMs: 10,
  },
  full: {
    small: { label: '1kib', bytes: KIB, keysMax: 1024, deletes: 200, timeMs: 1000, iterationsMin: 50 },
    large: { label: '8mib', bytes: 8 * MIB, keysMax: 4, deletes: 20, timeMs: 1000, iterationsMin: 10 },
    listKeys: 1000,
    mockLatencyMs: 10,
  },
};

/** A body of seeded random bytes, built on first use so that planning stays cheap. */
function seededBody(bytes: number, seed: number): () => Uint8Array {
  let body: Uint8Array | undefined;
  return () => {
    body ??= randomBytes(bytes, seed);
    return body;
  };
}

function randomBytes(bytes: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const body = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4) {
    const word = rng.nextUint32();
    body[i] = word & 0xff;
    body[i + 1] = (word >>> 8) & 0xff;
    body[i + 2] = (word >>> 16) & 0xff;
    body[i + 3] = word >>> 24;
  }
  return body;
}

/** Rate settings shared by every task on one body size: small → requests/s, large → MiB/s. */
function rateOf(size: BodySize): { unit: string; unitsPerOp: number } {
  return size.bytes >= MIB
    ? { unit: 'MiB/s', unitsPerOp: size.bytes / MIB }
    : { unit: 'requests/s', unitsPerOp: 1 };
}

function boundOf(target: StoreTarget, unitsPerOp: number, unit: string) {
  if (target.latencyMs === undefined) return {};
  return {
    bound: {
      value: (1000 / target.latencyMs) * unitsPerOp,
      description: `one request per ${target.latencyMs} ms of simulated latency (${unit})`,
    },
  };
}

function keyCycle(prefix: string, keysMax: number): () => string {
  let next = 0;
  return () => `${prefix}/${next++ % keysMax}`;
}

function bodyTasks(target: StoreTarget, size: BodySize, bodyOf: () => Uint8Array): TimedTask[] {
  const { unit, unitsPerOp } = rateOf(size);
  const timing = {
    timeMs: size.timeMs,
    iterationsMin: size.iterationsMin,
    warmupIterationsMin: 1,
    warmupTimeMs: 0,
  };
  const common = {
    kind: 'timed' as const,
    unit,
    unitsPerOp,
    ...timing,
    ...boundOf(target, unitsPerOp, unit),
  };
  const name = (op: string) => `${target.name}-${op}-${size.label}`;
  let store: ObjectStore | undefined;
  let body: Uint8Array = new Uint8Array(0);
  const open = async () => {
    body = bodyOf();
    store = await target.store.get();
  };
  const use = (): ObjectStore => {
    if (store === undefined) throw new Error(`${target.name}: the task ran before its setup`);
    return store;
  };
  const putKey = keyCycle(`bench/put-${size.label}`, size.keysMax);
  const getKey = keyCycle(`bench/get-${size.label}`, size.keysMax);
  const fill = async (put: (key: string, body: Uint8Array) => Promise<unknown>) => {
    for (let i = 0; i < size.keysMax; i++) await put(`bench/get-${size.label}/${i}`, body);
  };
  const tasks: TimedTask[] = [];
  const raw = target.raw;
  if (raw !== undefined) {
    let ops: RawOperations | undefined;
    const openRaw = async () => {
      body = bodyOf();
      ops = await raw.get();
      return ops;
    };
    const useRaw = (): RawOperations => {
      if (ops === undefined) throw new Error(`${target.name}: the raw task ran before its setup`);
      return ops;
    };
    const rawPutKey = keyCycle(`bench/put-${size.label}`, size.keysMax);
    const rawGetKey = keyCycle(`bench/get-${size.label}`, size.keysMax);
    tasks.push(
      { ...common, name: name('raw-put'), setup: openRaw, fn: () => useRaw().put(rawPutKey(), body) },
      {
        ...common,
        name: name('raw-get'),
        setup: async () => {
          const opened = await openRaw();
          await fill((key, data) => opened.put(key, data));
        },
        fn: () => useRaw().get(rawGetKey()),
      },
    );
  }
  const withBaseline = (op: string) => (raw === undefined ? {} : { baseline: name(`raw-${op}`) });
  let deleteKey = '';
  let deletes = 0;
  tasks.push(
    {
      ...common,
      ...withBaseline('put'),
      name: name('put'),
      setup: open,
      fn: () => use().put(putKey(), body),
    },
    {
      ...common,
      ...withBaseline('get'),
      name: name('get'),
      setup: async () => {
        await open();
        await fill((key, data) => use().put(key, data));
      },
      fn: () => use().get(getKey()),
    },
    {
      ...common,
      // A DELETE moves no body: requests/s whatever the size, and no MiB bound.
      unit: 'requests/s',
      unitsPerOp: 1,
      ...boundOf(target, 1, 'requests/s'),
      name: name('delete'),
      timeMs: 0,
      iterationsMin: size.deletes,
      setup: open,
      beforeEach: async () => {
        deleteKey = `bench/delete-${size.label}/${deletes++}`;
        await use().put(deleteKey, body);
      },
      fn: () => use().delete(deleteKey),
    },
  );
  return tasks;
}

function listTask(target: StoreTarget, listKeys: number, small: BodySize): TimedTask {
  let store: ObjectStore | undefined;
  const prefix = `bench/list-${listKeys}/`;
  return {
    kind: 'timed',
    name: `${target.name}-list-${listKeys}`,
    unit: 'keys/s',
    unitsPerOp: listKeys,
    timeMs: small.timeMs,
    iterationsMin: small.iterationsMin,
    warmupIterationsMin: 1,
    warmupTimeMs: 0,
    ...boundOf(target, listKeys, 'keys/s'),
    setup: async () => {
      store = await target.store.get();
      const body = new Uint8Array(16);
      for (let i = 0; i < listKeys; i++) await store.put(`${prefix}${String(i).padStart(6, '0')}`, body);
    },
    fn: async () => {
      let seen = 0;
      for await (const _key of (store as ObjectStore).list(prefix)) seen++;
      if (seen !== listKeys) throw new Error(`list ${prefix} saw ${seen} keys, expected ${listKeys}`);
    },
  };
}

export function objectStorePlan(size: ObjectStoreBenchSize, targets: readonly StoreTarget[]) {
  const small = seededBody(size.small.bytes, 11);
  const large = seededBody(size.large.bytes, 12);
  const items: TimedTask[] = [];
  for (const target of targets) {
    items.push(...bodyTasks(target, size.small, small), ...bodyTasks(target, size.large, large));
    items.push(listTask(target, size.listKeys, size.small));
  }
  return {
    items,
    close: async () => {
      for (const target of targets) await target.release();
    },
  };
}

export function objectStoreSuite(factories: ObjectStoreTargetFactories = {}) {
  return defineSuite<ObjectStoreBenchSize>({
    name: 'object-store',
    summary:
      'PUT, GET, DELETE, LIST with 1 KiB and 8 MiB bodies: mock (0 ms and simulated latency), local, s3rver',
    sizes: SIZES,
    fullDurationNote: 'about 4 minutes (s3rver over HTTP, 8 MiB bodies)',
    plan: (size) =>
      objectStorePlan(size, [
        mockTarget(0),
        mockTarget(size.mockLatencyMs),
        localTarget(),
        ...(factories.extra ?? []).map((create) => create()),
      ]),
  });
}
