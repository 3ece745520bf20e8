import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest test files (tens of seconds each, measured in CI), started first: on a fresh clone
 * vitest has no timings and starts the largest files first, and these small files then ran last,
 * leaving one worker busy for a minute after the other had finished.
 */
const LONG_FIRST = [
  'test/e2e/package-consumer.test.ts',
  'test/e2e/crash-recovery-rebalance.test.ts',
  'test/e2e/crash-recovery-repartition.test.ts',
  'test/e2e/loadtest-workers.test.ts',
  'test/e2e/loadtest-capacity.test.ts',
  'test/e2e/crash-recovery.test.ts',
  'test/unit/storage/partition/partition-rebalance.test.ts',
  'test/e2e/loadtest-run.test.ts',
  'test/e2e/loadtest-live.test.ts',
  'test/unit/storage/tiering/hot-budget-rss.test.ts',
  'test/unit/storage/partition/pruning-and-pinned-graph.test.ts',
  'test/e2e/replicas-s3rver.test.ts',
];

class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONG_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return index === -1 ? LONG_FIRST.length : index;
    };
    return sorted
      .map((file, order) => ({ file, order }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order)
      .map(({ file }) => file);
  }
}

// Forks rather than worker threads: hnswlib-node is a native addon, and the crash-recovery suites
// spawn and SIGKILL child processes (never the worker itself).
//
// Each worker runs its test files one after another in one process, sharing loaded modules
// (`isolate: false`): a fresh process per file cost about 0.8 s of CPU each (start-up and module
// imports), 151 times, on a 2-core machine (test/unit alone: 200 -> 111 CPU-seconds). That is safe
// here because no test mocks modules, fakes timers or spies (`vi.*` is unused), the few tests that
// set module or process state (installFileSystem, setDefaultSliceMs, NO_COLOR/TERM, synchronous
// index files) restore it, temporary directories are unique, and hooks are registered by the test
// files themselves (a shared helper module registering hooks would do so for the first file only).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once, before any file runs (the CLI tests and the packed package use it).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    isolate: false,
    // Both cores: the simulation's seed blocks and the package test would otherwise run one at a time.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { sequencer: LongFirstSequencer },
  },
});
