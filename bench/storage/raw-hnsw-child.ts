/**
 * One process of the replica-scaling benchmark's hardware ceiling: raw hnswlib-node with no tiervec
 * at all. It reads the index files the parent built over the same vectors, split as tiervec's
 * segments are, and serves timed closed-loop searches (search-loop.ts) of the same queries: each
 * search asks every index for k nearest at the collection's `ef` and keeps the k closest, as a
 * search over unpartitioned segments does. It must never import tiervec's storage.
 */

import hnswlib from 'hnswlib-node';
import { scalingQueries } from './replica-scaling-data.ts';
import { serveSearchLoop } from './search-loop.ts';

const { HierarchicalNSW } = hnswlib;
const { indexPaths, dimension, seed, k, ef } = JSON.parse(process.argv[2] as string) as {
  indexPaths: string[];
  dimension: number;
  seed: number;
  k: number;
  ef: number;
};
const indexes = indexPaths.map((path) => {
  const index = new HierarchicalNSW('cosine', dimension);
  index.readIndexSync(path, false);
  return index;
});
const queries = scalingQueries(dimension, seed).map((query) => Array.from(query));

function search(query: number[]): number[] {
  const hits: { label: number; distance: number }[] = [];
  indexes.forEach((index, segment) => {
    index.setEf(ef);
    const { neighbors, distances } = index.searchKnn(query, k);
    for (let i = 0; i < neighbors.length; i++) {
      hits.push({ label: segment * 1e9 + (neighbors[i] as number), distance: distances[i] as number });
    }
  });
  return hits
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k)
    .map((hit) => hit.label);
}

serveSearchLoop({
  search: (index) => search(queries[index % queries.length] as number[]),
  close: async () => undefined,
});
