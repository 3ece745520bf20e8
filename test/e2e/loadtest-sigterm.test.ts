import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadTestReport } from '../../src/loadtest/report/schema.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-sigterm-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `command` (a smoke run writing to `out`, its store under `tempDir`), waits until the run
 * is under way, sends SIGTERM to the process that was started (not to its group, as `docker stop`
 * and CI cancellation do), and returns how it ended.
 */
async function terminateRun(command: string, args: string[], tempDir: string): Promise<Stopped> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: tempDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    // The banner is printed once the scenario is resolved; the store and preload follow at once.
    if (!sent && stdout.includes('▶ smoke')) {
      sent = true;
      setTimeout(() => child.kill('SIGTERM'), 2_500);
    }
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolveExit) =>
    child.once('exit', (exitCode, exitSignal) => resolveExit([exitCode, exitSignal])),
  );
  clearTimeout(guard);
  return { code, signal, stdout, stderr };
}

async function expectStoppedLikeCtrlC(stopped: Stopped, out: string, tempDir: string): Promise<void> {
  expect(stopped.signal, stopped.stderr).toBeNull();
  expect(stopped.code, stopped.stderr).toBe(3);
  expect(stopped.stderr).toContain('SIGTERM: stopping');
  const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as LoadTestReport;
  expect(report.stopReason).toBe('aborted');
  // The run's temporary store directory is gone (only the report and tsx's cache may remain).
  expect((await readdir(tempDir)).filter((name) => name.startsWith('tiervec-'))).toEqual([]);
}

describe('SIGTERM on a load run behaves like Ctrl-C', () => {
  it('exits 3 with a partial report and no store directory left when the tiervec process gets SIGTERM', async () => {
    const tempDir = await mkdtemp(path.join(dir, 'node-'));
    const out = path.join(dir, 'node-out');
    const args = ['bin/tiervec.js', 'loadtest', 'run', 'smoke', '--duration-s', '20', '--out', out];
    const stopped = await terminateRun(process.execPath, args, tempDir);
    await expectStoppedLikeCtrlC(stopped, out, tempDir);
  }, 120_000);

  it('exits 3 with a partial report and no store directory left when `npm run loadtest` gets SIGTERM', async () => {
    const tempDir = await mkdtemp(path.join(dir, 'npm-'));
    const out = path.join(dir, 'npm-out');
    const args = ['run', '--silent', 'loadtest', '--', 'run', 'smoke', '--duration-s', '20', '--out', out];
    const stopped = await terminateRun('npm', args, tempDir);
    await expectStoppedLikeCtrlC(stopped, out, tempDir);
  }, 120_000);
});
