/**
 * Crash-safe file writes: data goes to a temporary file in the same directory, is fsynced, renamed
 * over the final name, and the directory is fsynced so the rename itself survives a power loss. A
 * reader therefore sees either the old file or the complete new one, never a torn one.
 *
 * Temporary files end in `.tmp`; a store that finds them on open removes them (they belong to a
 * write that never finished).
 */

import { dirname } from 'node:path';
import { open, readFile, rename, rm } from './file-system.ts';

export const TEMP_SUFFIX = '.tmp';

export async function writeFileDurable(path: string, data: Uint8Array): Promise<void> {
  const temp = `${path}${TEMP_SUFFIX}`;
  const handle = await open(temp, 'w');
  try {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await renameDurable(temp, path);
}

/** Fsyncs a file another writer produced (hnswlib's index), then renames it into place durably. */
export async function syncAndRename(temp: string, path: string): Promise<void> {
  await fsyncPath(temp);
  await renameDurable(temp, path);
}

export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncPath(dirname(to));
}

/** fsync on a file or a directory (directories make creations, renames and removals durable). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's contents, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes files and makes the removal durable (used where a removal orders against later writes). */
export async function removeDurable(paths: readonly string[], dir: string): Promise<void> {
  if (paths.length === 0) return;
  for (const path of paths) await rm(path, { force: true });
  await fsyncPath(dir);
}
