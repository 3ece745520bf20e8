/**
 * Makes the store's directory (and its parents) before anything else touches it, and turns the file
 * system's refusals into IO_ERROR naming the path: a regular file in the way, no permission, a
 * read-only file system. It never removes or changes anything that is already there.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { mkdir } from './file-system.ts';

export async function makeStoreDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    const why =
      errno === 'EEXIST' || errno === 'ENOTDIR'
        ? 'is not a directory (a file is in the way)'
        : `cannot be created (${errno ?? (error as Error).message})`;
    throw new TierVecError(ErrorCode.IO_ERROR, `Store directory ${dir} ${why}`, {
      cause: error,
      details: { dir, errno },
    });
  }
}
