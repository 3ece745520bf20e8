#!/usr/bin/env node
// The `tiervec` command: runs the compiled CLI in dist/ (built by `npm run build`, and by `npm pack`
// before packing). Inside the repository, `npm run loadtest` runs the TypeScript sources instead.
// `--version` alone is answered here, from package.json, without loading the CLI and its modules:
// scripts and health checks call it often and expect it to be instant.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${version}\n`);
} else {
  try {
    await import('../dist/cli/main.js');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/main.js')) {
      throw error;
    }
    process.stderr.write('tiervec: dist/ is missing; run `npm run build` first (npm pack runs it)\n');
    process.exitCode = 2;
  }
}
