/**
 * Opening collections from the object store: how a store on an empty directory finds every
 * collection whose manifest is in the object store and lays each one down locally (its manifest and
 * tombstone files, no segment files), so that it opens read-write with every segment cold. This is
 * how a lost machine is replaced, and how another machine reads the same data.
 *
 * Only the newest manifest of each collection counts; a collection with no manifest is not one.
 * Nothing here writes to the object store.
 */

import { join } from 'node:path';
import { ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import { crc32 } from '../crc32.ts';
import { writeFileDurable } from '../durable-file.ts';
import { mkdir } from '../file-system.ts';
import type { Manifest } from '../manifest.ts';
import { requestOrFail as request } from './object-store-failure.ts';
import { parseManifestKey, RemoteLayout } from './remote-layout.ts';
import { decodeRemoteManifest, type RemoteManifest } from './remote-manifest.ts';

/**
 * The highest segment number and local version any object under a collection's prefix is named
 * with, whether or not a manifest names it yet: objects a process put before it died, and that a
 * manifest still in flight from it may name once it lands.
 */
export interface NamesTaken {
  segmentSeqMax: number;
  versionMax: number;
}

/** A collection found in the object store: its newest manifest and the names its objects took. */
export interface RemoteCollectionFound {
  manifest: RemoteManifest;
  taken: NamesTaken;
}

const SEGMENT_OBJECT = /\/segments\/(\d{10})(?:-(\d{10}))?\.(?:arrow|hnsw|ids\.json)$/;
const TOMBSTONE_OBJECT = /\/tombstones\/(\d{20})\.json$/;

/** Every collection with a manifest in the object store, each at its newest version. */
export async function findRemoteCollections(
  objectStore: ObjectStore,
  uploader: ParallelUploader,
): Promise<RemoteCollectionFound[]> {
  const newest = new Map<string, { tenant: string; collection: string; version: number }>();
  const keys = await request(
    uploader,
    'Listing tenants/ to open collections from the object store',
    async (signal) => {
      const found: string[] = [];
      for await (const key of objectStore.list('tenants/', { signal })) found.push(key);
      return found;
    },
  );
  for (const key of keys) {
    const parsed = parseManifestKey(key);
    if (parsed === undefined) continue;
    const id = `${parsed.tenant}/${parsed.collection}`;
    if ((newest.get(id)?.version ?? 0) < parsed.version) newest.set(id, parsed);
  }
  const found: RemoteCollectionFound[] = [];
  for (const { tenant, collection, version } of newest.values()) {
    const layout = new RemoteLayout(tenant, collection);
    const key = layout.manifestKey(version);
    const bytes = await request(uploader, `Reading ${key}`, (signal) => objectStore.get(key, { signal }));
    const manifest = decodeRemoteManifest(bytes, key, layout);
    found.push({ manifest, taken: namesTaken(keys, layout) });
  }
  return found;
}

/** The names the objects under one collection's prefix took (segment numbers, local versions). */
export function namesTaken(keys: readonly string[], layout: RemoteLayout): NamesTaken {
  const taken: NamesTaken = { segmentSeqMax: 0, versionMax: 0 };
  for (const key of keys) {
    if (!key.startsWith(layout.prefix)) continue;
    const segment = SEGMENT_OBJECT.exec(key);
    if (segment !== null) {
      taken.segmentSeqMax = Math.max(taken.segmentSeqMax, Number(segment[1]));
      taken.versionMax = Math.max(taken.versionMax, Number(segment[2] ?? 0));
      continue;
    }
    const tombstone = TOMBSTONE_OBJECT.exec(key);
    if (tombstone !== null) taken.versionMax = Math.max(taken.versionMax, Number(tombstone[1]));
  }
  return taken;
}

/**
 * The local manifest of an imported collection: the published one without its object-store fields.
 * Its local version continues after every local version its files were named with (tombstone files
 * and compacted segment ids carry the writer's local versions, which run ahead of the published
 * ones), and its next segment number after every segment number in the object store, so that no
 * later seal or compaction here reuses the name of an object: neither one the manifest names nor
 * one a dead process put whose manifest may still land (a request in flight when it died).
 */
export function localManifestOf(remote: RemoteManifest, taken?: NamesTaken): Manifest {
  const { uid: _uid, collectionCreatedAtMs: _createdAtMs, ...manifest } = remote;
  const namedVersions = [
    ...manifest.tombstoneFiles.map((file) => Number(file.name.slice(0, 20))),
    ...manifest.segments.map((segment) => Number(segment.id.split('-')[1] ?? 0)),
  ];
  return {
    ...manifest,
    version: Math.max(manifest.version, taken?.versionMax ?? 0, ...namedVersions),
    nextSegmentSeq: Math.max(manifest.nextSegmentSeq, (taken?.segmentSeqMax ?? 0) + 1),
  };
}

/** Downloads the tombstone files a published manifest names into `{dir}/tombstones/`, checked. */
export async function downloadTombstoneFiles(
  dir: string,
  manifest: RemoteManifest,
  objectStore: ObjectStore,
  uploader: ParallelUploader,
): Promise<void> {
  const layout = new RemoteLayout(manifest.tenant, manifest.collection);
  await mkdir(join(dir, 'tombstones'), { recursive: true });
  for (const file of manifest.tombstoneFiles) {
    const key = layout.tombstoneKey(file.name);
    const bytes = await request(uploader, `Downloading ${key}`, (signal) => objectStore.get(key, { signal }));
    if (bytes.byteLength !== file.bytes || crc32(bytes) !== file.crc32) {
      throw new TierVecError(
        ErrorCode.CORRUPT_DATA,
        `Tombstone object ${key} does not match the manifest's size and CRC-32`,
        { details: { key } },
      );
    }
    await writeFileDurable(join(dir, 'tombstones', file.name), bytes);
  }
}

/**
 * Deletes a dropped collection from the object store: its manifests first (from then on no store
 * opens it), then every other object under its prefix. Resolves with the keys it could not delete.
 */
export async function deleteRemoteCollection(
  objectStore: ObjectStore,
  uploader: ParallelUploader,
  tenant: string,
  collection: string,
): Promise<string[]> {
  const layout = new RemoteLayout(tenant, collection);
  const keys = await request(uploader, `Listing ${layout.prefix}`, async (signal) => {
    const found: string[] = [];
    for await (const key of objectStore.list(layout.prefix, { signal })) found.push(key);
    return found;
  });
  const manifests = keys.filter((key) => layout.manifestVersionOf(key) !== undefined);
  const rest = keys.filter((key) => layout.manifestVersionOf(key) === undefined);
  const failed: string[] = [];
  for (const batch of [manifests, rest]) {
    const results = await Promise.allSettled(
      batch.map((key) => uploader.request(`delete ${key}`, (signal) => objectStore.delete(key, { signal }))),
    );
    results.forEach((result, i) => {
      if (result.status === 'rejected') failed.push(batch[i] as string);
    });
    if (failed.length > 0) break;
  }
  return failed;
}
