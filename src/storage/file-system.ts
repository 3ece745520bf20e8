/**
 * The one seam through which the store's own files (WAL, segments, manifests, tombstones, catalog,
 * caches) are read and written. By default every call goes straight to `node:fs/promises`; the
 * simulation installs an implementation that counts calls, injects crashes at any of them and, on a
 * crash, loses whatever was not fsynced. Only the functions the storage code uses are here, with the
 * argument shapes it uses.
 *
 * This module must never change what a call does when the default implementation is installed, and
 * never be used by `LocalObjectStore` (the object store stands for another machine: it stays on the
 * real file system).
 */

import * as nodeFsSync from 'node:fs';
import * as nodeFs from 'node:fs/promises';

/** The file-handle methods the storage code uses. */
export interface StorageFileHandle {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position?: number | null,
  ): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  truncate(length?: number): Promise<void>;
  /** The open file's identity and change time (the directory lock tells versions of its file apart). */
  stat(): Promise<{ ino: number; mtimeMs: number }>;
  /** The whole content, read through this handle (the same version of the file as `stat`). */
  readFile(): Promise<Buffer>;
  close(): Promise<void>;
}

export interface FileSystem {
  open(path: string, flags: string): Promise<StorageFileHandle>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Reads the file from its start into `target`, at most `target.length` bytes, and returns how many
   * it read: the file's size when the file is shorter than `target` (a caller that expects n bytes
   * passes n + 1 bytes of room, and any answer but n refuses the file). With `blocking`, the read
   * happens before the call returns, on the calling thread (see segment-file.ts for when).
   */
  readFileInto(path: string, target: Uint8Array, options?: { blocking?: boolean }): Promise<number>;
  writeFile(path: string, data: Uint8Array | string, options?: { flag?: string }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** A second name for `existing`; EEXIST when `newPath` exists (the directory lock's atomic step). */
  link(existing: string, newPath: string): Promise<void>;
  rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<string | undefined>;
  readdir(path: string): Promise<string[]>;
  access(path: string): Promise<void>;
  realpath(path: string): Promise<string>;
}

/** `node:fs/promises`, unchanged. */
export const nodeFileSystem: FileSystem = Object.freeze({
  open: (path: string, flags: string) => nodeFs.open(path, flags),
  readFile: (path: string) => nodeFs.readFile(path),
  readFileInto: nodeReadFileInto,
  writeFile: (path: string, data: Uint8Array | string, options?: { flag?: string }) =>
    nodeFs.writeFile(path, data, options),
  rename: (from: string, to: string) => nodeFs.rename(from, to),
  link: (existing: string, newPath: string) => nodeFs.link(existing, newPath),
  rm: (path: string, options?: { force?: boolean; recursive?: boolean }) => nodeFs.rm(path, options),
  mkdir: (path: string, options?: { recursive?: boolean }) => nodeFs.mkdir(path, options),
  readdir: (path: string) => nodeFs.readdir(path),
  access: (path: string) => nodeFs.access(path),
  realpath: (path: string) => nodeFs.realpath(path),
});

let current: FileSystem = nodeFileSystem;

async function nodeReadFileInto(
  path: string,
  target: Uint8Array,
  options?: { blocking?: boolean },
): Promise<number> {
  if (options?.blocking === true) return readFileIntoBlocking(path, target);
  const handle = await nodeFs.open(path, 'r');
  try {
    let offset = 0;
    while (offset < target.length) {
      const wanted = target.length - offset;
      const { bytesRead } = await handle.read(target, offset, wanted, offset);
      offset += bytesRead;
      // A regular file reads short only at its end: no further call to learn that it ended.
      if (bytesRead < wanted) break;
    }
    return offset;
  } finally {
    await handle.close();
  }
}

function readFileIntoBlocking(path: string, target: Uint8Array): number {
  const fd = nodeFsSync.openSync(path, 'r');
  try {
    let offset = 0;
    while (offset < target.length) {
      const wanted = target.length - offset;
      const bytesRead = nodeFsSync.readSync(fd, target, offset, wanted, offset);
      offset += bytesRead;
      if (bytesRead < wanted) break;
    }
    return offset;
  } finally {
    nodeFsSync.closeSync(fd);
  }
}

/**
 * Installs `fileSystem` for every store in this process until the returned function is called
 * (which puts back the one that was installed before). For simulations and tests.
 */
export function installFileSystem(fileSystem: FileSystem): () => void {
  const previous = current;
  current = fileSystem;
  return () => {
    current = previous;
  };
}

export const open = (path: string, flags: string): Promise<StorageFileHandle> => current.open(path, flags);
export const readFile = (path: string): Promise<Buffer> => current.readFile(path);
export const readFileInto = (
  path: string,
  target: Uint8Array,
  options?: { blocking?: boolean },
): Promise<number> => current.readFileInto(path, target, options);
export const writeFile = (path: string, data: Uint8Array | string, options?: { flag?: string }) =>
  current.writeFile(path, data, options);
export const rename = (from: string, to: string): Promise<void> => current.rename(from, to);
export const link = (existing: string, newPath: string): Promise<void> => current.link(existing, newPath);
export const rm = (path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void> =>
  current.rm(path, options);
export const mkdir = (path: string, options?: { recursive?: boolean }): Promise<string | undefined> =>
  current.mkdir(path, options);
export const readdir = (path: string): Promise<string[]> => current.readdir(path);
export const access = (path: string): Promise<void> => current.access(path);
export const realpath = (path: string): Promise<string> => current.realpath(path);
