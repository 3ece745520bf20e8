/**
 * One collection's presence in the object store: publishing, downloading, and knowing what is
 * durable there.
 *
 * Publishing makes the newest local manifest durable in the object store: every segment file, id
 * companion and tombstone file it names is uploaded through the store's ParallelUploader (retries,
 * circuit breaker, dead-letter queue), then a new manifest version is written create-only
 * (`If-None-Match: *`). Only then are the segments it names durable there, and only durable segments
 * may go cold (the tiering layer asks `isDurable`). A manifest version that already exists with
 * other bytes, a newer version than this store knows, or a newest manifest of another lineage means
 * another writer: that is reported as MANIFEST_CONFLICT (thrown by `publish`, warned once) and this
 * store stops publishing; it never overwrites or supersedes the other writer's manifest. Objects the
 * new manifest no longer names, and manifests older than the previous one, are deleted only after
 * the new manifest is durable. A failed publish is retried after `publishRetryMs` on the clock, and
 * on the next seal; dead letters holding objects it needs are replayed first.
 *
 * Downloading brings a cold segment's files back to local disk (checked against the manifest's sizes
 * and CRC-32s before they are kept), and reads the id companions of cold segments.
 *
 * This module must never overwrite a manifest version, never delete an object a durable manifest
 * still names, and never report a segment durable before the manifest naming it is.
 */

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import { crc32 } from '../crc32.ts';
import { readFileIfExists, TEMP_SUFFIX, writeFileDurable } from '../durable-file.ts';
import { mkdir, readFile, rename, rm, writeFile } from '../file-system.ts';
import type { Manifest } from '../manifest.ts';
import type { ObjectStore } from '../object-store/object-store.ts';
import { isObjectStoreError } from '../object-store/object-store-error.ts';
import type { FileRef, SegmentDescriptor } from '../segment/segment-file.ts';
import type { StoreWarning } from '../store-warning.ts';
import { objectStoreFailure } from './object-store-failure.ts';
import type { RemoteLayout } from './remote-layout.ts';
import {
  decodeRemoteManifest,
  encodeRemoteManifest,
  keysNamedBy,
  type RemoteManifest,
  sameContent,
} from './remote-manifest.ts';
import { decodeSegmentIds, encodeSegmentIds, type SegmentIds, segmentIdsFromArrow } from './segment-ids.ts';

const STATE_FILE = 'object-store.json';
const STATE_FORMAT = 'tiervec.object-store-state';
const IDS_DIR = 'ids';

export interface CollectionRemoteOptions {
  readonly layout: RemoteLayout;
  readonly objectStore: ObjectStore;
  readonly uploader: ParallelUploader;
  /** The collection's directory; segment and tombstone files are in its `segments/` and `tombstones/`. */
  readonly dir: string;
  readonly clock: Clock;
  readonly collectionCreatedAtMs: number;
  /** Wait before a failed publish is tried again, in milliseconds of `clock`. */
  readonly publishRetryMs: number;
  readonly warn: (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;
  /** Called once a manifest is durable in the object store. */
  readonly onPublished?: (manifest: RemoteManifest) => void;
}

export type PublishOutcome =
  | { state: 'published'; version: number }
  | { state: 'unchanged'; version: number };

export interface RemoteStats {
  /** Newest manifest version this store knows durable in the object store (0: none; undefined: not read yet). */
  version: number | undefined;
  publishes: number;
  publishFailures: number;
  /** A local manifest newer than the published one waits (after a failure, for the retry). */
  pending: boolean;
  conflict: boolean;
  lastError: string | undefined;
  downloads: number;
  bytesDownloaded: number;
  objectsDeleted: number;
}

interface RemoteView {
  readonly version: number;
  readonly manifest: RemoteManifest | undefined;
  readonly named: ReadonlySet<string>;
  /** Versions older than `version` still in the store, deleted after the next publish. */
  readonly olderVersions: readonly number[];
}

/** A source of the bytes of one object a manifest names. */
type ObjectSource = () => Promise<Uint8Array>;

export class CollectionRemote {
  readonly uid: string;
  readonly #options: CollectionRemoteOptions;
  readonly #layout: RemoteLayout;
  readonly #uploaded = new Set<string>();
  #durable = new Set<string>();
  #remote: RemoteView | undefined;
  #conflict: TierVecError | undefined;
  #newest: Manifest | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #retryTimer: TimerHandle | undefined;
  #lastError: TierVecError | undefined;
  #closed = false;
  readonly #stats = { publishes: 0, publishFailures: 0, downloads: 0, bytesDownloaded: 0, objectsDeleted: 0 };

  private constructor(options: CollectionRemoteOptions, uid: string) {
    this.#options = options;
    this.#layout = options.layout;
    this.uid = uid;
  }

  /**
   * Opens the collection's object-store state: its lineage uid (from `{dir}/object-store.json`; a new
   * one, or `uid` when given, is written durably the first time).
   */
  static async open(options: CollectionRemoteOptions, uid?: string): Promise<CollectionRemote> {
    const path = join(options.dir, STATE_FILE);
    const bytes = await readFileIfExists(path);
    if (bytes !== undefined) {
      const state = parseState(bytes, path);
      return new CollectionRemote(options, state.uid);
    }
    const fresh = uid ?? randomUUID();
    await writeFileDurable(path, Buffer.from(JSON.stringify({ format: STATE_FORMAT, uid: fresh })));
    return new CollectionRemote(options, fresh);
  }

  get layout(): RemoteLayout {
    return this.#layout;
  }

  /** True once a durable manifest in the object store names this segment. */
  isDurable(segmentId: string): boolean {
    return this.#durable.has(segmentId);
  }

  /** Marks segments durable that a manifest read from the object store (on import) names. */
  adoptPublished(manifest: RemoteManifest): void {
    if (manifest.uid !== this.uid) throw new Error('CollectionRemote.adoptPublished: another lineage');
    const named = keysNamedBy(manifest, this.#layout);
    this.#remote = { version: manifest.version, manifest, named, olderVersions: [] };
    for (const key of named) this.#uploaded.add(key);
    this.#durable = new Set(manifest.segments.map((segment) => segment.id));
  }

  get conflict(): TierVecError | undefined {
    return this.#conflict;
  }

  /** Publishes `manifest` (or a newer one requested meanwhile) in the background; failures are retried. */
  request(manifest: Manifest): void {
    if (this.#closed) return;
    this.publish(manifest).catch(() => undefined);
  }

  /**
   * Publishes the newest requested manifest now (after any publish already running) and resolves
   * with its object-store version; rejects with OBJECT_STORE, CIRCUIT_OPEN, CORRUPT_DATA, IO_ERROR
   * or MANIFEST_CONFLICT, leaving every segment where it was.
   */
  publish(manifest: Manifest): Promise<PublishOutcome> {
    if (this.#newest === undefined || manifest.version >= this.#newest.version) this.#newest = manifest;
    const run = this.#chain.then(() => this.#attempt());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  stats(): RemoteStats {
    const published = this.#remote?.manifest;
    return {
      version: this.#remote?.version,
      ...this.#stats,
      pending:
        this.#newest !== undefined && (published === undefined || !sameContent(published, this.#newest)),
      conflict: this.#conflict !== undefined,
      lastError: this.#lastError?.message,
    };
  }

  /** Stops retrying and waits for a publish that is running. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearRetry();
    await this.#chain;
  }

  // ---------------------------------------------------------------- publishing

  async #attempt(): Promise<PublishOutcome> {
    const manifest = this.#newest as Manifest;
    try {
      const outcome = await this.#publishOnce(manifest);
      this.#lastError = undefined;
      this.#clearRetry();
      return outcome;
    } catch (error) {
      const failure =
        error instanceof TierVecError ? error : objectStoreFailure('Publishing the manifest', error);
      this.#lastError = failure;
      this.#stats.publishFailures++;
      if (failure.code === ErrorCode.MANIFEST_CONFLICT) {
        this.#clearRetry();
      } else {
        this.#options.warn({
          code: 'PUBLISH_FAILED',
          message: `Publishing collection ${describeValue(this.#layout.collection)} to the object store failed (retried in ${this.#options.publishRetryMs} ms and after the next seal; its segments stay on local disk meanwhile): ${failure.message}`,
          details: { code: failure.code },
        });
        this.#scheduleRetry();
      }
      throw failure;
    }
  }

  async #publishOnce(manifest: Manifest): Promise<PublishOutcome> {
    if (this.#conflict !== undefined) throw this.#conflict;
    const remote = this.#remote ?? (await this.#discover());
    if (remote.manifest !== undefined && sameContent(remote.manifest, manifest)) {
      return { state: 'unchanged', version: remote.version };
    }
    const named = keysNamedBy(manifest, this.#layout);
    await this.#uploadMissing(manifest, named);
    await this.#checkNewest(remote.version);
    const version = remote.version + 1;
    const published: RemoteManifest = {
      ...manifest,
      version,
      uid: this.uid,
      collectionCreatedAtMs: this.#options.collectionCreatedAtMs,
      createdAtMs: this.#options.clock.now(),
    };
    await this.#putManifest(published);
    // Durable from here on: nothing below may undo it.
    this.#remote = { version, manifest: published, named, olderVersions: [] };
    this.#durable = new Set(published.segments.map((segment) => segment.id));
    this.#stats.publishes++;
    this.#options.onPublished?.(published);
    await this.#collectGarbage(remote, named);
    return { state: 'published', version };
  }

  /** Reads the newest manifest in the object store (once per store lifetime, and after a failure). */
  async #discover(): Promise<RemoteView> {
    const versions = await this.#manifestVersions();
    const newest = versions.at(-1);
    if (newest === undefined) {
      this.#remote = { version: 0, manifest: undefined, named: new Set(), olderVersions: [] };
      return this.#remote;
    }
    const key = this.#layout.manifestKey(newest);
    const bytes = await this.#request(`Reading ${key}`, (signal) =>
      this.#options.objectStore.get(key, { signal }),
    );
    const manifest = decodeRemoteManifest(bytes, key, this.#layout);
    if (manifest.uid !== this.uid) {
      throw this.#conflictFound(
        `its newest manifest (version ${newest}) belongs to another collection of the same name (lineage ${manifest.uid}, this store's is ${this.uid})`,
        newest,
      );
    }
    const named = keysNamedBy(manifest, this.#layout);
    for (const item of named) this.#uploaded.add(item);
    this.#durable = new Set(manifest.segments.map((segment) => segment.id));
    this.#remote = { version: newest, manifest, named, olderVersions: versions.slice(0, -1) };
    return this.#remote;
  }

  async #manifestVersions(): Promise<number[]> {
    const prefix = this.#layout.manifestPrefix;
    const keys = await this.#request(`Listing ${prefix}`, async (signal) => {
      const found: string[] = [];
      for await (const key of this.#options.objectStore.list(prefix, { signal })) found.push(key);
      return found;
    });
    return keys
      .map((key) => this.#layout.manifestVersionOf(key))
      .filter((version): version is number => version !== undefined)
      .sort((a, b) => a - b);
  }

  /** Another writer that moved the collection on since this store last looked is a conflict. */
  async #checkNewest(known: number): Promise<void> {
    const newest = (await this.#manifestVersions()).at(-1) ?? 0;
    if (newest > known) {
      throw this.#conflictFound(
        `it holds manifest version ${newest}, newer than this store's ${known}`,
        newest,
      );
    }
  }

  #conflictFound(reason: string, version: number): TierVecError {
    this.#conflict = new TierVecError(
      ErrorCode.MANIFEST_CONFLICT,
      `Collection ${describeValue(this.#layout.collection)} of tenant ${describeValue(this.#layout.tenant)} was written by another store in the object store: ${reason}. tiervec never overwrites another writer's manifest; this store keeps serving locally and stops publishing (its new segments stay on local disk)`,
      { details: { tenant: this.#layout.tenant, collection: this.#layout.collection, version } },
    );
    this.#options.warn({
      code: 'MANIFEST_CONFLICT',
      message: this.#conflict.message,
      details: { version },
    });
    return this.#conflict;
  }

  async #putManifest(manifest: RemoteManifest): Promise<void> {
    const key = this.#layout.manifestKey(manifest.version);
    const body = encodeRemoteManifest(manifest);
    const store = this.#options.objectStore;
    try {
      await this.#options.uploader.request(`put ${key}`, (signal) =>
        store.put(key, body, { ifNoneMatch: '*', signal }),
      );
    } catch (error) {
      if (!isObjectStoreError(error, 'PreconditionFailed')) {
        throw objectStoreFailure(`Writing manifest ${key}`, error);
      }
      // Our own earlier attempt may have landed with its answer lost: identical bytes are ours.
      const existing = await this.#request(`Reading ${key}`, (signal) => store.get(key, { signal }));
      if (!Buffer.from(existing).equals(Buffer.from(body))) {
        throw this.#conflictFound(
          `manifest version ${manifest.version} already exists with other content`,
          manifest.version,
        );
      }
    }
  }

  /** Uploads every named object not yet in the store; dead letters holding one are replayed first. */
  async #uploadMissing(manifest: Manifest, named: ReadonlySet<string>): Promise<void> {
    const uploader = this.#options.uploader;
    let missing = [...named].filter((key) => !this.#uploaded.has(key));
    if (missing.length === 0) return;
    let dead = new Set(await uploader.deadLetters.keys());
    if (missing.some((key) => dead.has(key))) {
      for (const outcome of await uploader.deadLetters.replay()) {
        if (outcome.state === 'uploaded') this.#uploaded.add(outcome.key);
      }
      dead = new Set(await uploader.deadLetters.keys());
      missing = missing.filter((key) => !this.#uploaded.has(key));
    }
    const stuck = missing.filter((key) => dead.has(key));
    if (stuck.length > 0) {
      throw new TierVecError(
        ErrorCode.OBJECT_STORE,
        `${stuck.length} object(s) of collection ${describeValue(this.#layout.collection)} are still in the dead-letter queue after a replay (${stuck[0]}, …)`,
        { details: { keys: stuck } },
      );
    }
    const sources = this.#sourcesOf(manifest);
    const results = await Promise.allSettled(
      missing.map(async (key) => {
        const source = sources.get(key);
        if (source === undefined) throw new Error(`CollectionRemote: no source for ${key}`);
        const result = await uploader.upload(key, await source());
        if (result.state !== 'uploaded') throw result.error;
        this.#uploaded.add(key);
      }),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      const count = results.filter((result) => result.status === 'rejected').length;
      throw objectStoreFailure(
        `Uploading ${count} of ${missing.length} object(s) of collection ${describeValue(this.#layout.collection)} failed`,
        failed.reason,
      );
    }
  }

  #sourcesOf(manifest: Manifest): Map<string, ObjectSource> {
    const dir = this.#options.dir;
    const sources = new Map<string, ObjectSource>();
    for (const segment of manifest.segments) {
      sources.set(this.#layout.segmentKey(segment.id, 'arrow'), () =>
        readVerified(join(dir, 'segments'), segment.arrow),
      );
      sources.set(this.#layout.segmentKey(segment.id, 'hnsw'), () =>
        readVerified(join(dir, 'segments'), segment.hnsw),
      );
      sources.set(this.#layout.segmentKey(segment.id, 'ids'), () => this.#idsBytes(segment));
    }
    for (const file of manifest.tombstoneFiles) {
      sources.set(this.#layout.tombstoneKey(file.name), () => readVerified(join(dir, 'tombstones'), file));
    }
    return sources;
  }

  /** The id companion's bytes: from the local cache, else derived from the Arrow file and cached. */
  async #idsBytes(segment: SegmentDescriptor): Promise<Uint8Array> {
    const path = this.#idsPath(segment.id);
    const cached = await readFileIfExists(path);
    if (cached !== undefined) return cached;
    const arrow = await readVerified(join(this.#options.dir, 'segments'), segment.arrow);
    const bytes = encodeSegmentIds(segmentIdsFromArrow(arrow, segment), segment);
    await this.#cacheIds(segment.id, bytes);
    return bytes;
  }

  #idsPath(segmentId: string): string {
    return join(this.#options.dir, IDS_DIR, `${segmentId}.ids.json`);
  }

  async #cacheIds(segmentId: string, bytes: Uint8Array): Promise<void> {
    await mkdir(join(this.#options.dir, IDS_DIR), { recursive: true });
    await writeFileDurable(this.#idsPath(segmentId), bytes);
  }

  /** Deletes what the previous manifest named and the new one does not, and superseded manifests. */
  async #collectGarbage(previous: RemoteView, named: ReadonlySet<string>): Promise<void> {
    const stale = [...previous.named].filter((key) => !named.has(key));
    // The previous manifest stays (a reader may still be on it); older ones go.
    for (const version of previous.olderVersions) stale.push(this.#layout.manifestKey(version));
    if (previous.version > 1) stale.push(this.#layout.manifestKey(previous.version - 1));
    const unique = [...new Set(stale)];
    const results = await Promise.allSettled(
      unique.map((key) =>
        this.#options.uploader.request(`delete ${key}`, (signal) =>
          this.#options.objectStore.delete(key, { signal }),
        ),
      ),
    );
    for (const key of stale) this.#uploaded.delete(key);
    this.#stats.objectsDeleted += results.filter((result) => result.status === 'fulfilled').length;
    const failed = results.filter((result) => result.status === 'rejected').length;
    if (failed > 0) {
      this.#options.warn({
        code: 'CLEANUP_FAILED',
        message: `After publishing manifest ${this.#remote?.version}, deleting ${failed} object(s) it no longer names failed; they stay in the object store unreferenced`,
        details: { keys: unique },
      });
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = this.#options.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#newest !== undefined) this.request(this.#newest);
    }, this.#options.publishRetryMs);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  // ---------------------------------------------------------------- downloads

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
        refs.map(async ([ref, kind]) => {
          const key = this.#layout.segmentKey(descriptor.id, kind);
          const body = await this.#request(
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
        }),
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
    const key = this.#layout.segmentKey(descriptor.id, 'ids');
    const bytes = await this.#request(`Downloading ${key}`, (signal) =>
      this.#options.objectStore.get(key, { signal }),
    );
    const ids = decodeSegmentIds(bytes, descriptor);
    await this.#cacheIds(descriptor.id, bytes);
    return ids;
  }

  /** Makes sure the id companion is on local disk (before a segment's files leave it). */
  async cacheSegmentIds(descriptor: SegmentDescriptor): Promise<void> {
    await this.#idsBytes(descriptor);
  }

  /** Removes the local id companion of a segment no manifest names any more. */
  async forgetSegment(segmentId: string): Promise<void> {
    await rm(this.#idsPath(segmentId), { force: true });
  }

  /** Runs one object-store request through the uploader's retries and breaker; typed errors out. */
  async #request<T>(
    what: string,
    call: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      return await this.#options.uploader.request(what, call, signal);
    } catch (error) {
      throw objectStoreFailure(what, error);
    }
  }
}

/** Temporary file, then rename: a reader never sees a partial file (no fsync: see `download`). */
async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}${TEMP_SUFFIX}`;
  await writeFile(temp, bytes);
  await rename(temp, path);
}

async function readVerified(dir: string, ref: FileRef): Promise<Uint8Array> {
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

function parseState(bytes: Buffer, path: string): { uid: string } {
  try {
    const state = JSON.parse(String(bytes)) as { format?: unknown; uid?: unknown };
    if (state.format === STATE_FORMAT && typeof state.uid === 'string' && state.uid.length > 0) {
      return { uid: state.uid };
    }
  } catch (error) {
    throw new TierVecError(ErrorCode.CORRUPT_DATA, `${path} is not valid JSON`, { cause: error });
  }
  throw new TierVecError(ErrorCode.CORRUPT_DATA, `${path} is not a tiervec object-store state file`);
}
