/**
 * The manifest as published in the object store: the local manifest's content (spec, live segments,
 * tombstone files, `sealedLsn`) under the object store's own version sequence, plus the collection's
 * lineage (`uid`, fixed when the collection was created) so that a store never publishes on top of a
 * different collection that happens to have the same name in the same bucket. Versions are written
 * create-only (`If-None-Match: *`); the highest version present is the collection. No I/O here.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import { decodeManifest, encodeManifest, type Manifest } from '../manifest.ts';
import { checkManifest } from '../manifest-check.ts';
import type { RemoteLayout } from './remote-layout.ts';

export interface RemoteManifest extends Manifest {
  /** The collection's lineage: every manifest of one collection carries the same uid. */
  readonly uid: string;
  /** When the collection was created (clock milliseconds). */
  readonly collectionCreatedAtMs: number;
}

/** The object's bytes: the manifest with its CRC-32, as a local manifest file (see `encodeManifest`). */
export function encodeRemoteManifest(manifest: RemoteManifest): Uint8Array {
  return encodeManifest(manifest);
}

function corrupt(key: string, what: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `Manifest object ${describeValue(key)} ${what}`, {
    cause,
    details: { key },
  });
}

/**
 * Parses and checks a manifest object read from `key`: its CRC-32 (format version 2) and every field,
 * as for a local manifest, then its place (version, tenant, collection) and lineage. CORRUPT_DATA
 * when it is not a sound manifest of this collection.
 */
export function decodeRemoteManifest(bytes: Uint8Array, key: string, layout: RemoteLayout): RemoteManifest {
  const where = `object ${describeValue(key)}`;
  const version = layout.manifestVersionOf(key);
  if (version === undefined) throw corrupt(key, 'is not named like a manifest');
  const manifest = checkManifest(decodeManifest(bytes, where), where, version, true);
  if (manifest.tenant !== layout.tenant || manifest.collection !== layout.collection) {
    throw corrupt(key, `describes ${describeValue(`${manifest.tenant}/${manifest.collection}`)}`);
  }
  const remote = manifest as RemoteManifest;
  if (typeof remote.uid !== 'string' || remote.uid.length === 0) throw corrupt(key, 'has no uid');
  if (typeof remote.collectionCreatedAtMs !== 'number' || !Number.isFinite(remote.collectionCreatedAtMs)) {
    throw corrupt(key, `has collectionCreatedAtMs ${describeValue(remote.collectionCreatedAtMs)}`);
  }
  return remote;
}

/** Every object key a manifest names (segment files, their id companions, tombstone files). */
export function keysNamedBy(manifest: Manifest, layout: RemoteLayout): Set<string> {
  const keys = new Set<string>();
  for (const segment of manifest.segments) {
    keys.add(layout.segmentKey(segment.id, 'arrow'));
    keys.add(layout.segmentKey(segment.id, 'hnsw'));
    keys.add(layout.segmentKey(segment.id, 'ids'));
  }
  for (const file of manifest.tombstoneFiles) keys.add(layout.tombstoneKey(file.name));
  return keys;
}

/** True when two manifests describe the same data (versions and times aside). */
export function sameContent(a: Manifest, b: Manifest): boolean {
  return (
    a.sealedLsn === b.sealedLsn &&
    a.nextSegmentSeq === b.nextSegmentSeq &&
    a.segments.length === b.segments.length &&
    a.segments.every((segment, i) => segment.id === b.segments[i]?.id) &&
    a.tombstoneFiles.length === b.tombstoneFiles.length &&
    a.tombstoneFiles.every((file, i) => file.name === b.tombstoneFiles[i]?.name)
  );
}
