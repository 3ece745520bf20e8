/**
 * Recovery of one collection on open, in the order `Collection.open` runs it: read the newest
 * manifest (cross-checked against the catalog's spec) and remove the leftovers of interrupted seals
 * and compactions; load the sealed segments and tombstone files the manifest names into the segment
 * table; open the WAL; and replay the WAL records after the manifest's `sealedLsn` (and, with
 * durability 'object-store', the object store's WAL records this disk lacks) through the write path's
 * apply function. A torn or corrupt WAL tail is truncated and reported.
 *
 * It must never remove a file the newest manifest names, and never skip a WAL record after
 * `sealedLsn` that the WAL could read.
 */

import { join } from 'node:path';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { CollectionContext } from './collection-context.ts';
import type { CollectionDirs } from './collection-dirs.ts';
import { type CollectionSpec, sameSpec } from './collection-spec.ts';
import { removeDurable } from './durable-file.ts';
import { mkdir, readdir } from './file-system.ts';
import { LIMITS } from './limits.ts';
import { type Manifest, readLatestManifest, readTombstoneFile, versionFileName } from './manifest.ts';
import { PARTITION_DEFAULTS } from './partition/partition-defaults.ts';
import { isFlatPartitionSegment } from './partition/routing-index.ts';
import type { RemoteWal } from './remote/remote-wal.ts';
import type { SegmentTable } from './segment-table.ts';
import type { StoreWarning } from './store-warning.ts';
import { CollectionTiering } from './tiering/collection-tiering.ts';
import { Wal, type WalReplay } from './wal/wal.ts';
import { decodeOperation, encodeOperation, type WalOperation } from './wal/wal-record.ts';

type Warn = (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;

/** What the last open replayed from the WAL, and what a torn or corrupt tail cost (`stats().recovery`). */
export interface RecoveryStats {
  replayedRecords: number;
  truncatedRecords: number;
  truncatedBytes: number;
  truncatedFiles: number;
}

/** Creates the directories, reads the newest manifest, and removes files no manifest names. */
export async function openManifest(
  dirs: CollectionDirs,
  spec: CollectionSpec,
  warn: Warn,
): Promise<Manifest> {
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  const { manifest, older } = await readLatestManifest(dirs.manifest);
  if (!sameSpec(manifest.spec, spec)) {
    throw new TierVecError(
      ErrorCode.CORRUPT_DATA,
      `Collection ${describeValue(spec.name)}: the manifest's spec differs from the catalog's`,
    );
  }
  await removeLeftovers(dirs, manifest, older, warn);
  return manifest;
}

async function removeLeftovers(
  dirs: CollectionDirs,
  manifest: Manifest,
  olderManifests: readonly string[],
  warn: Warn,
): Promise<void> {
  const live = {
    segments: new Set(manifest.segments.flatMap((segment) => [segment.arrow.name, segment.hnsw.name])),
    tombstones: new Set(manifest.tombstoneFiles.map((file) => file.name)),
    manifest: new Set([versionFileName(manifest.version)]),
  };
  const removed: string[] = [];
  for (const kind of ['segments', 'tombstones', 'manifest'] as const) {
    const dir = dirs[kind];
    const stale = (await readdir(dir)).filter((name) => !live[kind].has(name));
    await removeDurable(
      stale.map((name) => join(dir, name)),
      dir,
    );
    removed.push(...stale.filter((name) => !olderManifests.includes(name)));
  }
  if (removed.length > 0) {
    warn({
      code: 'LEFTOVERS_REMOVED',
      message: `Removed ${removed.length} file(s) of an interrupted seal: ${removed.join(', ')}`,
      details: { files: removed },
    });
  }
}

/** Loads the manifest's sealed segments with their tombstones into the table, registered for tiering. */
export async function loadSealedSegments(
  table: SegmentTable,
  tiering: CollectionTiering,
  dirs: CollectionDirs,
): Promise<void> {
  const tombstones = new Map<string, number[]>();
  for (const ref of table.manifest.tombstoneFiles) {
    for (const [segmentId, rows] of await readTombstoneFile(dirs.tombstones, ref)) {
      const list = tombstones.get(segmentId) ?? [];
      list.push(...rows);
      tombstones.set(segmentId, list);
    }
  }
  const { routing } = table.manifest;
  for (const descriptor of table.manifest.segments) {
    // Hot when its files are on local disk, else cold (known from its id companion).
    const flat = isFlatPartitionSegment(
      routing,
      descriptor.id,
      descriptor.rows,
      PARTITION_DEFAULTS.flatScanRowsMax,
    );
    const { segment, idOf } = await tiering.openSegment(
      dirs.segments,
      descriptor,
      tombstones.get(descriptor.id) ?? [],
      flat,
    );
    table.addLoaded(segment, idOf);
    tiering.register(segment);
  }
}

/** The collection's side of tiering (its object-store presence and tier registration). */
export function openTiering(ctx: CollectionContext, spec: CollectionSpec): Promise<CollectionTiering> {
  return CollectionTiering.open({
    objectTier: ctx.objectTier,
    tenant: spec.tenant,
    name: spec.name,
    dir: ctx.dir,
    clock: ctx.clock,
    collectionCreatedAtMs: ctx.createdAtMs,
    imported: ctx.imported,
    objectStoreWal: ctx.objectStoreWal ? { dimension: spec.dimension } : undefined,
    warn: ctx.warn,
    writeGuard: ctx.writeGuard,
  });
}

/** Opens the WAL in `dir` and reads what it holds after `sealedLsn` (not applied yet: see `replayWal`). */
export function openWal(
  ctx: CollectionContext,
  dir: string,
  sealedLsn: number,
): Promise<{ wal: Wal; replay: WalReplay }> {
  return Wal.open({
    dir,
    durability: ctx.durability,
    clock: ctx.clock,
    bufferedFlushIntervalMs: ctx.bufferedFlushIntervalMs,
    pendingBytesMax: ctx.walPendingBytesMax,
    recordBytesMax: LIMITS.batchBytesMax + 16 * LIMITS.batchSizeMax + 64,
    sealedLsn,
    onBackgroundError: (error) =>
      ctx.warn({ code: 'WAL_SYNC_FAILED', message: `Background WAL fsync failed: ${error.message}` }),
  });
}

export interface WalReplayOptions {
  readonly wal: Wal;
  readonly replay: WalReplay;
  readonly table: SegmentTable;
  readonly spec: CollectionSpec;
  /** The object store's WAL (durability 'object-store'). */
  readonly remoteWal: RemoteWal | undefined;
  /** The write path's apply: one durable write to the segments. */
  readonly apply: (lsn: number, op: WalOperation) => void;
  readonly warn: Warn;
}

/** Applies the replayed records (local, then the object store's); resolves with the next free LSN. */
export async function replayWal(
  options: WalReplayOptions,
): Promise<{ nextLsn: number; stats: RecoveryStats }> {
  const { wal, replay, table, apply } = options;
  for (const entry of replay.entries) apply(entry.lsn, decodeOperation(entry.body, options.spec.dimension));
  const stats: RecoveryStats = {
    replayedRecords: replay.entries.length,
    truncatedRecords: 0,
    truncatedBytes: 0,
    truncatedFiles: 0,
  };
  let nextLsn = Math.max(replay.lastLsn, table.manifest.sealedLsn) + 1;
  if (options.remoteWal !== undefined) {
    // Records the object store has and this disk lacks are applied, and logged here too.
    const entries = await options.remoteWal.recover(nextLsn - 1);
    for (const { lsn, op } of entries) apply(lsn, op);
    await Promise.all(entries.map(({ lsn, op }) => wal.append(lsn, encodeOperation(op))));
    nextLsn = Math.max(nextLsn, (entries.at(-1)?.lsn ?? 0) + 1);
  }
  const truncation = replay.truncation;
  if (truncation !== undefined) {
    stats.truncatedRecords = truncation.droppedRecords;
    stats.truncatedBytes = truncation.droppedBytes;
    stats.truncatedFiles = truncation.droppedFiles;
    options.warn({
      code: 'WAL_TRUNCATED',
      message:
        `WAL ended in a torn or corrupt record (${truncation.reason}); truncated ${truncation.file} at byte ` +
        `${truncation.offset}, dropping ${truncation.droppedRecords} record(s) and ${truncation.droppedBytes} bytes`,
      details: { ...truncation },
    });
  }
  await wal.releaseUpTo(table.manifest.sealedLsn);
  return { nextLsn, stats };
}
