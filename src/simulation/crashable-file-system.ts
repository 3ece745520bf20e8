/**
 * A `FileSystem` (see `src/storage/file-system.ts`) on a real temporary directory that can lose, on
 * a simulated crash, whatever a power loss could lose. What it models:
 *
 * - File data is durable once the file is fsynced (`sync`/`datasync` on a handle): until then a
 *   crash restores the content of the last fsync, plus a seeded number of whole 512-byte sectors
 *   of what was appended since (a torn tail: a real disk may persist part of an unsynced append).
 * - A file's name (its creation, a rename onto it, its removal) is durable once its directory is
 *   fsynced; until then a crash puts back the name as it was (the old file, or nothing).
 * - Directories themselves are never rolled back (`mkdir` is treated as durable), and files written
 *   outside the seam (hnswlib writes its index file natively) survive a crash as written, unless
 *   the seam saw them and they were never made durable.
 *
 * From the crash on, every call of the crashed process never settles (its directory is
 * retired: the rolled-back files move to a new directory that the next process opens), so an
 * abandoned store object that is still running timers can change nothing. Paths outside the
 * current directory pass straight through. This module never decides when to crash (see
 * `crash-switch.ts`).
 */

import * as nodeFs from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Rng } from '../random.ts';
import type { FileSystem, StorageFileHandle } from '../storage/file-system.ts';
import { type CrashSwitch, neverSettles, SimulatedCrash } from './crash-switch.ts';

/** The unit in which an unsynced append can reach the disk before a crash. */
const SECTOR_BYTES = 512;

/** What a crash leaves at a path: the file's durable content, or nothing. */
type Durable = Buffer | null;

export class CrashableFileSystem implements FileSystem {
  readonly #switch: CrashSwitch;
  readonly #rng: Rng;
  #root: string;
  #generation = 0;
  readonly #retired: string[] = [];
  /** Files that existed (durably) when tracking began. */
  #baseline = new Set<string>();
  /** For every path touched since tracking began: what a crash leaves there. */
  #durable = new Map<string, Durable>();
  /** Content at each file's last fsync (data durable, its name perhaps not yet). */
  #synced = new Map<string, Buffer>();
  /** Descriptors the live process has open (closed for it when it crashes). */
  readonly #handles = new Set<number>();

  constructor(root: string, crashSwitch: CrashSwitch, rng: Rng) {
    this.#root = root;
    this.#switch = crashSwitch;
    this.#rng = rng;
  }

  /** The directory the live process uses (it changes at every crash). */
  get root(): string {
    return this.#root;
  }

  /** Starts tracking a new directory (a recovery on a new, empty directory). */
  async useRoot(root: string): Promise<void> {
    this.#retired.push(this.#root);
    this.#root = root;
    await this.#startTracking();
  }

  /**
   * The crash: rolls every touched path back to what was durable and moves the directory to a
   * fresh name (returned) for the next process to open.
   */
  async crash(): Promise<string> {
    this.#switch.crashNow('crash()');
    for (const fd of this.#handles) nodeFs.closeSync(fd);
    this.#handles.clear();
    for (const [path, durable] of this.#durable) this.#restore(path, durable);
    const next = `${this.#root.replace(/-g\d+$/, '')}-g${++this.#generation}`;
    nodeFs.renameSync(this.#root, next);
    this.#retired.push(this.#root);
    this.#root = next;
    await this.#startTracking();
    this.#switch.reset();
    return next;
  }

  #restore(path: string, durable: Durable): void {
    if (durable === null) {
      nodeFs.rmSync(path, { force: true, recursive: true });
      return;
    }
    const current = nodeFs.existsSync(path) ? nodeFs.readFileSync(path) : undefined;
    let content = durable;
    if (
      current !== undefined &&
      current.length > durable.length &&
      current.subarray(0, durable.length).equals(durable)
    ) {
      content = current.subarray(0, this.#tornLength(durable.length, current.length));
    }
    nodeFs.mkdirSync(dirname(path), { recursive: true });
    nodeFs.writeFileSync(path, content);
  }

  /**
   * A torn tail: whole sectors of an unsynced append may have reached the disk. The length kept is
   * a sector boundary past the durable length, or the whole file (its last sector written whole).
   */
  #tornLength(durableLength: number, currentLength: number): number {
    const lengths = [durableLength];
    for (
      let end = (Math.floor(durableLength / SECTOR_BYTES) + 1) * SECTOR_BYTES;
      end < currentLength;
      end += SECTOR_BYTES
    ) {
      lengths.push(end);
    }
    lengths.push(currentLength);
    return lengths[this.#rng.nextInt(lengths.length)] as number;
  }

  async #startTracking(): Promise<void> {
    this.#durable = new Map();
    this.#synced = new Map();
    this.#baseline = new Set(listFiles(this.#root));
  }

  // ------------------------------------------------------------ FileSystem

  open(path: string, flags: string): Promise<StorageFileHandle> {
    return this.#call('open', path, () => {
      if (flags !== 'r') this.#remember(path);
      const fd = nodeFs.openSync(path, flags);
      this.#handles.add(fd);
      return this.#wrap(fd, path);
    });
  }

  readFile(path: string): Promise<Buffer> {
    return this.#call('readFile', path, () => nodeFs.readFileSync(path));
  }

  readFileInto(path: string, target: Uint8Array): Promise<number> {
    return this.#call('readFile', path, () => {
      const content = nodeFs.readFileSync(path);
      const read = Math.min(content.length, target.length);
      target.set(content.subarray(0, read));
      return read;
    });
  }

  writeFile(path: string, data: Uint8Array | string, options?: { flag?: string }): Promise<void> {
    return this.#call('writeFile', path, () => {
      this.#remember(path);
      nodeFs.writeFileSync(path, data, options);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.#call('rename', from, () => {
      this.#checkPath(to);
      this.#remember(from);
      this.#remember(to);
      nodeFs.renameSync(from, to);
      const synced = this.#synced.get(from);
      this.#synced.delete(from);
      if (synced === undefined) this.#synced.delete(to);
      else this.#synced.set(to, synced);
    });
  }

  /**
   * A second name for a file, with the file's synced content (a name, like one made by `rename`,
   * is durable once its directory is fsynced).
   */
  link(existing: string, newPath: string): Promise<void> {
    return this.#call('link', newPath, () => {
      this.#checkPath(existing);
      this.#remember(newPath);
      nodeFs.linkSync(existing, newPath);
      const synced = this.#synced.get(existing);
      if (synced === undefined) this.#synced.delete(newPath);
      else this.#synced.set(newPath, synced);
    });
  }

  rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void> {
    return this.#call('rm', path, () => {
      for (const file of listFiles(path)) {
        this.#remember(file);
        this.#synced.delete(file);
      }
      nodeFs.rmSync(path, options);
    });
  }

  mkdir(path: string, options?: { recursive?: boolean }): Promise<string | undefined> {
    return this.#call('mkdir', path, () => nodeFs.mkdirSync(path, options));
  }

  readdir(path: string): Promise<string[]> {
    return this.#call('readdir', path, () => nodeFs.readdirSync(path));
  }

  access(path: string): Promise<void> {
    return this.#call('access', path, () => nodeFs.accessSync(path));
  }

  realpath(path: string): Promise<string> {
    return this.#call('realpath', path, () => nodeFs.realpathSync(path));
  }

  // ------------------------------------------------------------ internals

  #inside(path: string): boolean {
    const rel = relative(this.#root, path);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
  }

  #checkPath(path: string): void {
    for (const dir of this.#retired) {
      const rel = relative(dir, path);
      if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep))) {
        throw new SimulatedCrash(`${path} (a crashed process's directory)`);
      }
    }
  }

  /**
   * Runs one call: crash check and counting for paths of the live directory, then the real
   * operation, done synchronously so that its effect happens at the moment of the call and the
   * caller's continuation is a plain microtask (no I/O timing can reorder a run).
   */
  #call<T>(name: string, path: string, run: () => T): Promise<T> {
    try {
      this.#checkPath(path);
      if (this.#inside(path)) this.#switch.enter(`${name} ${relative(this.#root, path)}`);
      return Promise.resolve(run());
    } catch (error) {
      return error instanceof SimulatedCrash ? neverSettles() : Promise.reject(error);
    }
  }

  /** Records what a crash would leave at `path`, the first time a call is about to change it. */
  #remember(path: string): void {
    if (!this.#inside(path) || this.#durable.has(path)) return;
    if (!this.#baseline.has(path)) {
      this.#durable.set(path, null);
      return;
    }
    const content = nodeFs.readFileSync(path);
    this.#durable.set(path, content);
    this.#synced.set(path, content);
  }

  /** fsync of `path`: a file's data becomes durable; a directory's entries become durable. */
  #fsync(path: string): void {
    if (!this.#inside(path)) return;
    if (nodeFs.statSync(path).isDirectory()) {
      for (const [file] of this.#durable) {
        if (dirname(file) !== path) continue;
        const exists = nodeFs.existsSync(file);
        this.#durable.set(file, exists ? (this.#synced.get(file) ?? Buffer.alloc(0)) : null);
      }
      return;
    }
    if (!this.#durable.has(path) && !this.#baseline.has(path)) this.#durable.set(path, null);
    const content = nodeFs.readFileSync(path);
    this.#synced.set(path, content);
    if (this.#durable.get(path) !== null) this.#durable.set(path, content);
  }

  #wrap(fd: number, path: string): StorageFileHandle {
    return {
      write: (buffer, offset, length, position) =>
        this.#call('write', path, () => ({
          bytesWritten: nodeFs.writeSync(fd, buffer, offset, length, position ?? null),
        })),
      // The real fsync is skipped: durability is what this class records, and the disk is scratch.
      sync: () => this.#call('sync', path, () => this.#fsync(path)),
      datasync: () => this.#call('datasync', path, () => this.#fsync(path)),
      truncate: (length) =>
        this.#call('truncate', path, () => {
          this.#remember(path);
          nodeFs.ftruncateSync(fd, length);
        }),
      stat: () => this.#call('stat', path, () => nodeFs.fstatSync(fd)),
      readFile: () => this.#call('read', path, () => nodeFs.readFileSync(fd)),
      close: async () => {
        // The descriptor is released even by a crashed process, so a long run does not leak them.
        if (this.#handles.delete(fd)) nodeFs.closeSync(fd);
        if (this.#switch.crashed) await neverSettles();
      },
    };
  }
}

/** Every file under `path` (or `path` itself when it is a file); none when it does not exist. */
function listFiles(path: string): string[] {
  let entries: nodeFs.Dirent[];
  try {
    entries = nodeFs.readdirSync(path, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return [path];
    if (code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(full));
    else files.push(full);
  }
  return files;
}
