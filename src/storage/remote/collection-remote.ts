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
 * Downloading a cold segment's files back to local disk and its id companion are done by
 * `RemoteSegmentFiles` (remote-segment-files.ts), reached through this class.
 *
 * This module must never overwrite a manifest version, never delete an object a durable manifest
 * still names, and never report a segment durable before the manifest naming it is.
 */

import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { isObjectStoreError } from '../../object-store/object-store-error.ts';
import { Serial } from '../../serial.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import type { Manifest } from '../manifest.ts';
import type { SegmentDescriptor } from '../segment/segment-file.ts';
import type { StoreWarning } from '../store-warning.ts';
import { putCreateOnly } from './create-only-put.ts';
import { objectStoreFailure } from './object-store-failure.ts';
import type { RemoteLayout } from './remote-layout.ts';
import { readOrCreateLineage } from './remote-lineage.ts';
import {
  decodeRemoteManifest,
  encodeRemoteManifest,
  keysNamedBy,
  type RemoteManifest,
  sameContent,
} from './remote-manifest.ts';
import { RemoteSegmentFiles, readVerified } from './remote-segment-files.ts';
import type { SegmentIds } from './segment-ids.ts';

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
  /**
   * Throws (LEASE_LOST) once this store may no longer write (its writer lease lapsed). A publish
   * checks it before uploading anything, and a publish that fails while it throws is a conflict.
   */
  readonly writeGuard?: () => void;
  /**
   * Called once a manifest is durable in the object store, with the one it superseded (which stays
   * there: a store opening from the object store may still be reading it).
   */
  readonly onPublished?: (manifest: RemoteManifest, previous: RemoteManifest | undefined) => void;
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
  /** Publishes run one at a time, each for the newest manifest requested when it starts. */
  readonly #publishes = new Serial();
  #retryTimer: TimerHandle | undefined;
  #lastError: TierVecError | undefined;
  #closed = false;
  readonly #stats = { publishes: 0, publishFailures: 0, objectsDeleted: 0 };
  readonly #files: RemoteSegmentFiles;

  private constructor(options: CollectionRemoteOptions, uid: string) {
    this.#options = options;
    this.#layout = options.layout;
    this.uid = uid;
    this.#files = new RemoteSegmentFiles({
      layout: options.layout,
      objectStore: options.objectStore,
      dir: options.dir,
      request: (what, call, signal) => this.#request(what, call, signal),
    });
  }

  /**
   * Opens the collection's object-store state: its lineage uid (from `{dir}/object-store.json`; a new
   * one, or `uid` when given, is written durably the first time).
   */
  static async open(options: CollectionRemoteOptions, uid?: string): Promise<CollectionRemote> {
    return new CollectionRemote(options, await readOrCreateLineage(options.dir, uid));
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
    return this.#publishes.run(() => this.#attempt());
  }

  stats(): RemoteStats {
    const published = this.#remote?.manifest;
    return {
      version: this.#remote?.version,
      ...this.#stats,
      ...this.#files.stats(),
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
    await this.#publishes.idle();
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
      const failure = this.#fencedAsConflict(
        error instanceof TierVecError ? error : objectStoreFailure('Publishing the manifest', error),
      );
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

  /**
   * A publish refused because this store's writer lease lapsed (before it began, or when the fence
   * stopped one of its uploads or a dead-letter replay: see fenced-object-store.ts) is a conflict:
   * another writer may own the collection now, so it is not retried, and the caller sees
   * MANIFEST_CONFLICT whichever step the lease stopped.
   */
  #fencedAsConflict(failure: TierVecError): TierVecError {
    if (failure.code === ErrorCode.MANIFEST_CONFLICT) return failure;
    let lapsed: TierVecError | undefined = failure.code === ErrorCode.LEASE_LOST ? failure : undefined;
    try {
      this.#options.writeGuard?.();
    } catch (error) {
      lapsed ??= error as TierVecError;
    }
    if (lapsed === undefined) return failure;
    return new TierVecError(
      ErrorCode.MANIFEST_CONFLICT,
      `Collection ${describeValue(this.#layout.collection)} of tenant ${describeValue(this.#layout.tenant)} was not published: ${lapsed.message}`,
      { cause: failure, details: { ...lapsed.details, failure: failure.code } },
    );
  }

  async #publishOnce(manifest: Manifest): Promise<PublishOutcome> {
    if (this.#conflict !== undefined) throw this.#conflict;
    this.#options.writeGuard?.();
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
    this.#options.onPublished?.(published, remote.manifest);
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
    let outcome: 'created' | 'taken';
    try {
      // Identical bytes already there are ours: an earlier attempt that landed with its answer lost.
      outcome = await putCreateOnly(this.#options.objectStore, this.#options.uploader, key, body);
    } catch (error) {
      throw objectStoreFailure(`Writing manifest ${key}`, error);
    }
    if (outcome === 'taken') {
      throw this.#conflictFound(
        `manifest version ${manifest.version} already exists with other content`,
        manifest.version,
      );
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
    // Create-only: segment and tombstone objects are immutable under their names, so a name taken
    // with other bytes is another writer's object (a process that died with a request in flight, or
    // a second writer), never overwritten: a manifest of theirs may name it.
    const results = await Promise.allSettled(
      missing.map(async (key) => {
        const source = sources.get(key);
        if (source === undefined) throw new Error(`CollectionRemote: no source for ${key}`);
        const result = await uploader.upload(key, await source(), { ifNoneMatch: '*' });
        if (result.state !== 'uploaded') throw result.error;
        this.#uploaded.add(key);
      }),
    );
    const taken = results.findIndex(
      (result) => result.status === 'rejected' && isObjectStoreError(result.reason, 'PreconditionFailed'),
    );
    if (taken >= 0) {
      throw this.#conflictFound(
        `object ${missing[taken]} already exists with other content`,
        this.#remote?.version ?? 0,
      );
    }
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
      sources.set(this.#layout.segmentKey(segment.id, 'ids'), () => this.#files.idsBytes(segment));
    }
    for (const file of manifest.tombstoneFiles) {
      sources.set(this.#layout.tombstoneKey(file.name), () => readVerified(join(dir, 'tombstones'), file));
    }
    return sources;
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

  // ---------------------------------------------------------------- segment files (remote-segment-files.ts)

  /** Downloads a cold segment's files to local disk, checked (see RemoteSegmentFiles.download). */
  download(
    descriptor: SegmentDescriptor,
    signal?: AbortSignal,
  ): Promise<{ bytes: number; arrow: Uint8Array; arrowWritten: Promise<void> }> {
    return this.#files.download(descriptor, signal);
  }

  /** True when the object store holds both files of the segment at their recorded sizes. */
  holdsSegment(descriptor: SegmentDescriptor): Promise<boolean> {
    return this.#files.holdsSegment(descriptor);
  }

  /** Removes a segment's files from local disk (a download that could not be completed). */
  removeLocalFiles(descriptor: SegmentDescriptor): Promise<void> {
    return this.#files.removeLocalFiles(descriptor);
  }

  /** The id companion of a segment: from the local cache, else downloaded (and cached). */
  segmentIds(descriptor: SegmentDescriptor): Promise<SegmentIds> {
    return this.#files.segmentIds(descriptor);
  }

  /** Makes sure the id companion is on local disk (before a segment's files leave it). */
  async cacheSegmentIds(descriptor: SegmentDescriptor): Promise<void> {
    await this.#files.idsBytes(descriptor);
  }

  /** Removes the local id companion of a segment no manifest names any more. */
  forgetSegment(segmentId: string): Promise<void> {
    return this.#files.forgetSegment(segmentId);
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
