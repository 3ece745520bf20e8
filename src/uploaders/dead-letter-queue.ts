/**
 * The dead-letter queue: uploads that finally failed, kept on local disk so that nothing handed to an
 * uploader is lost, even across a restart, until it is replayed or deliberately purged.
 *
 * One file per entry, `{id}.dlq` with a 12-digit, increasing `id`: a JSON header line (key, error,
 * attempts, time, size, SHA-256 of the body) followed by the raw body. A file is written to a temp
 * name, fsynced, hard-linked to its final name (a link never replaces an existing file, so two
 * writers can never overwrite each other's entry), the temp name removed, and the directory fsynced:
 * an entry is either absent or complete. The queue is bounded by `entriesMax`; one more entry is
 * refused with DEAD_LETTER_FULL, never dropped. This module never talks to the object store: replay
 * lives in the ParallelUploader, which removes an entry only after its upload succeeded.
 */

import { createHash } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { describeValue, ErrorCode, isTierVecError, TierVecError } from '../errors.ts';
import { isObjectStoreError } from '../object-store/object-store-error.ts';

/** The failure recorded with an entry. `status` is the HTTP status when the store answered. */
export interface DeadLetterError {
  code: string;
  message: string;
  status: number | null;
  retryable: boolean;
}

/** An entry without its body, as `list()` returns it. */
export interface DeadLetterEntry {
  id: string;
  key: string;
  sizeBytes: number;
  error: DeadLetterError;
  /** Upload attempts made so far, replays included. */
  attempts: number;
  /** When the entry was written (clock milliseconds since the epoch). */
  timeMs: number;
  /** Replays that failed and left the entry in place. */
  replays: number;
  /**
   * The upload was create-only (`If-None-Match: *`), and its replay is too: it never overwrites an
   * object another writer put under the key. Absent in entries written before this field existed.
   */
  createOnly?: boolean;
}

export interface DeadLetter extends DeadLetterEntry {
  body: Uint8Array;
}

export interface DeadLetterQueueOptions {
  dir: string;
  entriesMax: number;
  clock: Clock;
}

const FORMAT = 'tiervec-dead-letter';
const VERSION = 1;
const SUFFIX = '.dlq';
const ID_PATTERN = /^\d{12}$/;
const HEADER_BYTES_MAX = 16_384;
const MESSAGE_CHARS_MAX = 2_000;
const LINK_ATTEMPTS_MAX = 1_000;

/** Turns any error into the record kept on disk. */
export function describeDeadLetterError(error: unknown): DeadLetterError {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, MESSAGE_CHARS_MAX);
  if (isObjectStoreError(error)) {
    return { code: error.code, message, status: error.status, retryable: error.retryable };
  }
  if (isTierVecError(error)) {
    return { code: error.code, message, status: null, retryable: error.code === ErrorCode.CIRCUIT_OPEN };
  }
  return { code: error instanceof Error ? error.name : 'Unknown', message, status: null, retryable: false };
}

function formatId(seq: number): string {
  return String(seq).padStart(12, '0');
}

function sha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function corrupt(path: string, reason: string): TierVecError {
  return new TierVecError(
    ErrorCode.CORRUPT_DATA,
    `Dead-letter file ${describeValue(path)} is corrupt: ${reason}`,
    {
      details: { path },
    },
  );
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let instanceCount = 0;

export class DeadLetterQueue {
  readonly dir: string;
  readonly entriesMax: number;
  readonly #clock: Clock;
  readonly #instance = ++instanceCount;
  #ready: Promise<void> | undefined;
  #nextSeq = 1;
  /** Key of every entry on disk, by id: the bound's count and the BatchUploader's sequence scan. */
  readonly #keys = new Map<string, string>();
  /** Entries being written, counted against `entriesMax` before they exist. */
  #reserved = 0;
  #operationsInFlight = 0;

  constructor(options: DeadLetterQueueOptions) {
    this.dir = options.dir;
    this.entriesMax = options.entriesMax;
    this.#clock = options.clock;
  }

  /** Disk operations running now (a gauge; tests wait for 0 before moving a manual clock). */
  get operationsInFlight(): number {
    return this.#operationsInFlight;
  }

  /** Entries on disk, as last seen by this instance. */
  size(): Promise<number> {
    return this.#io(async () => {
      await this.#init();
      return this.#keys.size;
    });
  }

  /** The object keys of the entries, as last seen by this instance (damaged entries have none). */
  keys(): Promise<string[]> {
    return this.#io(async () => {
      await this.#init();
      return [...this.#keys.values()].filter((key) => key !== '');
    });
  }

  /** The ids of the entries on disk, oldest first, damaged ones included. */
  ids(): Promise<string[]> {
    return this.#io(async () => {
      await this.#init();
      return this.#ids();
    });
  }

  /** Persists one entry durably; DEAD_LETTER_FULL when `entriesMax` entries exist. */
  add(input: {
    key: string;
    body: Uint8Array;
    error: unknown;
    attempts: number;
    createOnly?: boolean;
  }): Promise<DeadLetterEntry> {
    return this.#io(async () => {
      await this.#init();
      if (this.#keys.size + this.#reserved >= this.entriesMax) {
        throw new TierVecError(
          ErrorCode.DEAD_LETTER_FULL,
          `The dead-letter queue in ${describeValue(this.dir)} is full (entriesMax = ${this.entriesMax}); ` +
            `the upload of ${describeValue(input.key)} failed and could not be kept`,
          { cause: input.error, details: { dir: this.dir, entriesMax: this.entriesMax, key: input.key } },
        );
      }
      this.#reserved++;
      try {
        const entry = await this.#create(
          {
            key: input.key,
            sizeBytes: input.body.byteLength,
            error: describeDeadLetterError(input.error),
            attempts: input.attempts,
            timeMs: this.#clock.now(),
            replays: 0,
            ...(input.createOnly === true ? { createOnly: true } : {}),
          },
          input.body,
        );
        this.#keys.set(entry.id, entry.key);
        return entry;
      } finally {
        this.#reserved--;
      }
    });
  }

  /** Every entry, oldest first, without bodies (read from disk; refreshes this instance's view). */
  list(): Promise<DeadLetterEntry[]> {
    return this.#io(async () => {
      await this.#init();
      const entries = await this.#readAll();
      this.#keys.clear();
      for (const entry of entries) this.#keys.set(entry.id, entry.key);
      return entries;
    });
  }

  /** One entry with its body; INVALID_ARGUMENT when absent, CORRUPT_DATA when its bytes are damaged. */
  read(id: string): Promise<DeadLetter> {
    return this.#io(() => this.#read(id));
  }

  /** Rewrites an entry's record after a failed replay (same body, atomic replace). */
  recordFailedReplay(id: string, error: unknown, attempts: number): Promise<DeadLetterEntry> {
    return this.#io(async () => {
      const { body, ...previous } = await this.#read(id);
      const entry: DeadLetterEntry = {
        ...previous,
        error: describeDeadLetterError(error),
        attempts: previous.attempts + attempts,
        replays: previous.replays + 1,
      };
      const temp = this.#tempPath(id);
      await this.#writeFile(temp, entry, body, true);
      await rename(temp, this.#path(id));
      await this.#syncDir();
      return entry;
    });
  }

  /** Deletes one entry (after its replay succeeded, or on purpose). */
  remove(id: string): Promise<void> {
    return this.#io(async () => {
      await this.#init();
      try {
        await unlink(this.#path(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw this.#notFound(id);
        throw error;
      }
      this.#keys.delete(id);
      await this.#syncDir();
    });
  }

  /** Deletes every entry; returns how many were deleted. */
  purge(): Promise<number> {
    return this.#io(async () => {
      await this.#init();
      const ids = await this.#ids();
      for (const id of ids) await unlink(this.#path(id)).catch(ignoreMissing);
      this.#keys.clear();
      await this.#syncDir();
      return ids.length;
    });
  }

  async #io<T>(operation: () => Promise<T>): Promise<T> {
    this.#operationsInFlight++;
    try {
      return await operation();
    } finally {
      this.#operationsInFlight--;
    }
  }

  async #read(id: string): Promise<DeadLetter> {
    const path = this.#path(id);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw this.#notFound(id);
      throw error;
    }
    const newline = bytes.indexOf(10);
    if (newline < 0) throw corrupt(path, 'no header line');
    const header = this.#parseHeader(path, bytes.subarray(0, newline));
    const body = new Uint8Array(bytes.subarray(newline + 1));
    if (body.byteLength !== header.sizeBytes) {
      throw corrupt(path, `body is ${body.byteLength} bytes, header says ${header.sizeBytes}`);
    }
    if (sha256(body) !== header.sha256) throw corrupt(path, 'body checksum mismatch');
    return { ...header.entry, body };
  }

  async #readAll(): Promise<DeadLetterEntry[]> {
    const entries: DeadLetterEntry[] = [];
    for (const id of await this.#ids()) {
      const entry = await this.#readHeader(id);
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  #init(): Promise<void> {
    this.#ready ??= this.#scan().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) await this.#removeStaleTemp(name);
    }
    for (const id of await this.#ids()) {
      this.#nextSeq = Math.max(this.#nextSeq, Number(id) + 1);
      try {
        const entry = await this.#readHeader(id);
        if (entry !== undefined) this.#keys.set(id, entry.key);
      } catch (error) {
        // A damaged entry still takes its place (and its slot): `list` and `read` report it as
        // CORRUPT_DATA, and it must not stop the queue from keeping new failures.
        if (!isTierVecError(error, ErrorCode.CORRUPT_DATA)) throw error;
        this.#keys.set(id, '');
      }
    }
  }

  /** A temp file left by a process that died mid-write is garbage; a live writer's is not touched. */
  async #removeStaleTemp(name: string): Promise<void> {
    const pid = Number(name.split('.')[2]);
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) {
      await unlink(join(this.dir, name)).catch(ignoreMissing);
    }
  }

  async #ids(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names
      .filter((name) => name.endsWith(SUFFIX) && ID_PATTERN.test(name.slice(0, -SUFFIX.length)))
      .map((name) => name.slice(0, -SUFFIX.length))
      .sort();
  }

  async #create(header: Omit<DeadLetterEntry, 'id'>, body: Uint8Array): Promise<DeadLetterEntry> {
    let id = formatId(this.#nextSeq++);
    const temp = this.#tempPath(id);
    try {
      // The id lives only in the file name, so the same temp file can be linked under another id.
      await this.#writeFile(temp, { id, ...header }, body);
      for (let attempt = 1; ; attempt++) {
        try {
          await link(temp, this.#path(id));
          break;
        } catch (error) {
          // Another writer took this id (a second process on the same directory): take the next one.
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= LINK_ATTEMPTS_MAX) throw error;
          id = formatId(this.#nextSeq++);
        }
      }
    } finally {
      await unlink(temp).catch(ignoreMissing);
    }
    await this.#syncDir();
    return { id, ...header };
  }

  async #writeFile(path: string, entry: DeadLetterEntry, body: Uint8Array, replace = false): Promise<void> {
    const { id: _id, ...rest } = entry;
    const header = { format: FORMAT, version: VERSION, ...rest, sha256: sha256(body) };
    const headerBytes = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
    const handle = await open(path, replace ? 'w' : 'wx');
    try {
      await handle.writeFile(Buffer.concat([headerBytes, body]));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async #readHeader(id: string): Promise<DeadLetterEntry | undefined> {
    const path = this.#path(id);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      // Removed between readdir and open (a concurrent replay): no longer an entry.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const buffer = Buffer.alloc(HEADER_BYTES_MAX);
      const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES_MAX, 0);
      const newline = buffer.subarray(0, bytesRead).indexOf(10);
      if (newline < 0) throw corrupt(path, `no header line within ${HEADER_BYTES_MAX} bytes`);
      return this.#parseHeader(path, buffer.subarray(0, newline)).entry;
    } finally {
      await handle.close();
    }
  }

  #parseHeader(
    path: string,
    bytes: Uint8Array,
  ): { entry: DeadLetterEntry; sizeBytes: number; sha256: string } {
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw corrupt(path, `header is not JSON (${(error as Error).message})`);
    }
    if (header.format !== FORMAT || header.version !== VERSION)
      throw corrupt(path, 'unknown format or version');
    const { key, sizeBytes, error, attempts, timeMs, replays, createOnly, sha256: digest } = header;
    if (
      typeof key !== 'string' ||
      typeof sizeBytes !== 'number' ||
      typeof attempts !== 'number' ||
      typeof timeMs !== 'number' ||
      typeof replays !== 'number' ||
      typeof digest !== 'string' ||
      typeof error !== 'object' ||
      error === null ||
      (createOnly !== undefined && typeof createOnly !== 'boolean')
    ) {
      throw corrupt(path, 'header fields are missing or of the wrong type');
    }
    const id = path.slice(path.length - SUFFIX.length - 12, path.length - SUFFIX.length);
    const entry: DeadLetterEntry = {
      id,
      key,
      sizeBytes,
      error: error as DeadLetterError,
      attempts,
      timeMs,
      replays,
    };
    if (createOnly === true) entry.createOnly = true;
    return { entry, sizeBytes, sha256: digest };
  }

  #path(id: string): string {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected a dead-letter \`id\` of 12 digits, got ${describeValue(id)}`,
        { details: { id } },
      );
    }
    return join(this.dir, `${id}${SUFFIX}`);
  }

  #tempPath(id: string): string {
    return join(this.dir, `.${id}.${process.pid}.${this.#instance}.tmp`);
  }

  #notFound(id: string): TierVecError {
    return new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `No dead letter with id ${describeValue(id)} in ${describeValue(this.dir)}`,
      { details: { id, dir: this.dir } },
    );
  }

  async #syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
