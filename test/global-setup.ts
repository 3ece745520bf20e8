/**
 * Runs once before any test file: compiles dist/ (`npm run build`), which the tests that run the
 * `tiervec` command (bin/tiervec.js) and the packed package need. Built here, once, so that no test
 * depends on another having built it, and nothing rebuilds (deletes) it while tests run.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export default async function setup(): Promise<void> {
  await run('npm', ['run', 'build', '--silent'], {
    cwd: join(import.meta.dirname, '..'),
    timeout: 600_000,
  });
}
