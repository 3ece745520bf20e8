import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.ts';
import { CrashSwitch } from '../../src/simulation/crash-switch.ts';
import { CrashableFileSystem } from '../../src/simulation/crashable-file-system.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'tiervec-crashable-'));
  const crashSwitch = new CrashSwitch();
  const fs = new CrashableFileSystem(root, crashSwitch, new Rng(1));
  return { fs, crashSwitch, root };
}

async function crash(fs: CrashableFileSystem): Promise<string> {
  const next = await fs.crash();
  dirs.push(next);
  return next;
}

/** Writes `data` to `path` through the seam: open, write, optionally fsync, close. */
async function write(fs: CrashableFileSystem, path: string, data: string, sync: boolean) {
  const handle = await fs.open(path, 'w');
  const bytes = Buffer.from(data);
  await handle.write(bytes, 0, bytes.length, 0);
  if (sync) await handle.sync();
  await handle.close();
}

async function syncDir(fs: CrashableFileSystem, dir: string) {
  const handle = await fs.open(dir, 'r');
  await handle.sync();
  await handle.close();
}

describe('CrashableFileSystem', () => {
  it('keeps a file whose data and directory entry were fsynced, and loses one that was never fsynced', async () => {
    const { fs, root } = await setup();
    await write(fs, join(root, 'durable'), 'kept', true);
    await syncDir(fs, root);
    await write(fs, join(root, 'volatile'), 'lost', false);
    const next = await crash(fs);
    expect(readFileSync(join(next, 'durable'), 'utf8')).toBe('kept');
    expect(existsSync(join(next, 'volatile'))).toBe(false);
  });

  it('loses a file whose data was fsynced but whose name was not (no directory fsync)', async () => {
    const { fs, root } = await setup();
    await write(fs, join(root, 'unnamed'), 'data', true);
    const next = await crash(fs);
    expect(existsSync(join(next, 'unnamed'))).toBe(false);
  });

  it('rolls a rename back unless the directory was fsynced after it', async () => {
    const { fs, root } = await setup();
    await write(fs, join(root, 'a.tmp'), 'new', true);
    await syncDir(fs, root);
    await fs.rename(join(root, 'a.tmp'), join(root, 'a'));
    const next = await crash(fs);
    expect(existsSync(join(next, 'a'))).toBe(false);
    expect(readFileSync(join(next, 'a.tmp'), 'utf8')).toBe('new');
  });

  it('keeps an fsynced prefix of an appended file and at most whole sectors of the unsynced tail', async () => {
    const { fs, root } = await setup();
    const path = join(root, 'log');
    const handle = await fs.open(path, 'w');
    const head = Buffer.alloc(100, 1);
    await handle.write(head, 0, head.length, 0);
    await handle.sync();
    await syncDir(fs, root);
    const tail = Buffer.alloc(2000, 2);
    await handle.write(tail, 0, tail.length, 100);
    const next = await crash(fs);
    const kept = readFileSync(join(next, 'log'));
    expect(kept.subarray(0, 100)).toEqual(head);
    expect([100, 512, 1024, 1536, 2100]).toContain(kept.length);
  });

  it('never settles a call once the process has crashed, and counts calls to crash at the n-th', async () => {
    const { fs, crashSwitch, root } = await setup();
    crashSwitch.arm(2);
    await fs.mkdir(join(root, 'x'), { recursive: true });
    let settled = false;
    void fs.readdir(root).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(crashSwitch.crashed).toBe(true);
    expect(crashSwitch.where).toBe('readdir ');
    expect(settled).toBe(false);
    await crash(fs);
  });
});
