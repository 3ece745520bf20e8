/**
 * One read replica of the replica-scaling benchmark: opens `openStore({ readOnly: true })` on the
 * bucket given in argv, loads every segment, then serves timed closed-loop searches (search-loop.ts).
 * It prints the segments one search reads to stderr once, so the raw-hnswlib ceiling can be checked
 * against the same layout. Refresh failures once the parent has gone away are expected (the bucket's
 * server stops soon after) and are not reported; any other warning is.
 */

import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { openStore } from '../../src/storage/store.ts';
import type { StoreWarning } from '../../src/storage/store-warning.ts';
import { scalingQueries } from './replica-scaling-data.ts';
import { serveSearchLoop } from './search-loop.ts';

const { s3Options, dimension, seed, verbose } = JSON.parse(process.argv[2] as string);
let shuttingDown = false;
const onWarning = (warning: StoreWarning): void => {
  if (shuttingDown && warning.code === 'REPLICA_REFRESH_FAILED') return;
  process.stderr.write(`replica warning ${warning.code}: ${warning.message}\n`);
};
const replica = await openStore({ readOnly: true, objectStore: new S3ObjectStore(s3Options), onWarning });
const collection = replica.collection('bench');
const queries = scalingQueries(dimension, seed);
// Warm: every segment loaded hot before the clock starts.
for (const query of queries.slice(0, 32)) await collection.search(query, { k: 10 });
if (verbose === true) {
  const stats = await collection.stats();
  const { segmentsRead, partitionsProbed } = stats.searches.last;
  process.stderr.write(
    `    replica layout: ${stats.segments.length} sealed segments, a search reads ${segmentsRead} (partitions probed ${partitionsProbed})\n`,
  );
}
serveSearchLoop({
  search: (index) => collection.search(queries[index % queries.length] as Float32Array, { k: 10 }),
  close: () => {
    shuttingDown = true;
    return replica.close();
  },
});
