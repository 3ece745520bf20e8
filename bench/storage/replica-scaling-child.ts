/**
 * One read replica of the replica-scaling benchmark: opens `openStore({ readOnly: true })` on the
 * bucket given in argv, answers `ready` once every segment is loaded, then on `run` searches in a
 * closed loop for the given time and answers how many searches it completed.
 */

import { systemClock } from '../../src/clock.ts';
import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { Rng } from '../../src/random.ts';
import { openStore } from '../../src/storage/store.ts';

const { s3Options, dimension, seed } = JSON.parse(process.argv[2] as string);
const replica = await openStore({ readOnly: true, objectStore: new S3ObjectStore(s3Options) });
const collection = replica.collection('bench');
const rng = new Rng(seed);
const queries = Array.from({ length: 256 }, () =>
  Float32Array.from({ length: dimension }, () => rng.nextFloat(-1, 1)),
);
// Warm: every segment loaded hot before the clock starts.
for (const query of queries.slice(0, 32)) await collection.search(query, { k: 10 });
process.send?.({ state: 'ready' });
process.on('message', async (message: { durationMs: number }) => {
  const endMs = systemClock.now() + message.durationMs;
  let searches = 0;
  while (systemClock.now() < endMs) {
    await collection.search(queries[searches % queries.length] as Float32Array, { k: 10 });
    searches++;
  }
  process.send?.({ state: 'done', searches });
});
process.on('disconnect', () => {
  replica.close().finally(() => process.exit(0));
});
