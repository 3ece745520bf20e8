/**
 * Checks every field of a parsed manifest (local or object-store) before anything acts on it: the
 * collection spec, `sealedLsn` and `nextSegmentSeq`, each segment's description against the spec,
 * each tombstone file reference. A manifest that fails is CORRUPT_DATA naming the file and the
 * field; it must never reach hnswlib, Arrow or the WAL (whose records it would release).
 *
 * Pure: no I/O, and it never repairs a field; it only accepts or refuses.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { type CollectionSpec, validateCollectionSpec } from './collection-spec.ts';
import { MANIFEST_FORMAT, type Manifest, type TombstoneFileRef } from './manifest-shape.ts';
import {
  type FileRef,
  SEGMENT_FORMAT,
  type SegmentDescriptor,
  segmentIdFor,
} from './segment/segment-file.ts';

export { MANIFEST_FORMAT };

const VERSION_FILE = /^\d{20}\.json$/;
const UINT32_MAX = 2 ** 32 - 1;

type Fields = Record<string, unknown>;

function corrupt(where: string, field: string, expected: string, value: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.CORRUPT_DATA,
    `Manifest ${where}: \`${field}\` should be ${expected}, got ${describeValue(value)}`,
    { details: { where, field } },
  );
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(
  where: string,
  fields: Fields,
  field: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  path = field,
) {
  const value = fields[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw corrupt(where, path, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function fileRef(where: string, value: unknown, path: string, name: RegExp): FileRef {
  if (!isObject(value) || typeof value.name !== 'string' || !name.test(value.name)) {
    throw corrupt(
      where,
      `${path}.name`,
      `a file name matching ${name}`,
      isObject(value) ? value.name : value,
    );
  }
  integer(where, value, 'bytes', 0, Number.MAX_SAFE_INTEGER, `${path}.bytes`);
  integer(where, value, 'crc32', 0, UINT32_MAX, `${path}.crc32`);
  return value as unknown as FileRef;
}

function checkSegment(where: string, value: unknown, index: number, spec: CollectionSpec): SegmentDescriptor {
  const path = `segments[${index}]`;
  if (!isObject(value) || value.format !== SEGMENT_FORMAT) {
    throw corrupt(where, `${path}.format`, `"${SEGMENT_FORMAT}"`, isObject(value) ? value.format : value);
  }
  const seq = integer(where, value, 'seq', 1, Number.MAX_SAFE_INTEGER, `${path}.seq`);
  if (
    typeof value.id !== 'string' ||
    !/^\d{10}(-\d{10})?$/.test(value.id) ||
    !value.id.startsWith(segmentIdFor(seq))
  ) {
    throw corrupt(where, `${path}.id`, `the id of segment ${seq}`, value.id);
  }
  if (value.metric !== spec.metric)
    throw corrupt(where, `${path}.metric`, `"${spec.metric}" (the spec's)`, value.metric);
  if (value.dimension !== spec.dimension) {
    throw corrupt(where, `${path}.dimension`, `${spec.dimension} (the spec's)`, value.dimension);
  }
  integer(where, value, 'formatVersion', 1, 1_000, `${path}.formatVersion`);
  integer(where, value, 'm', 1, 10_000, `${path}.m`);
  integer(where, value, 'efConstruction', 1, 100_000, `${path}.efConstruction`);
  integer(where, value, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, `${path}.seed`);
  const rows = integer(where, value, 'rows', 0, Number.MAX_SAFE_INTEGER, `${path}.rows`);
  integer(where, value, 'deletedRows', 0, rows, `${path}.deletedRows`);
  if (typeof value.createdAtMs !== 'number' || !Number.isFinite(value.createdAtMs)) {
    throw corrupt(where, `${path}.createdAtMs`, 'a finite number', value.createdAtMs);
  }
  const fileName = new RegExp(`^${value.id}\\.`);
  fileRef(where, value.arrow, `${path}.arrow`, fileName);
  fileRef(where, value.hnsw, `${path}.hnsw`, fileName);
  return value as unknown as SegmentDescriptor;
}

function checkSegments(where: string, fields: Fields, spec: CollectionSpec, nextSegmentSeq: number) {
  if (!Array.isArray(fields.segments)) throw corrupt(where, 'segments', 'a list', fields.segments);
  const ids = new Set<string>();
  const segments = fields.segments.map((value, index) => {
    const segment = checkSegment(where, value, index, spec);
    if (ids.has(segment.id)) throw corrupt(where, `segments[${index}].id`, 'unique', segment.id);
    ids.add(segment.id);
    if (segment.seq >= nextSegmentSeq) {
      throw corrupt(where, 'nextSegmentSeq', `above every segment's seq (${segment.seq})`, nextSegmentSeq);
    }
    return segment;
  });
  return segments;
}

function checkTombstoneFiles(where: string, fields: Fields, versionMax: number): TombstoneFileRef[] {
  if (!Array.isArray(fields.tombstoneFiles))
    throw corrupt(where, 'tombstoneFiles', 'a list', fields.tombstoneFiles);
  let previous = 0;
  return fields.tombstoneFiles.map((value, index) => {
    const path = `tombstoneFiles[${index}]`;
    const ref = fileRef(where, value, path, VERSION_FILE);
    const fileVersion = Number(ref.name.slice(0, 20));
    // Tombstone files are written one per local manifest version, in order, never ahead of it.
    if (fileVersion <= previous || fileVersion > versionMax) {
      throw corrupt(where, `${path}.name`, `a version after ${previous} and at most ${versionMax}`, ref.name);
    }
    previous = fileVersion;
    integer(where, value as Fields, 'tombstones', 0, Number.MAX_SAFE_INTEGER, `${path}.tombstones`);
    return ref as TombstoneFileRef;
  });
}

/**
 * Checks a parsed manifest found at `where` (a path or an object key) whose name says `version`;
 * returns it with its spec normalised. CORRUPT_DATA naming the first bad field. An object-store
 * manifest (`remote`) numbers its versions on its own, so its tombstone files' local versions are
 * not bounded by it.
 */
export function checkManifest(value: unknown, where: string, version: number, remote = false): Manifest {
  if (!isObject(value) || value.format !== MANIFEST_FORMAT) {
    throw corrupt(where, 'format', `"${MANIFEST_FORMAT}"`, isObject(value) ? value.format : value);
  }
  if (value.version !== version) throw corrupt(where, 'version', `${version} (its name's)`, value.version);
  let spec: CollectionSpec;
  try {
    spec = validateCollectionSpec(value.spec);
  } catch (error) {
    throw new TierVecError(
      ErrorCode.CORRUPT_DATA,
      `Manifest ${where}: \`spec\` is invalid: ${(error as Error).message}`,
      {
        cause: error,
        details: { where, field: 'spec' },
      },
    );
  }
  if (value.tenant !== spec.tenant)
    throw corrupt(where, 'tenant', `"${spec.tenant}" (the spec's)`, value.tenant);
  if (value.collection !== spec.name)
    throw corrupt(where, 'collection', `"${spec.name}" (the spec's)`, value.collection);
  integer(where, value, 'sealedLsn', 0);
  const nextSegmentSeq = integer(where, value, 'nextSegmentSeq', 1);
  if (typeof value.createdAtMs !== 'number' || !Number.isFinite(value.createdAtMs)) {
    throw corrupt(where, 'createdAtMs', 'a finite number', value.createdAtMs);
  }
  const segments = checkSegments(where, value, spec, nextSegmentSeq);
  const tombstoneFiles = checkTombstoneFiles(where, value, remote ? Number.MAX_SAFE_INTEGER : version);
  const { crc32: _crc, ...fields } = value;
  return { ...(fields as unknown as Manifest), spec, segments, tombstoneFiles };
}
