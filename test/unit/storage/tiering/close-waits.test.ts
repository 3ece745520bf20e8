import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../../src/object-store/local.ts';
import type { ObjectStore, RequestOptions } from '../../../../src/object-store/object-store.ts';
import { openStore } from '../../../../src/storage/store.ts';
import { seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-close-waits-');

/** A LocalObjectStore whose `get`s wait, once armed, until the gate opens. */
class GatedStore extends LocalObjectStore implements ObjectStore {
  armed = false;
  waiting = 0;
  #open: (() => void) | undefined;
  readonly #gate = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  open(): void {
    this.#open?.();
  }

  override async get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    if (this.armed) {
      this.waiting++;
      await this.#gate;
    }
    return super.get(key, options);
  }
}

/** Every file under `dir`, relative, sorted. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('Store.close with a tier move in flight', () => {
  it('does not resolve while a promotion is downloading, and nothing changes in the directory after it', async () => {
    const dir = await temp.make();
    const objectStore = new GatedStore({ dir: await temp.make() });
    const store = await openStore({ dir, objectStore });
    const docs = await store.createCollection({ name: 'docs', dimension: 8, metric: 'l2' });
    await docs.insert([1, 2, 3].map((i) => ({ id: `d${i}`, vector: seededVector(i, 8) })));
    await docs.flush();
    await docs.publish();
    expect((await docs.setTier('cold')).held).toBe(0);

    objectStore.armed = true;
    // The search promotes the cold segment: its download waits at the gate.
    const search = docs.search(seededVector(1, 8), { k: 1 }).catch((error: unknown) => error);
    while (objectStore.waiting === 0) await turns(1);
    let closed = false;
    const closing = store.close().then(() => {
      closed = true;
    });
    await turns(20);
    expect(closed).toBe(false);

    objectStore.open();
    await closing;
    const collectionDir = join(dir, 'tenants/default/collections/docs');
    const after = await listTree(collectionDir);
    await search;
    await turns(20);
    expect(await listTree(collectionDir)).toEqual(after);
  });
});
