import { defineConfig } from 'vitest/config';

// Forks rather than worker threads: hnswlib-node is a native addon, and the crash-recovery suites
// spawn and SIGKILL child processes; a process per test file keeps both isolated.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Both cores: the simulation's seed blocks and the package test would otherwise run one at a time.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
