/**
 * A closed-loop search process for the search-processes tests: each "search" adds up a short array,
 * so a run's count depends on the machine but is never zero. Its argv argument is not read.
 */

import { serveSearchLoop } from '../../bench/storage/search-loop.ts';

const values = Array.from({ length: 64 }, (_, i) => i);
let sink = 0;
serveSearchLoop({
  search: () => {
    for (const value of values) sink += value;
    return sink;
  },
  close: async () => undefined,
});
