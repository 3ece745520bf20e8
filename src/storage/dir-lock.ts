/**
 * One store per directory: a `LOCK` file holding the owner's process id and a nonce, plus an
 * in-process registry (a second `openStore` on the same directory in one process is refused too). A
 * lock whose process is gone (killed with SIGKILL, say) is stale and taken over, which is what crash
 * recovery needs.
 *
 * Two processes must never both own a directory, so no step here is read-then-overwrite:
 * - a lock file appears complete or not at all (written to a temporary name, then `link`ed into
 *   place, which fails if the name exists);
 * - taking over a stale lock first claims that exact lock (a claim file named after its identity,
 *   created exclusively), re-reads it, and only then renames the new lock over it; a claim left by a
 *   claimant that died is itself taken over the same way;
 * - `release()` removes the lock only while it still holds this owner's nonce.
 * A lock file that cannot be parsed (created by an older version, or empty after a power loss) is
 * treated as live for `UNREADABLE_GRACE_MS` after its last write, then as stale.
 * Its file calls go through the file-system seam (`file-system.ts`), so a simulated crash can land
 * in any of them.
 */

import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { ErrorCode, TierVecError } from '../errors.ts';
import { link, open, realpath, rename, rm, type StorageFileHandle } from './file-system.ts';

const FILE_NAME = 'LOCK';
/** How long an unparseable lock file counts as being written by a live owner. */
const UNREADABLE_GRACE_MS = 10_000;
/** Claims of claims left by claimants that died, followed at most this deep before giving up. */
const CLAIM_DEPTH_MAX = 3;
/** Attempts to place the lock when it keeps changing under us (released, taken over by another). */
const ATTEMPTS_MAX = 5;
const openInThisProcess = new Set<string>();

export interface DirLock {
  release(): Promise<void>;
}

/** What a lock file said when read, and the identity of that exact file version. */
interface LockSnapshot {
  text: string;
  /** The owner's pid, or undefined when the file cannot be parsed. */
  pid: number | undefined;
  /** Stable for one file version: content, inode and modification time. */
  identity: string;
  ageMs: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function locked(dir: string, pid: number | undefined, what = 'is open in'): TierVecError {
  const owner =
    pid === undefined ? 'another process' : pid === process.pid ? 'this process' : `process ${pid}`;
  return new TierVecError(ErrorCode.LOCKED, `Store directory ${dir} ${what} ${owner}; close it first`, {
    details: { dir, pid },
  });
}

/** Reads a lock file through one handle (content and identity of the same version), or undefined if absent. */
async function readLock(path: string): Promise<LockSnapshot | undefined> {
  let handle: StorageFileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    const text = String(await handle.readFile());
    const pid = /^\d+$/.test(text.split('\n')[0] ?? '') ? Number(text.split('\n')[0]) : undefined;
    const identity = createHash('sha256')
      .update(`${text}\0${info.ino}\0${info.mtimeMs}`)
      .digest('hex')
      .slice(0, 24);
    return { text, pid, identity, ageMs: systemClock.now() - info.mtimeMs };
  } finally {
    await handle.close();
  }
}

/**
 * Whether the lock `snapshot` may be taken over: its owner is dead (or is this process's pid
 * without this process holding it, a pid reused after a restart), or it is unreadable and old.
 */
function isStale(snapshot: LockSnapshot): boolean {
  if (snapshot.pid === undefined) return snapshot.ageMs > UNREADABLE_GRACE_MS;
  return snapshot.pid === process.pid || !isAlive(snapshot.pid);
}

/**
 * Writes `text` to a fresh temporary file beside `path`, fsynced, and returns its name. Fsynced
 * before it is linked into place, so that after a power loss a lock file is complete or absent,
 * never empty (an empty one would be taken for a lock being written, and refuse the open).
 */
async function writeTemp(path: string, text: string): Promise<string> {
  const temp = `${path}.${randomUUID()}.tmp`;
  const handle = await open(temp, 'wx');
  try {
    const bytes = Buffer.from(text);
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Links `temp` to `path` if `path` is absent: true when placed, false when `path` exists. */
async function placeIfAbsent(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Replaces the stale lock `stale` at `path` with `temp` (renamed into place), unless another
 * process claimed it first (LOCKED) or it changed meanwhile (false: look again). Only the claimant
 * of one lock version may replace it, and it re-reads the lock after claiming, so two processes
 * never both replace it.
 */
async function takeOver(
  dir: string,
  path: string,
  stale: LockSnapshot,
  temp: string,
  depth: number,
): Promise<boolean> {
  const claimPath = `${join(dir, FILE_NAME)}.claim-${stale.identity}`;
  const claimText = `${process.pid}\n${randomUUID()}\n`;
  const claimTemp = await writeTemp(claimPath, claimText);
  try {
    if (!(await claim(dir, claimPath, claimTemp, depth))) return false;
    const current = await readLock(path);
    if (current?.identity !== stale.identity) {
      await rm(claimPath, { force: true });
      return false;
    }
    await rename(temp, path);
    await rm(claimPath, { force: true });
    return true;
  } finally {
    await rm(claimTemp, { force: true });
  }
}

/** Places the claim file `claimPath` from `claimTemp`, taking over a claim left by a dead claimant. */
async function claim(dir: string, claimPath: string, claimTemp: string, depth: number): Promise<boolean> {
  if (await placeIfAbsent(claimTemp, claimPath)) return true;
  const existing = await readLock(claimPath);
  if (existing === undefined) return false;
  if (!isStale(existing) || depth >= CLAIM_DEPTH_MAX)
    throw locked(dir, existing.pid, 'is being taken over by');
  return takeOver(dir, claimPath, existing, claimTemp, depth + 1);
}

/** Places this owner's lock `temp` at `path`, taking over a stale one; throws LOCKED if it is live. */
async function place(dir: string, path: string, temp: string): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    if (await placeIfAbsent(temp, path)) return;
    const existing = await readLock(path);
    if (existing === undefined) continue;
    if (!isStale(existing)) {
      throw existing.pid === undefined
        ? locked(dir, undefined, 'is being written by')
        : locked(dir, existing.pid);
    }
    if (await takeOver(dir, path, existing, temp, 0)) return;
  }
  throw locked(dir, undefined, 'keeps changing hands; it is contended by');
}

export async function acquireDirLock(dir: string): Promise<DirLock> {
  const key = await realpath(dir);
  if (openInThisProcess.has(key)) throw locked(dir, process.pid);
  // Registered before the first await below, so two opens in this process cannot both get here.
  openInThisProcess.add(key);
  const path = join(dir, FILE_NAME);
  const text = `${process.pid}\n${randomUUID()}\n`;
  try {
    const temp = await writeTemp(path, text);
    try {
      await place(dir, path, temp);
    } finally {
      await rm(temp, { force: true });
    }
  } catch (error) {
    openInThisProcess.delete(key);
    throw error;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      openInThisProcess.delete(key);
      // Nobody takes over the lock of a live owner, so it is still ours if it still says so.
      if ((await readLock(path))?.text === text) await rm(path, { force: true });
    },
  };
}
