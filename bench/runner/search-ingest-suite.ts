/**
 * The store's search-and-ingest benchmark (`bench/storage/search-ingest.ts`, owned with the store)
 * as a group of the runner's `storage` suite (`storage-suite.ts`): one figure group that runs
 * `runSearchIngestBench` and turns its builds, searches and recalls into named figures, each beside
 * its raw hnswlib-node baseline from the same run. The store bench measures whole builds and query passes, not repeated samples, so its figures
 * carry no margin of error; `--compare` then holds them to the tolerance alone.
 */

import {
  type BuildFigure,
  runSearchIngestBench,
  SEARCH_INGEST_DEFAULTS,
  type SearchFigure,
  type SearchIngestOptions,
} from '../storage/search-ingest.ts';
import type { Figure, FigureGroup } from './bench-suite.ts';

export type SearchIngestSize = Partial<SearchIngestOptions>;

/** The three builds and searchers of the store bench, by their role. */
type Role = 'raw-hnswlib' | 'one-segment' | 'shipped';

function buildRole(build: BuildFigure): Role {
  if (build.name.startsWith('raw')) return 'raw-hnswlib';
  if (build.name.includes('fsync')) return 'one-segment';
  if (build.name.includes('buffered')) return 'shipped';
  throw new Error(`search-ingest: unknown build ${JSON.stringify(build.name)}`);
}

function searchRole(search: SearchFigure): Role {
  if (search.name.startsWith('raw')) return 'raw-hnswlib';
  if (search.name.includes('one segment')) return 'one-segment';
  if (search.name.startsWith('tiervec')) return 'shipped';
  throw new Error(`search-ingest: unknown searcher ${JSON.stringify(search.name)}`);
}

const BUILD_NAMES: Record<Role, string> = {
  'raw-hnswlib': 'build-raw-hnswlib',
  'one-segment': 'insert-fsync-one-segment',
  shipped: 'insert-buffered-default-segments',
};
const ROLES: readonly Role[] = ['raw-hnswlib', 'one-segment', 'shipped'];

const searchName = (ef: number, role: Role) => `search-ef${ef}-${role}`;
const recallName = (ef: number, role: Role, k: number) => `recall@${k}-ef${ef}-${role}`;

export function searchIngestFigureNames(efs: readonly number[], k: number): string[] {
  return [
    ...ROLES.map((role) => BUILD_NAMES[role]),
    ...efs.flatMap((ef) => ROLES.flatMap((role) => [searchName(ef, role), recallName(ef, role, k)])),
  ];
}

function buildFigure(build: BuildFigure): Figure {
  const role = buildRole(build);
  return {
    name: BUILD_NAMES[role],
    value: build.vectorsPerS,
    unit: 'vectors/s',
    higherIsBetter: true,
    ...(role === 'raw-hnswlib' ? {} : { baseline: BUILD_NAMES['raw-hnswlib'] }),
    ...(role === 'one-segment'
      ? {
          targets: [
            {
              description: 'insert (fsync) ≥ 0.8 × the raw hnswlib build rate',
              of: 'baseline',
              ratioMin: 0.8,
            },
          ],
        }
      : {}),
  };
}

function searchFigures(search: SearchFigure, k: number): Figure[] {
  const role = searchRole(search);
  const isRaw = role === 'raw-hnswlib';
  return [
    {
      name: searchName(search.ef, role),
      value: search.qps,
      unit: 'queries/s',
      higherIsBetter: true,
      ...(isRaw ? {} : { baseline: searchName(search.ef, 'raw-hnswlib') }),
      ...(role === 'one-segment'
        ? {
            targets: [
              {
                description: `search QPS ≥ 0.9 × raw hnswlib at ef ${search.ef}`,
                of: 'baseline',
                ratioMin: 0.9,
              },
            ],
          }
        : {}),
    },
    {
      name: recallName(search.ef, role, k),
      value: search.recall,
      unit: `recall@${k}`,
      higherIsBetter: true,
      ...(isRaw ? {} : { baseline: recallName(search.ef, 'raw-hnswlib', k) }),
    },
  ];
}

export function searchIngestGroup(size: SearchIngestSize, log: (line: string) => void): FigureGroup {
  const efs = size.efs ?? SEARCH_INGEST_DEFAULTS.efs;
  const k = size.k ?? SEARCH_INGEST_DEFAULTS.k;
  return {
    kind: 'figures',
    name: 'search-ingest',
    figureNames: searchIngestFigureNames(efs, k),
    measure: async () => {
      const result = await runSearchIngestBench(size, (line) => log(`    ${line}`));
      return [
        ...result.builds.map(buildFigure),
        ...result.searches.flatMap((search) => searchFigures(search, result.options.k)),
      ];
    },
  };
}
