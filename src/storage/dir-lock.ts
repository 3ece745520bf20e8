/**
 * One store per directory: a `LOCK` file holding the owner's process id, plus an in-process registry
 * (a second `openStore` on the same directory in one process is refused too). A lock whose process
 * is gone (killed with SIGKILL, say) is stale and taken over, which is what crash recovery needs.
 */

import { join } from 'node:path';
import { ErrorCode, TierVecError } from '../errors.ts';
import { readFile, realpath, rm, writeFile } from './file-system.ts';

const FILE_NAME = 'LOCK';
const openInThisProcess = new Set<string>();

export interface DirLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function locked(dir: string, pid: number): TierVecError {
  return new TierVecError(
    ErrorCode.LOCKED,
    `Store directory ${dir} is open in ${pid === process.pid ? 'this process' : `process ${pid}`}; close it first`,
    { details: { dir, pid } },
  );
}

export async function acquireDirLock(dir: string): Promise<DirLock> {
  const key = await realpath(dir);
  if (openInThisProcess.has(key)) throw locked(dir, process.pid);
  const path = join(dir, FILE_NAME);
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = Number.parseInt(String(await readFile(path)), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw locked(dir, owner);
    await writeFile(path, `${process.pid}\n`);
  }
  openInThisProcess.add(key);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      openInThisProcess.delete(key);
      await rm(path, { force: true });
    },
  };
}
