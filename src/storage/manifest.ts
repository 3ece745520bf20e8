/**
 * A collection's manifest: the one file that says which sealed segments and tombstone files are live,
 * up to which WAL record they cover (`sealedLsn`), and the collection's spec. Each version is a new
 * immutable file `manifest/{version:020d}.json`, written durably (temporary file, fsync, rename,
 * directory fsync) before any file it supersedes is removed; the highest version present is the
 * truth. The same bytes are meant to be shipped to the object store under the same name.
 *
 * Every manifest carries a CRC-32 of its own text (format version 2; version 1 manifests, written
 * before it, are still read) and every field is checked on read (`manifest-check.ts`): a damaged
 * manifest is CORRUPT_DATA and refuses the open before anything acts on it, since its `sealedLsn`
 * decides which WAL records are released. There is no fallback to an older manifest: once a new one
 * is durable the older file is removed, and an older one would not cover what the WAL has released.
 *
 * Tombstone files (`tombstones/{version:020d}.json`) hold deletions of sealed rows made since the
 * previous manifest, grouped by segment; they are immutable too and verified by size and CRC-32.
 */

import { join } from 'node:path';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { CollectionSpec } from './collection-spec.ts';
import { crc32 } from './crc32.ts';
import { readFileIfExists, writeFileDurable } from './durable-file.ts';
import { readdir } from './file-system.ts';
import { checkManifest } from './manifest-check.ts';
import { MANIFEST_FORMAT, type Manifest, type TombstoneFileRef } from './manifest-shape.ts';

export type { Manifest, TombstoneFileRef };
export { MANIFEST_FORMAT };
export const TOMBSTONES_FORMAT = 'tiervec.tombstones';
const FORMAT_VERSION = 1;
/** 2: the manifest ends with `"crc32"`, a CRC-32 of the text before it. 1: no CRC (still read). */
const MANIFEST_FORMAT_VERSION = 2;
const VERSION_FILE = /^(\d{20})\.json$/;

export function versionFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export function initialManifest(spec: CollectionSpec, createdAtMs: number): Manifest {
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
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
  await writeFileDurable(join(dir, versionFileName(manifest.version)), encodeManifest(manifest));
}

const CRC_TAIL = /,"crc32":(\d{1,10})\}$/;

/**
 * A manifest's bytes: its JSON (as format version 2) with `"crc32"` as the last field, a CRC-32 of
 * the text before `,"crc32"` plus the closing brace. The CRC covers the exact bytes written, so a
 * reader needs no canonical re-serialisation to check it.
 */
export function encodeManifest<T extends Manifest>(manifest: T): Buffer {
  const { crc32: _previous, ...fields } = manifest as T & { crc32?: number };
  const body = JSON.stringify({ ...fields, formatVersion: MANIFEST_FORMAT_VERSION });
  return Buffer.from(`${body.slice(0, -1)},"crc32":${crc32(Buffer.from(body))}}`);
}

/**
 * Parses manifest bytes found at `where`, checking the CRC of a version 2 manifest; the fields are
 * left to `checkManifest`. CORRUPT_DATA when the bytes are not a manifest or fail their CRC.
 */
export function decodeManifest(bytes: Uint8Array | undefined, where: string): unknown {
  const text =
    bytes === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(`Manifest ${where} is not valid JSON`, error);
  }
  const formatVersion = (parsed as { formatVersion?: unknown } | null)?.formatVersion;
  if (formatVersion === 1) return parsed;
  if (formatVersion !== MANIFEST_FORMAT_VERSION) {
    throw corrupt(`Manifest ${where} has format version ${describeValue(formatVersion)}; expected 1 or 2`);
  }
  const tail = CRC_TAIL.exec(text);
  const body = tail === null ? undefined : `${text.slice(0, tail.index)}}`;
  if (tail === null || body === undefined || crc32(Buffer.from(body)) !== Number(tail[1])) {
    throw corrupt(`Manifest ${where} does not match its CRC-32: it was damaged after it was written`);
  }
  return parsed;
}

function corrupt(message: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, message, { cause });
}

/** The highest manifest version in `dir`, and the names of the older ones (safe to remove). */
export async function readLatestManifest(dir: string): Promise<{ manifest: Manifest; older: string[] }> {
  const names = (await readdir(dir)).filter((name) => VERSION_FILE.test(name)).sort();
  const latest = names.at(-1);
  if (latest === undefined) throw corrupt(`No manifest in ${dir}`);
  const path = join(dir, latest);
  const parsed = decodeManifest(await readFileIfExists(path), path);
  const version = Number((VERSION_FILE.exec(latest) as RegExpExecArray)[1]);
  return { manifest: checkManifest(parsed, path, version), older: names.slice(0, -1) };
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
