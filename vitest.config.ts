import { defineConfig } from 'vitest/config';

// Forks rather than worker threads: hnswlib-node is a native addon, and the crash-recovery suites
// spawn and SIGKILL child processes; a process per test file keeps both isolated.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
