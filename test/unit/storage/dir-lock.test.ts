import { spawn } from 'node:child_process';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { acquireDirLock } from '../../../src/storage/dir-lock.ts';
import { expectTierVecError, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-dir-lock-');
const REPO = resolve(import.meta.dirname, '../../..');
const CHILD = join(REPO, 'test/helpers/dir-lock-child.ts');
// Several rounds of 40 directories: one round's two processes may not overlap in time, five almost surely do.
const ROUNDS = 5;
const ROUND_MS = 400;

/** The pid of a process that has exited: a lock holding it is stale. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolveExit) => child.once('exit', resolveExit));
  return child.pid as number;
}

interface ChildResult {
  owned: number[];
  refusedCodes: string[];
}

interface RunningChild {
  result: Promise<ChildResult>;
  exited: Promise<void>;
  stop(): void;
}

/** Starts a child that locks `dirs` at `startAtMs`; it holds its locks until `stop()`. */
function startChild(startAtMs: number, dirs: string[]): RunningChild {
  const args = [CHILD, String(startAtMs), String(ROUND_MS), String(ROUNDS), ...dirs];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  const result = new Promise<ChildResult>((resolveRun, rejectRun) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.endsWith('\n')) resolveRun(JSON.parse(stdout) as ChildResult);
    });
    exited.then((code) => rejectRun(new Error(`dir-lock child exited ${code}: ${stderr}`)));
  });
  return { result, exited: exited.then(() => undefined), stop: () => child.stdin.end() };
}

describe('acquireDirLock', () => {
  it('never lets two processes own one directory when both take over stale locks at once', async () => {
    const stalePid = await deadPid();
    const dirs = await Promise.all(Array.from({ length: 40 * ROUNDS }, () => temp.make()));
    await Promise.all(dirs.map((dir) => writeFile(join(dir, 'LOCK'), `${stalePid}\n`)));
    // Both children start their 40 takeovers at the same instant, after their (slow) start-up.
    const startAtMs = Date.now() + 4_000;
    const children = [startChild(startAtMs, dirs), startChild(startAtMs, dirs)];
    let results: ChildResult[];
    try {
      results = await Promise.all(children.map((child) => child.result));
    } finally {
      for (const child of children) child.stop();
      await Promise.all(children.map((child) => child.exited));
    }
    const [first, second] = results;
    const both = dirs.map((_, i) => i).filter((i) => first?.owned.includes(i) && second?.owned.includes(i));
    expect(both, `directories owned by both processes: ${both.join(', ')}`).toEqual([]);
    const neither = dirs
      .map((_, i) => i)
      .filter((i) => !first?.owned.includes(i) && !second?.owned.includes(i));
    expect(neither).toEqual([]);
    const refused = [...(first?.refusedCodes ?? []), ...(second?.refusedCodes ?? [])];
    expect(new Set(refused)).toEqual(new Set(refused.length === 0 ? [] : [ErrorCode.LOCKED]));
  });

  it('does not take over a LOCK file that was created but not yet written (an empty LOCK is live)', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'LOCK'), '');
    await expectTierVecError(() => acquireDirLock(dir), ErrorCode.LOCKED, 'being written');
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe('');
  });

  it('takes over an unreadable LOCK once it is older than the grace period', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'LOCK'), 'garbage');
    const oldS = (await stat(join(dir, 'LOCK'))).mtimeMs / 1000 - 3600;
    await utimes(join(dir, 'LOCK'), oldS, oldS);
    const lock = await acquireDirLock(dir);
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('does not remove a LOCK that another owner has written since (release removes only its own)', async () => {
    const dir = await temp.make();
    const lock = await acquireDirLock(dir);
    const foreign = `${process.ppid}\nsomeone-else\n`;
    await writeFile(join(dir, 'LOCK'), foreign);
    await lock.release();
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(foreign);
  });

  it('refuses two concurrent opens of one directory in this process with LOCKED', async () => {
    const dir = await temp.make();
    const outcomes = await Promise.allSettled([acquireDirLock(dir), acquireDirLock(dir)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.code).toBe(ErrorCode.LOCKED);
  });
});
