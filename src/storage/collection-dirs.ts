/**
 * Where a collection keeps its files under its directory: `segments/` (Arrow and index files),
 * `tombstones/`, `manifest/` and `wal/`. Every part of a collection (recovery, sealing, compaction)
 * takes these paths from here, so the layout is written down once; a new collection's directories
 * and first manifest are laid down here too. It must never touch an existing collection's files.
 */

import { join } from 'node:path';
import { mkdir } from './file-system.ts';
import { type Manifest, writeManifest } from './manifest.ts';

export interface CollectionDirs {
  readonly segments: string;
  readonly tombstones: string;
  readonly manifest: string;
  readonly wal: string;
}

export function collectionDirs(dir: string): CollectionDirs {
  return Object.freeze({
    segments: join(dir, 'segments'),
    tombstones: join(dir, 'tombstones'),
    manifest: join(dir, 'manifest'),
    wal: join(dir, 'wal'),
  });
}

/** Creates the directory layout and first manifest of a new collection in `dir`. */
export async function createCollectionFiles(dir: string, manifest: Manifest): Promise<void> {
  const dirs = collectionDirs(dir);
  for (const sub of Object.values(dirs)) await mkdir(sub, { recursive: true });
  await writeManifest(dirs.manifest, manifest);
}
