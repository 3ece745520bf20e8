/**
 * The store catalog, `{dir}/catalog.json`: every collection of every tenant with its spec. It is
 * rewritten whole and durably on create and drop, so after a crash a store reopens knowing exactly
 * the collections that were acknowledged. A collection's directory is created (with its first
 * manifest) before it enters the catalog and removed after it leaves it; directories the catalog does
 * not name are leftovers of an interrupted create or drop and are removed on open.
 */

import { join } from 'node:path';
import { ErrorCode, TierVecError } from '../errors.ts';
import { type CollectionSpec, validateCollectionSpec } from './collection-spec.ts';
import { readFileIfExists, writeFileDurable } from './durable-file.ts';

export const CATALOG_FORMAT = 'tiervec.catalog';
const FORMAT_VERSION = 1;
const FILE_NAME = 'catalog.json';

export interface CatalogEntry {
  readonly spec: CollectionSpec;
  readonly createdAtMs: number;
}

/** One collection as `listCollections` describes it. */
export interface CollectionInfo {
  tenant: string;
  name: string;
  dimension: number;
  metric: CollectionSpec['metric'];
  hnsw: CollectionSpec['hnsw'];
  quota: CollectionSpec['quota'];
  createdAtMs: number;
}

export async function readCatalog(dir: string): Promise<CatalogEntry[]> {
  const path = join(dir, FILE_NAME);
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) return [];
  try {
    const parsed = JSON.parse(String(bytes)) as {
      format: string;
      formatVersion: number;
      collections: CatalogEntry[];
    };
    if (parsed.format !== CATALOG_FORMAT || parsed.formatVersion !== FORMAT_VERSION) {
      throw new Error(`format ${parsed.format} v${parsed.formatVersion}`);
    }
    return parsed.collections.map((entry) => ({
      spec: validateCollectionSpec(entry.spec),
      createdAtMs: entry.createdAtMs,
    }));
  } catch (error) {
    throw new TierVecError(
      ErrorCode.CORRUPT_DATA,
      `Catalog ${path} is unreadable: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

export async function writeCatalog(dir: string, entries: readonly CatalogEntry[]): Promise<void> {
  const body = { format: CATALOG_FORMAT, formatVersion: FORMAT_VERSION, collections: entries };
  await writeFileDurable(join(dir, FILE_NAME), Buffer.from(JSON.stringify(body)));
}
