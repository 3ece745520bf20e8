/**
 * The machine a run measured: enough to tell whether two results files can be compared raw, or
 * only by their in-run ratios.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BenchMode } from './bench-suite.ts';
import type { BenchEnvironment } from './results-file.ts';

export function captureEnvironment(mode: BenchMode): BenchEnvironment {
  const cpus = os.cpus();
  return {
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    loadAverage1m: os.loadavg()[0] ?? 0,
    tinybenchVersion: tinybenchVersion(),
    mode,
  };
}

function tinybenchVersion(): string {
  // tinybench's exports map hides its package.json, so read it beside the resolved entry point.
  const entry = createRequire(import.meta.url).resolve('tinybench');
  const manifestPath = path.join(path.dirname(entry), '..', 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
