/**
 * A closed-loop search process for the search-processes tests: each "search" adds up a short array,
 * so a run's count depends on the machine but is never zero. With `{ "exitOnRun": true }` as its
 * argv argument it exits as soon as a timed run is asked of it, as a crashing process would.
 */

import { serveSearchLoop } from '../../bench/storage/search-loop.ts';

const { exitOnRun } = JSON.parse(process.argv[2] ?? '{}') as { exitOnRun?: boolean };
if (exitOnRun === true) process.on('message', () => process.exit(3));
const values = Array.from({ length: 64 }, (_, i) => i);
let sink = 0;
serveSearchLoop({
  search: () => {
    for (const value of values) sink += value;
    return sink;
  },
  close: async () => undefined,
});
