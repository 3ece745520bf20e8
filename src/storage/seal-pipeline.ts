/**
 * The seal-and-publish pipeline of one collection. When the active segment is full (or on
 * `flush()`), it is frozen (still searchable) and a seal job is queued; jobs run one at a time in the
 * background, each in its turn of the collection's manifest writes: write the segment's Arrow and
 * index files, then a tombstone file for the sealed rows deleted since the last manifest, then a new
 * manifest whose `sealedLsn` covers them. Once that manifest is durable the segment is sealed, the
 * object store is asked to publish it (in the background, through the tiering layer), and only then
 * are the superseded manifest and the WAL files it covers removed. A crash at any point leaves either
 * the old manifest and the full WAL, or the new manifest; recovery removes the leftovers.
 *
 * A failed job stays queued (its data stays in memory and in the WAL) and is retried on the next
 * freeze or flush. This module must never remove a WAL file before a durable manifest covers it, and
 * never redo a job whose manifest is durable.
 */

import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { Serial } from '../serial.ts';
import type { CollectionDirs } from './collection-dirs.ts';
import { removeDurable } from './durable-file.ts';
import {
  type Manifest,
  type TombstoneFileRef,
  versionFileName,
  writeManifest,
  writeTombstoneFile,
} from './manifest.ts';
import type { PublishOutcome } from './remote/collection-remote.ts';
import type { SealedSegment } from './segment/sealed-segment.ts';
import { type SegmentDescriptor, writeSegmentFiles } from './segment/segment-file.ts';
import type { SegmentColumns, SegmentMemory } from './segment/segment-memory.ts';
import type { SegmentTable, Tombstone } from './segment-table.ts';
import type { StoreWarning } from './store-warning.ts';
import type { CollectionTiering } from './tiering/collection-tiering.ts';
import type { Wal } from './wal/wal.ts';

export const SEAL_DEFAULTS = Object.freeze({
  /**
   * On `close()`, an active segment with at least this many rows is sealed, so the next open loads
   * its HNSW index instead of rebuilding it from the WAL. Fewer rows are rebuilt in milliseconds, and
   * leaving them in the WAL keeps close cheap and spares a tiny segment.
   */
  closeRowsMin: 1_024,
});

export interface SealPipelineOptions {
  /** The collection's name, for messages. */
  readonly name: string;
  readonly table: SegmentTable;
  readonly tiering: CollectionTiering;
  readonly wal: Wal;
  readonly dirs: CollectionDirs;
  readonly clock: Clock;
  /** The collection's manifest writes (seals and compactions), one at a time. */
  readonly manifestWrites: Serial;
  readonly warn: (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;
}

export interface SealStats {
  completed: number;
  failed: number;
  queued: number;
}

/** One queued seal: a frozen segment (absent for tombstones only) and the LSN its manifest covers. */
interface SealJob {
  readonly segment: SealedSegment | undefined;
  readonly columns: SegmentColumns | undefined;
  readonly lsn: number;
  readonly createdAtMs: number;
  /** Set once its files are written, so a retry does not write them again. */
  descriptor?: SegmentDescriptor;
}

export class SealPipeline {
  readonly #options: SealPipelineOptions;
  #queue: SealJob[] = [];
  #runner: Promise<void> | undefined;
  #error: TierVecError | undefined;
  #stopped = false;
  readonly #counts = { completed: 0, failed: 0 };

  constructor(options: SealPipelineOptions) {
    this.#options = options;
  }

  /** Freezes the active segment (if it has rows) and queues writing it out; `lsn` is the last applied. */
  freeze(lsn: number): void {
    const frozen = this.#options.table.freezeActive();
    if (frozen === undefined) return;
    this.#options.tiering.register(frozen.segment);
    this.#options.wal.rotate();
    this.#queue.push({ ...frozen, lsn });
    this.#start();
  }

  /**
   * Seals everything applied up to `lastAppliedLsn`: the active segment, or (when it is empty) the
   * tombstones of sealed rows deleted since the last seal; resolves once every queued job is done.
   * `checkUsable` runs after each round (the collection may have been closed meanwhile).
   */
  async flush(lastAppliedLsn: number, checkUsable: () => void): Promise<void> {
    const coveredLsn = this.#queue.at(-1)?.lsn ?? this.#options.table.manifest.sealedLsn;
    if (this.#options.table.active.rows > 0) {
      this.freeze(lastAppliedLsn);
    } else if (lastAppliedLsn > coveredLsn) {
      // Only deletes of sealed rows since the last seal: a manifest with their tombstones covers them.
      this.#queue.push({ segment: undefined, columns: undefined, lsn: lastAppliedLsn, createdAtMs: 0 });
    }
    while (this.#queue.length > 0) {
      this.#start();
      await this.#runner;
      checkUsable();
      if (this.#queue.length > 0 && this.#error !== undefined) throw this.#error;
    }
  }

  /**
   * On close: seals an active segment of at least `SEAL_DEFAULTS.closeRowsMin` rows (with whatever is
   * queued), so a reopen does not rebuild its index. A failure is not thrown: it was reported as
   * SEAL_FAILED, and the rows stay in the WAL, which the next open replays.
   */
  async sealOnClose(lastAppliedLsn: number): Promise<void> {
    if (this.#options.table.active.rows < SEAL_DEFAULTS.closeRowsMin) return;
    await this.flush(lastAppliedLsn, () => undefined).catch(() => undefined);
  }

  /** Resolves once the job running now (if any) has ended. */
  async settled(): Promise<void> {
    await this.#runner;
  }

  /**
   * Publishes the sealed state to the object store now: after the running seal, the manifest it
   * leaves is uploaded with everything it names (see CollectionTiering.publish).
   */
  async publish(): Promise<PublishOutcome> {
    await this.#runner;
    return this.#options.tiering.publish(this.#options.table.manifest);
  }

  /** Runs no further job (the collection is closing); the running one finishes. */
  stop(): void {
    this.#stopped = true;
  }

  stats(): SealStats {
    return { ...this.#counts, queued: this.#queue.length };
  }

  #start(): void {
    if (this.#runner !== undefined || this.#queue.length === 0) return;
    this.#runner = this.#run().finally(() => {
      this.#runner = undefined;
    });
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stopped) {
      const job = this.#queue[0] as SealJob;
      try {
        await this.#options.manifestWrites.run(() => this.#seal(job));
        this.#error = undefined;
        this.#counts.completed++;
      } catch (error) {
        this.#counts.failed++;
        this.#error = new TierVecError(
          ErrorCode.IO_ERROR,
          `Sealing segment ${job.segment?.id ?? '(tombstones only)'} of collection ${describeValue(this.#options.name)} failed: ${(error as Error).message}`,
          { cause: error },
        );
        this.#options.warn({
          code: 'SEAL_FAILED',
          message: `${this.#error.message}; the data stays in memory and in the WAL, and the seal is retried on the next flush or seal`,
        });
        return;
      }
      this.#queue.shift();
    }
  }

  /** Writes a frozen segment (if any), pending tombstones and a new manifest, then trims the WAL. */
  async #seal(job: SealJob): Promise<void> {
    const { table, dirs, tiering } = this.#options;
    if (job.segment !== undefined && job.descriptor === undefined) {
      job.descriptor = await this.#writeSegment(job);
    }
    const previous = table.manifest;
    const version = previous.version + 1;
    const segments =
      job.descriptor === undefined ? previous.segments : [...previous.segments, job.descriptor];
    const { ref: tombstoneFile, included } = await this.#writePendingTombstones(version, segments, job.lsn);
    const next: Manifest = {
      ...previous,
      version,
      sealedLsn: Math.max(previous.sealedLsn, job.lsn),
      nextSegmentSeq: Math.max(previous.nextSegmentSeq, (job.segment?.seq ?? 0) + 1),
      segments,
      tombstoneFiles:
        tombstoneFile === undefined ? previous.tombstoneFiles : [...previous.tombstoneFiles, tombstoneFile],
      createdAtMs: this.#options.clock.now(),
    };
    await writeManifest(dirs.manifest, next);
    // The new manifest is durable: from here on nothing may fail the job (it must not be redone).
    table.manifest = next;
    if (job.segment !== undefined && job.descriptor !== undefined) job.segment.markSealed(job.descriptor);
    table.dropTombstones(included);
    tiering.manifestWritten(next);
    try {
      await removeDurable([join(dirs.manifest, versionFileName(previous.version))], dirs.manifest);
      await this.#options.wal.releaseUpTo(next.sealedLsn);
    } catch (error) {
      this.#options.warn({
        code: 'CLEANUP_FAILED',
        message: `After manifest ${version}, removing superseded files failed (retried later): ${(error as Error).message}`,
      });
    }
  }

  async #writeSegment(job: SealJob): Promise<SegmentDescriptor> {
    const segment = job.segment as SealedSegment;
    const columns = job.columns as SegmentColumns;
    const memory = segment.loaded() as SegmentMemory;
    let deletedRows = 0;
    for (let row = 0; row < columns.rows; row++) deletedRows += columns.deleted[row] as number;
    const params = memory.params;
    const descriptor = await writeSegmentFiles(this.#options.dirs.segments, memory, columns, {
      id: segment.id,
      seq: segment.seq,
      dimension: params.dimension,
      metric: params.metric,
      m: params.m,
      efConstruction: params.efConstruction,
      seed: params.seed,
      rows: columns.rows,
      deletedRows,
      createdAtMs: job.createdAtMs,
    });
    memory.indexWritten(descriptor.hnsw.bytes);
    return descriptor;
  }

  /**
   * Tombstones of rows in segments the new manifest names, by writes up to its `sealedLsn`, go into one
   * file for it. Later deletions wait for a later manifest: one covering LSN `lsn` must not hold a
   * deletion whose write it does not cover (after a loss of the local disk, the object store's copy
   * would have the old row deleted and its replacement, only in the lost WAL, missing).
   */
  async #writePendingTombstones(
    version: number,
    segments: readonly SegmentDescriptor[],
    lsn: number,
  ): Promise<{ ref: TombstoneFileRef | undefined; included: Set<Tombstone> }> {
    const named = new Map(segments.map((segment) => [segment.seq, segment.id]));
    const pending = this.#options.table.pendingTombstones;
    const included = new Set(pending.filter((tombstone) => named.has(tombstone.seq) && tombstone.lsn <= lsn));
    if (included.size === 0) return { ref: undefined, included };
    const bySegment = new Map<string, number[]>();
    for (const { seq, row } of included) {
      const id = named.get(seq) as string;
      const rows = bySegment.get(id) ?? [];
      rows.push(row);
      bySegment.set(id, rows);
    }
    const ref = await writeTombstoneFile(this.#options.dirs.tombstones, version, bySegment);
    return { ref, included };
  }
}
