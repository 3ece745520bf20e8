/**
 * The manifest as published in the object store: the local manifest's content (spec, live segments,
 * tombstone files, `sealedLsn`) under the object store's own version sequence, plus the collection's
 * lineage (`uid`, fixed when the collection was created) so that a store never publishes on top of a
 * different collection that happens to have the same name in the same bucket. Versions are written
 * create-only (`If-None-Match: *`); the highest version present is the collection. No I/O here.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import { validateCollectionSpec } from '../collection-spec.ts';
import { MANIFEST_FORMAT, type Manifest } from '../manifest.ts';
import type { RemoteLayout } from './remote-layout.ts';

export interface RemoteManifest extends Manifest {
  /** The collection's lineage: every manifest of one collection carries the same uid. */
  readonly uid: string;
  /** When the collection was created (clock milliseconds). */
  readonly collectionCreatedAtMs: number;
}

export function encodeRemoteManifest(manifest: RemoteManifest): Uint8Array {
  return Buffer.from(JSON.stringify(manifest));
}

function corrupt(key: string, what: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `Manifest object ${describeValue(key)} ${what}`, {
    cause,
    details: { key },
  });
}

/** Parses and checks a manifest object read from `key`; CORRUPT_DATA when it is not one. */
export function decodeRemoteManifest(bytes: Uint8Array, key: string, layout: RemoteLayout): RemoteManifest {
  let parsed: RemoteManifest;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw corrupt(key, 'is not valid JSON', error);
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== MANIFEST_FORMAT) {
    throw corrupt(key, `has format ${describeValue(parsed?.format)}; expected ${MANIFEST_FORMAT}`);
  }
  const version = layout.manifestVersionOf(key);
  if (parsed.version !== version) throw corrupt(key, `says version ${describeValue(parsed.version)}`);
  if (parsed.tenant !== layout.tenant || parsed.collection !== layout.collection) {
    throw corrupt(key, `describes ${describeValue(`${parsed.tenant}/${parsed.collection}`)}`);
  }
  if (typeof parsed.uid !== 'string' || parsed.uid.length === 0) throw corrupt(key, 'has no uid');
  if (!Array.isArray(parsed.segments) || !Array.isArray(parsed.tombstoneFiles)) {
    throw corrupt(key, 'lacks its segments or tombstone files');
  }
  let spec: Manifest['spec'];
  try {
    spec = validateCollectionSpec(parsed.spec);
  } catch (error) {
    throw corrupt(key, 'holds an invalid collection spec', error);
  }
  return { ...parsed, spec };
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
