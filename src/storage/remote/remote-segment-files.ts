/**
 * A collection's segment files between local disk and the object store: downloading a cold segment's
 * Arrow and index files (checked against the manifest's sizes and CRC-32s before they are kept),
 * removing them again, reading files for upload (checked the same way), and the id companions
 * (`{id}.ids.json`: each row's document id, so a cold segment's ids are known without its files),
 * cached under `{dir}/ids/`.
 *
 * Downloaded files are a cache of the object store, written atomically but not fsynced. This module
 * must never keep a downloaded file that fails its check, nor upload a local file that does.
 */

import { join } from 'node:path';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { crc32 } from '../crc32.ts';
import { readFileIfExists, TEMP_SUFFIX, writeFileDurable } from '../durable-file.ts';
import { mkdir, readFile, rename, rm, writeFile } from '../file-system.ts';
import type { FileRef, SegmentDescriptor } from '../segment/segment-file.ts';
import type { RemoteLayout } from './remote-layout.ts';
import { decodeSegmentIds, encodeSegmentIds, type SegmentIds, segmentIdsFromArrow } from './segment-ids.ts';

const IDS_DIR = 'ids';

/** Runs one object-store request through the uploader's retries and breaker; typed errors out. */
export type RemoteRequest = <T>(
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
) => Promise<T>;

export interface RemoteSegmentFilesOptions {
  readonly layout: RemoteLayout;
  readonly objectStore: ObjectStore;
  /** The collection's directory; segment files are in its `segments/`. */
  readonly dir: string;
  readonly request: RemoteRequest;
}

export class RemoteSegmentFiles {
  readonly #options: RemoteSegmentFilesOptions;
  readonly #stats = { downloads: 0, bytesDownloaded: 0 };

  constructor(options: RemoteSegmentFilesOptions) {
    this.#options = options;
  }

  stats(): { downloads: number; bytesDownloaded: number } {
    return { ...this.#stats };
  }

  /**
   * Downloads a cold segment's two files into `segments/`, checked against the descriptor; on any
   * failure nothing of it is left on disk. Resolves once the index file is on disk, with the bytes
   * downloaded, the Arrow file's bytes (so loading need not read them back) and the write of the
   * Arrow file, still running (loading does not need it; the segment is warm only once it ends). The
   * files are a cache of the object store, written atomically but not fsynced: after a crash a
   * damaged one fails its check and is downloaded again.
   */
  async download(
    descriptor: SegmentDescriptor,
    signal?: AbortSignal,
  ): Promise<{ bytes: number; arrow: Uint8Array; arrowWritten: Promise<void> }> {
    const dir = join(this.#options.dir, 'segments');
    const refs: [FileRef, 'arrow' | 'hnsw'][] = [
      [descriptor.arrow, 'arrow'],
      [descriptor.hnsw, 'hnsw'],
    ];
    try {
      const bodies = await Promise.all(
        refs.map(([ref, kind]) => this.#fetchVerified(descriptor, ref, kind, signal)),
      );
      const [arrow, hnsw] = bodies as [Uint8Array, Uint8Array];
      await writeFileAtomic(join(dir, descriptor.hnsw.name), hnsw);
      const arrowWritten = writeFileAtomic(join(dir, descriptor.arrow.name), arrow);
      // Awaited by the caller; it must not be an unhandled rejection meanwhile.
      arrowWritten.catch(() => undefined);
      const bytes = arrow.byteLength + hnsw.byteLength;
      this.#stats.downloads++;
      this.#stats.bytesDownloaded += bytes;
      return { bytes, arrow, arrowWritten };
    } catch (error) {
      await this.removeLocalFiles(descriptor);
      throw error;
    }
  }

  async #fetchVerified(
    descriptor: SegmentDescriptor,
    ref: FileRef,
    kind: 'arrow' | 'hnsw',
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const key = this.#options.layout.segmentKey(descriptor.id, kind);
    const body = await this.#options.request(
      `Downloading ${key}`,
      (s) => this.#options.objectStore.get(key, { signal: s }),
      signal,
    );
    if (body.byteLength !== ref.bytes || crc32(body) !== ref.crc32) {
      throw new TierVecError(
        ErrorCode.CORRUPT_DATA,
        `Object ${describeValue(key)} does not match the manifest's size and CRC-32 (${ref.bytes} bytes, ${ref.crc32})`,
        { details: { key } },
      );
    }
    return body;
  }

  /**
   * True when the object store holds both files of the segment at their recorded sizes (their
   * CRC-32s are checked when they are downloaded); false when it does not, or cannot be asked.
   */
  async holdsSegment(descriptor: SegmentDescriptor): Promise<boolean> {
    const { layout, objectStore } = this.#options;
    const refs: [FileRef, 'arrow' | 'hnsw'][] = [
      [descriptor.arrow, 'arrow'],
      [descriptor.hnsw, 'hnsw'],
    ];
    try {
      const heads = await Promise.all(
        refs.map(([, kind]) => {
          const key = layout.segmentKey(descriptor.id, kind);
          return this.#options.request(`Checking ${key}`, (signal) => objectStore.head(key, { signal }));
        }),
      );
      return heads.every((head, i) => head !== undefined && head.sizeBytes === refs[i]?.[0].bytes);
    } catch {
      return false;
    }
  }

  /** Removes a segment's files from local disk (a download that could not be completed). */
  async removeLocalFiles(descriptor: SegmentDescriptor): Promise<void> {
    const dir = join(this.#options.dir, 'segments');
    await Promise.all(
      [descriptor.arrow.name, descriptor.hnsw.name].map((name) => rm(join(dir, name), { force: true })),
    );
  }

  /** The id companion of a segment: from the local cache, else downloaded (and cached). */
  async segmentIds(descriptor: SegmentDescriptor): Promise<SegmentIds> {
    const cached = await readFileIfExists(this.#idsPath(descriptor.id));
    if (cached !== undefined) return decodeSegmentIds(cached, descriptor);
    const key = this.#options.layout.segmentKey(descriptor.id, 'ids');
    const bytes = await this.#options.request(`Downloading ${key}`, (signal) =>
      this.#options.objectStore.get(key, { signal }),
    );
    const ids = decodeSegmentIds(bytes, descriptor);
    await this.#cacheIds(descriptor.id, bytes);
    return ids;
  }

  /** The id companion's bytes: from the local cache, else derived from the Arrow file and cached. */
  async idsBytes(segment: SegmentDescriptor): Promise<Uint8Array> {
    const path = this.#idsPath(segment.id);
    const cached = await readFileIfExists(path);
    if (cached !== undefined) return cached;
    const arrow = await readVerified(join(this.#options.dir, 'segments'), segment.arrow);
    const bytes = encodeSegmentIds(segmentIdsFromArrow(arrow, segment), segment);
    await this.#cacheIds(segment.id, bytes);
    return bytes;
  }

  /** Removes the local id companion of a segment no manifest names any more. */
  async forgetSegment(segmentId: string): Promise<void> {
    await rm(this.#idsPath(segmentId), { force: true });
  }

  #idsPath(segmentId: string): string {
    return join(this.#options.dir, IDS_DIR, `${segmentId}.ids.json`);
  }

  async #cacheIds(segmentId: string, bytes: Uint8Array): Promise<void> {
    await mkdir(join(this.#options.dir, IDS_DIR), { recursive: true });
    await writeFileDurable(this.#idsPath(segmentId), bytes);
  }
}

/** A local segment or tombstone file for upload, checked against its recorded size and CRC-32. */
export async function readVerified(dir: string, ref: FileRef): Promise<Uint8Array> {
  const path = join(dir, ref.name);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TierVecError(
      ErrorCode.IO_ERROR,
      `Reading ${path} for upload failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (bytes.length !== ref.bytes || crc32(bytes) !== ref.crc32) {
    throw new TierVecError(
      ErrorCode.CORRUPT_DATA,
      `${path} does not match its recorded size and CRC-32; it is not uploaded`,
    );
  }
  return bytes;
}

/** Temporary file, then rename: a reader never sees a partial file (no fsync: see `download`). */
async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}${TEMP_SUFFIX}`;
  await writeFile(temp, bytes);
  await rename(temp, path);
}
