/**
 * One collection's write-ahead log: a directory of numbered files (`{seq:020d}.wal`) of CRC-framed
 * records. It owns durability and nothing else; what a record means is the collection's business.
 *
 * - Group commit: records appended while a write+fsync is in flight go out together in the next
 *   one, so N concurrent writers share one fsync instead of paying N.
 * - `fsync` durability resolves an append only after the fsync covering it; `buffered` resolves after
 *   the write (the data is in the OS page cache and survives the process being killed) and fsyncs on
 *   a timer every `bufferedFlushIntervalMs` of the injected clock: an OS crash or power loss can lose
 *   the writes of the last interval.
 * - Replay on open returns every intact record after `sealedLsn`; a torn or corrupt frame ends the
 *   log there (point-in-time recovery): the file is truncated at the last good frame, later files are
 *   removed, and the loss is reported, never thrown.
 * - `rotate()` starts a new file at the next write; `releaseUpTo(lsn)` deletes files whose records
 *   are all in sealed segments. An I/O error fails the log for good: a partly written frame followed
 *   by later ones would be replayed as a corrupt tail and lose acknowledged writes.
 */

import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../clock.ts';
import { ErrorCode, TierVecError } from '../../errors.ts';
import { fsyncPath } from '../durable-file.ts';
import { type StorageFileHandle as FileHandle, mkdir, open, readdir, readFile, rm } from '../file-system.ts';
import { encodeFrame, scanFrames, WAL_MAGIC, type WalEntry } from './wal-frame.ts';

export type WalDurability = 'fsync' | 'buffered';

export interface WalOptions {
  dir: string;
  durability: WalDurability;
  clock: Clock;
  /** Buffered durability: fsync this often, in ms of `clock`. */
  bufferedFlushIntervalMs: number;
  /** Bytes appended but not yet written; beyond it `capacityWait()` makes writers wait. */
  pendingBytesMax: number;
  /** Largest record body accepted on replay; longer lengths are treated as corruption. */
  recordBytesMax: number;
  /** Records at or below this LSN are already in sealed segments and are not replayed. */
  sealedLsn: number;
  /** Failures of the background (timer) fsync, which no caller is waiting on. */
  onBackgroundError: (error: TierVecError) => void;
}

export interface WalTruncation {
  readonly file: string;
  /** Offset the file was truncated to. */
  readonly offset: number;
  readonly reason: string;
  /** Records lost: the torn or corrupt one, plus every intact record in later files. */
  readonly droppedRecords: number;
  readonly droppedBytes: number;
  readonly droppedFiles: number;
}

export interface WalReplay {
  readonly entries: WalEntry[];
  /** Highest LSN seen in the log (replayed or not); 0 when empty. */
  readonly lastLsn: number;
  readonly truncation: WalTruncation | undefined;
}

export interface WalStats {
  durability: WalDurability;
  files: number;
  /** Records and bytes in the files still held (not yet released after a seal). */
  records: number;
  bytes: number;
  fsyncs: number;
  /** Write system calls that carried one group of records. */
  writes: number;
  pendingBytes: number;
  pendingBytesPeak: number;
  lastLsn: number;
}

interface WalFile {
  readonly seq: number;
  readonly path: string;
  lastLsn: number;
  records: number;
  bytes: number;
}

interface Pending {
  readonly frame: Buffer;
  readonly lsn: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const FILE_PATTERN = /^(\d{20})\.wal$/;

function fileName(seq: number): string {
  return `${String(seq).padStart(20, '0')}.wal`;
}

function ioError(what: string, cause: unknown): TierVecError {
  return new TierVecError(ErrorCode.IO_ERROR, `WAL ${what} failed: ${(cause as Error)?.message ?? cause}`, {
    cause,
  });
}

export class Wal {
  readonly #options: WalOptions;
  #files: WalFile[];
  #current: WalFile;
  #handle: FileHandle;
  #queue: Pending[] = [];
  #flushScheduled = false;
  #io: Promise<void> = Promise.resolve();
  #rotateRequested = false;
  #dirty = false;
  #timer: TimerHandle | undefined;
  #failure: TierVecError | undefined;
  #closed = false;
  #pendingBytes = 0;
  #pendingBytesPeak = 0;
  #capacityWaiters: (() => void)[] = [];
  #fsyncs = 0;
  #writes = 0;
  #lastLsn: number;

  private constructor(
    options: WalOptions,
    files: WalFile[],
    current: WalFile,
    handle: FileHandle,
    lastLsn: number,
  ) {
    this.#options = options;
    this.#files = files;
    this.#current = current;
    this.#handle = handle;
    this.#lastLsn = lastLsn;
  }

  /** Replays the log in `options.dir` and opens a fresh file for new records. */
  static async open(options: WalOptions): Promise<{ wal: Wal; replay: WalReplay }> {
    await mkdir(options.dir, { recursive: true });
    const { files, replay } = await replayDir(options);
    const nextSeq = replay.lastSeq + 1;
    const { file, handle } = await createFile(options.dir, nextSeq);
    const wal = new Wal(options, [...files, file], file, handle, replay.lastLsn);
    return {
      wal,
      replay: { entries: replay.entries, lastLsn: replay.lastLsn, truncation: replay.truncation },
    };
  }

  /**
   * Undefined when a writer may append now; otherwise a promise that resolves once the bytes waiting
   * to be written drop below `pendingBytesMax` (back-pressure; a soft limit: every waiter woken at
   * once may append).
   */
  capacityWait(): Promise<void> | undefined {
    if (this.#pendingBytes < this.#options.pendingBytesMax) return undefined;
    return new Promise((resolve) => this.#capacityWaiters.push(resolve));
  }

  /** Appends one record; resolves when it is durable under the configured durability. */
  append(lsn: number, body: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new TierVecError(ErrorCode.CLOSED, 'The WAL is closed'));
    if (lsn <= this.#lastLsn) throw new Error(`Wal.append: LSN ${lsn} is not after ${this.#lastLsn}`);
    this.#lastLsn = lsn;
    const frame = encodeFrame(lsn, body);
    this.#pendingBytes += frame.length;
    this.#pendingBytesPeak = Math.max(this.#pendingBytesPeak, this.#pendingBytes);
    const promise = new Promise<void>((resolve, reject) => this.#queue.push({ frame, lsn, resolve, reject }));
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#enqueue(() => this.#flush());
    }
    return promise;
  }

  /** The next write goes to a new file (called when the active segment is frozen). */
  rotate(): void {
    this.#rotateRequested = true;
  }

  /** Deletes the files whose records all have LSN ≤ `lsn` (they are in sealed segments now). */
  releaseUpTo(lsn: number): Promise<void> {
    return this.#enqueueAwaitable(async () => {
      // Once closed (a seal that ended after close began) no new file is created: its handle would
      // outlive the WAL.
      if (!this.#closed && this.#current.records > 0 && this.#current.lastLsn <= lsn) await this.#rotateNow();
      const released = this.#files.filter((file) => file !== this.#current && file.lastLsn <= lsn);
      if (released.length === 0) return;
      for (const file of released) await rm(file.path, { force: true });
      await fsyncPath(this.#options.dir);
      this.#files = this.#files.filter((file) => !released.includes(file));
    });
  }

  /** Fsyncs whatever was written and not yet synced (buffered durability; also used by close). */
  sync(): Promise<void> {
    return this.#enqueueAwaitable(() => this.#syncIfDirty());
  }

  /** Writes and syncs everything appended, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#enqueueAwaitable(async () => {
      if (this.#failure === undefined) await this.#syncIfDirty();
      await this.#handle.close();
    }).catch(() => undefined);
  }

  stats(): WalStats {
    let records = 0;
    let bytes = 0;
    for (const file of this.#files) {
      records += file.records;
      bytes += file.bytes;
    }
    return {
      durability: this.#options.durability,
      files: this.#files.length,
      records,
      bytes,
      fsyncs: this.#fsyncs,
      writes: this.#writes,
      pendingBytes: this.#pendingBytes,
      pendingBytesPeak: this.#pendingBytesPeak,
      lastLsn: this.#lastLsn,
    };
  }

  get failure(): TierVecError | undefined {
    return this.#failure;
  }

  /** Serializes every file operation; an operation's error never breaks the chain. */
  #enqueue(operation: () => Promise<void>): void {
    this.#io = this.#io.then(operation).catch((error) => this.#fail(ioError('operation', error)));
  }

  #enqueueAwaitable(operation: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#enqueue(async () => {
        try {
          await operation();
          resolve();
        } catch (error) {
          reject(error instanceof TierVecError ? error : ioError('maintenance', error));
        }
      });
    });
  }

  async #flush(): Promise<void> {
    // One turn of the event loop lets writers that arrive together share this write and fsync.
    await new Promise((resolve) => setImmediate(resolve));
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    if (this.#failure !== undefined) {
      for (const pending of batch) pending.reject(this.#failure);
      return;
    }
    let batchBytes = 0;
    for (const pending of batch) batchBytes += pending.frame.length;
    try {
      if (this.#rotateRequested) await this.#rotateNow();
      const data =
        batch.length === 1
          ? (batch[0] as Pending).frame
          : Buffer.concat(
              batch.map((p) => p.frame),
              batchBytes,
            );
      await writeAll(this.#handle, data, this.#current.bytes);
      this.#writes++;
      this.#current.bytes += batchBytes;
      this.#current.records += batch.length;
      this.#current.lastLsn = (batch.at(-1) as Pending).lsn;
      if (this.#options.durability === 'fsync') {
        await this.#handle.datasync();
        this.#fsyncs++;
      } else {
        this.#dirty = true;
        this.#armTimer();
      }
    } catch (error) {
      const failure = ioError('write', error);
      this.#fail(failure);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    this.#pendingBytes -= batchBytes;
    if (this.#pendingBytes < this.#options.pendingBytesMax) {
      const waiters = this.#capacityWaiters;
      this.#capacityWaiters = [];
      for (const wake of waiters) wake();
    }
    for (const pending of batch) pending.resolve();
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#enqueue(async () => {
        try {
          await this.#syncIfDirty();
        } catch (error) {
          this.#options.onBackgroundError(error as TierVecError);
        }
      });
    }, this.#options.bufferedFlushIntervalMs);
  }

  async #syncIfDirty(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      await this.#handle.datasync();
      this.#fsyncs++;
    } catch (error) {
      const failure = ioError('fsync', error);
      this.#fail(failure);
      throw failure;
    }
  }

  async #rotateNow(): Promise<void> {
    this.#rotateRequested = false;
    await this.#syncIfDirty();
    try {
      await this.#handle.close();
      const { file, handle } = await createFile(this.#options.dir, this.#current.seq + 1);
      this.#files.push(file);
      this.#current = file;
      this.#handle = handle;
    } catch (error) {
      // The old file is closed and no new one exists: nothing more can be written.
      const failure = ioError('rotation', error);
      this.#fail(failure);
      throw failure;
    }
  }

  #fail(error: TierVecError): void {
    this.#failure ??= error;
    const queued = this.#queue;
    this.#queue = [];
    for (const pending of queued) pending.reject(this.#failure);
    const waiters = this.#capacityWaiters;
    this.#capacityWaiters = [];
    for (const wake of waiters) wake();
  }
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, position + offset);
    offset += bytesWritten;
  }
}

async function createFile(dir: string, seq: number): Promise<{ file: WalFile; handle: FileHandle }> {
  const path = join(dir, fileName(seq));
  const handle = await open(path, 'wx');
  try {
    await writeAll(handle, WAL_MAGIC, 0);
    await handle.sync();
    await fsyncPath(dir);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return { file: { seq, path, lastLsn: 0, records: 0, bytes: WAL_MAGIC.length }, handle };
}

interface DirReplay {
  entries: WalEntry[];
  lastLsn: number;
  lastSeq: number;
  truncation: WalTruncation | undefined;
}

/** Reads every WAL file in order, truncating at the first torn or corrupt frame. */
async function replayDir(options: WalOptions): Promise<{ files: WalFile[]; replay: DirReplay }> {
  const names = (await readdir(options.dir)).filter((name) => FILE_PATTERN.test(name)).sort();
  const files: WalFile[] = [];
  const entries: WalEntry[] = [];
  let lastLsn = 0;
  let lastSeq = 0;
  let truncation: WalTruncation | undefined;
  let removed = false;
  for (const name of names) {
    const seq = Number((FILE_PATTERN.exec(name) as RegExpExecArray)[1]);
    lastSeq = seq;
    const path = join(options.dir, name);
    const data = await readFile(path);
    const scan = scanFrames(data, lastLsn, options.recordBytesMax);
    if (truncation !== undefined) {
      // Everything after the first bad frame is dropped, even intact files: replaying them would
      // apply writes on top of a gap.
      truncation = {
        ...truncation,
        droppedRecords: truncation.droppedRecords + scan.entries.length,
        droppedBytes: truncation.droppedBytes + data.length,
        droppedFiles: truncation.droppedFiles + 1,
      };
      await rm(path, { force: true });
      removed = true;
      continue;
    }
    for (const entry of scan.entries) if (entry.lsn > options.sealedLsn) entries.push(entry);
    lastLsn = scan.entries.at(-1)?.lsn ?? lastLsn;
    if (scan.problem !== undefined) {
      truncation = {
        file: name,
        offset: scan.goodBytes,
        reason: `${scan.problem}: ${scan.detail}`,
        droppedRecords: 1,
        droppedBytes: data.length - scan.goodBytes,
        droppedFiles: 0,
      };
      await truncateFile(path, scan.goodBytes);
    }
    if (scan.entries.length === 0) {
      await rm(path, { force: true });
      removed = true;
      continue;
    }
    const fileLastLsn = (scan.entries.at(-1) as WalEntry).lsn;
    files.push({ seq, path, lastLsn: fileLastLsn, records: scan.entries.length, bytes: scan.goodBytes });
  }
  if (removed) await fsyncPath(options.dir);
  return { files, replay: { entries, lastLsn, lastSeq, truncation } };
}

async function truncateFile(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
