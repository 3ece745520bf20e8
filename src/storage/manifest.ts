/**
 * A collection's manifest: the one file that says which sealed segments and tombstone files are live,
 * up to which WAL record they cover (`sealedLsn`), and the collection's spec. Each version is a new
 * immutable file `manifest/{version:020d}.json`, written durably (temporary file, fsync, rename,
 * directory fsync) before any file it supersedes is removed; the highest version present is the
 * truth. The same bytes are meant to be shipped to the object store under the same name.
 *
 * Tombstone files (`tombstones/{version:020d}.json`) hold deletions of sealed rows made since the
 * previous manifest, grouped by segment; they are immutable too and verified by size and CRC-32.
 */

import { join } from 'node:path';
import { ErrorCode, TierVecError } from '../errors.ts';
import { type CollectionSpec, validateCollectionSpec } from './collection-spec.ts';
import { crc32 } from './crc32.ts';
import { readFileIfExists, writeFileDurable } from './durable-file.ts';
import { readdir } from './file-system.ts';
import type { FileRef, SegmentDescriptor } from './segment/segment-file.ts';

export const MANIFEST_FORMAT = 'tiervec.manifest';
export const TOMBSTONES_FORMAT = 'tiervec.tombstones';
const FORMAT_VERSION = 1;
const VERSION_FILE = /^(\d{20})\.json$/;

export interface TombstoneFileRef extends FileRef {
  /** Rows the file deletes. */
  readonly tombstones: number;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: number;
  readonly version: number;
  readonly tenant: string;
  readonly collection: string;
  readonly spec: CollectionSpec;
  /** Every WAL record with an LSN at or below this is reflected in the segments and tombstones. */
  readonly sealedLsn: number;
  /** Segment sequence numbers below this have been used. */
  readonly nextSegmentSeq: number;
  readonly segments: readonly SegmentDescriptor[];
  readonly tombstoneFiles: readonly TombstoneFileRef[];
  readonly createdAtMs: number;
}

export function versionFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export function initialManifest(spec: CollectionSpec, createdAtMs: number): Manifest {
  return {
    format: MANIFEST_FORMAT,
    formatVersion: FORMAT_VERSION,
    version: 1,
    tenant: spec.tenant,
    collection: spec.name,
    spec,
    sealedLsn: 0,
    nextSegmentSeq: 1,
    segments: [],
    tombstoneFiles: [],
    createdAtMs,
  };
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileDurable(join(dir, versionFileName(manifest.version)), Buffer.from(JSON.stringify(manifest)));
}

function corrupt(message: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, message, { cause });
}

/** The highest manifest version in `dir`, and the names of the older ones (safe to remove). */
export async function readLatestManifest(dir: string): Promise<{ manifest: Manifest; older: string[] }> {
  const names = (await readdir(dir)).filter((name) => VERSION_FILE.test(name)).sort();
  const latest = names.at(-1);
  if (latest === undefined) throw corrupt(`No manifest in ${dir}`);
  const bytes = await readFileIfExists(join(dir, latest));
  let manifest: Manifest;
  try {
    manifest = JSON.parse(String(bytes)) as Manifest;
  } catch (error) {
    throw corrupt(`Manifest ${join(dir, latest)} is not valid JSON`, error);
  }
  if (manifest.format !== MANIFEST_FORMAT || manifest.formatVersion !== FORMAT_VERSION) {
    throw corrupt(`Manifest ${join(dir, latest)} has format ${manifest.format} v${manifest.formatVersion}`);
  }
  if (manifest.version !== Number((VERSION_FILE.exec(latest) as RegExpExecArray)[1])) {
    throw corrupt(`Manifest ${join(dir, latest)} says version ${manifest.version}`);
  }
  return {
    manifest: { ...manifest, spec: validateCollectionSpec(manifest.spec) },
    older: names.slice(0, -1),
  };
}

/** Writes a tombstone file: segment id → rows deleted. */
export async function writeTombstoneFile(
  dir: string,
  version: number,
  bySegment: ReadonlyMap<string, readonly number[]>,
): Promise<TombstoneFileRef> {
  const segments: Record<string, number[]> = {};
  let count = 0;
  for (const [segmentId, rows] of bySegment) {
    segments[segmentId] = [...rows].sort((a, b) => a - b);
    count += rows.length;
  }
  const bytes = Buffer.from(
    JSON.stringify({ format: TOMBSTONES_FORMAT, formatVersion: FORMAT_VERSION, segments }),
  );
  const name = versionFileName(version);
  await writeFileDurable(join(dir, name), bytes);
  return { name, bytes: bytes.length, crc32: crc32(bytes), tombstones: count };
}

/** Reads and verifies a tombstone file. */
export async function readTombstoneFile(dir: string, ref: TombstoneFileRef): Promise<Map<string, number[]>> {
  const bytes = await readFileIfExists(join(dir, ref.name));
  if (bytes === undefined || bytes.length !== ref.bytes || crc32(bytes) !== ref.crc32) {
    throw corrupt(`Tombstone file ${join(dir, ref.name)} is missing or does not match its size and CRC-32`);
  }
  const parsed = JSON.parse(String(bytes)) as { format: string; segments: Record<string, number[]> };
  if (parsed.format !== TOMBSTONES_FORMAT)
    throw corrupt(`Tombstone file ${join(dir, ref.name)} has format ${parsed.format}`);
  return new Map(Object.entries(parsed.segments));
}
