/**
 * The world one seed runs in: a `ManualClock`, the shared `MockS3ObjectStore` (latency and faults on
 * that clock), a crash switch, the crashable file system on a temporary directory, and the current
 * store process. It opens the store, drives the clock while an operation waits, and crashes and
 * recovers the process (from its local directory, or from the object store alone on a new one).
 *
 * Determinism: the file system runs one call at a time and the clock only moves when no file call
 * is running, jumping to the next timer, so the same seed gives the same interleaving. The world
 * never judges results (the checker does) and never leaves its temporary directories behind.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, yieldToEventLoop } from '../clock.ts';
import { MockS3ObjectStore } from '../object-store/testing/mock-s3.ts';
import { Rng } from '../random.ts';
import { installFileSystem } from '../storage/file-system.ts';
import { setSynchronousIndexFiles } from '../storage/segment/hnsw-index.ts';
import { openStore, type Store } from '../storage/store.ts';
import { type BitRot, maybeRotManifest } from './bit-rot.ts';
import { CrashSwitch, isSimulatedCrash } from './crash-switch.ts';
import { CrashableFileSystem } from './crashable-file-system.ts';
import type { History } from './history.ts';
import { ProcessClock } from './process-clock.ts';
import { ProcessObjectStore } from './process-object-store.ts';
import type { SimulationConfig } from './simulation-config.ts';

/** Clock jumps a waiting operation may take before the run is declared stuck (a liveness failure). */
export const DRIVE_STEPS_MAX = 5_000;
/** Real time an operation with no timer left may take on I/O outside the seam before it is stuck. */
export const REAL_WAIT_MS_MAX = 5_000;
const REAL_SPINS_MAX = 0;

/**
 * Where the runs' directories go: a RAM file system when there is one (the simulation models
 * durability itself, so real fsyncs, including the dead-letter queue's, only cost time).
 */
export function scratchDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** Whether any file-system request of this process is in flight (seam or not). */
function fileRequestsPending(): boolean {
  return process.getActiveResourcesInfo().some((name) => name.startsWith('FSReq') || name === 'CloseReq');
}

export type Driven<T> =
  | { state: 'ok'; value: T }
  | { state: 'error'; error: unknown }
  | { state: 'crashed' }
  | { state: 'stuck' };

export class SimulatedWorld {
  readonly config: SimulationConfig;
  readonly clock = new ManualClock();
  readonly rng: Rng;
  readonly crashSwitch = new CrashSwitch();
  readonly mock: MockS3ObjectStore;
  readonly fs: CrashableFileSystem;
  readonly warnings: string[] = [];
  /** Times an operation waited on real time for I/O outside the seam (a figure for tuning). */
  realWaits = 0;
  realWaitMs = 0;
  /** Clock jumps made while operations waited (a figure for tuning). */
  clockSteps = 0;
  readonly #dirs: string[];
  /** Its own stream, so the bit-rot fault leaves every other choice of a seed as it was. */
  readonly #rotRng: Rng;
  /** The damage the last recovery found on disk (bit rot), if any. */
  lastRot: BitRot | undefined;
  #client: ProcessObjectStore;
  #processClock: ProcessClock;
  #uninstall: () => void;
  store: Store | undefined;

  private constructor(config: SimulationConfig, dir: string) {
    this.config = config;
    this.rng = new Rng(config.seed).fork('world');
    this.mock = new MockS3ObjectStore({
      seed: config.seed,
      clock: this.clock,
      latency: config.latency,
      failures: config.failures,
      rateLimit: false,
    });
    this.fs = new CrashableFileSystem(dir, this.crashSwitch, this.rng.fork('fs'));
    this.#rotRng = new Rng(config.seed).fork('bit-rot');
    this.#dirs = [dir];
    this.#client = new ProcessObjectStore(this.mock, this.crashSwitch);
    this.#processClock = new ProcessClock(this.clock);
    const uninstallFs = installFileSystem(this.fs);
    const hnswWasSynchronous = setSynchronousIndexFiles(true);
    this.#uninstall = () => {
      uninstallFs();
      setSynchronousIndexFiles(hnswWasSynchronous);
    };
  }

  static async create(config: SimulationConfig): Promise<SimulatedWorld> {
    const dir = await mkdtemp(join(scratchDir(), `tiervec-sim-${config.seed}-`));
    return new SimulatedWorld(config, dir);
  }

  /** Opens a store process on the file system's current directory. */
  async open(): Promise<Driven<Store>> {
    this.#client = new ProcessObjectStore(this.mock, this.crashSwitch);
    this.#processClock = new ProcessClock(this.clock);
    const opened = await this.drive(
      openStore({
        dir: this.fs.root,
        objectStore: this.#client,
        clock: this.#processClock,
        durability: this.config.durability,
        segmentVectorsMax: this.config.segmentVectorsMax,
        bufferedFlushIntervalMs: 50,
        tiering: { publishRetryMs: 200, hotIdleMs: 400, warmIdleMs: 800 },
        uploads: {
          deadLettersMax: this.config.deadLettersMax,
          retry: { attemptsMax: 3, delayMsBase: 5, delayMsMax: 40 },
          circuitBreaker: { failuresMax: 4, cooldownMs: 150 },
          attemptTimeoutMs: 1_000,
          seed: this.config.seed,
        },
        onWarning: (warning) => {
          this.warnings.push(`${warning.code}: ${warning.message}`);
        },
      }),
    );
    this.store = opened.state === 'ok' ? opened.value : undefined;
    return opened;
  }

  /**
   * The crash: the process dies where it stands (no close), the file system loses what was not
   * durable, and a new process opens the directory (`local`, where bit rot may have damaged a
   * manifest meanwhile: bit-rot.ts) or a new empty one (`object-store`).
   */
  async crash(history: History, source: 'local' | 'object-store'): Promise<Driven<Store>> {
    this.crashSwitch.crashNow('the simulation');
    history.nemesis('crash', { where: this.crashSwitch.where ?? 'unknown' });
    this.#client.kill();
    this.#processClock.kill();
    this.store = undefined;
    const local = await this.fs.crash();
    if (!this.#dirs.includes(local)) this.#dirs.push(local);
    this.lastRot = source === 'local' ? maybeRotManifest(local, this.#rotRng) : undefined;
    if (this.lastRot !== undefined) history.nemesis('bit-rot', { ...this.lastRot });
    if (source === 'object-store') {
      const fresh = await mkdtemp(join(scratchDir(), `tiervec-sim-${this.config.seed}-`));
      this.#dirs.push(fresh);
      await this.fs.useRoot(fresh);
    }
    history.nemesis('recover', { source });
    return this.open();
  }

  /**
   * Waits for `promise` while moving the clock: file calls finish first, then the clock jumps to
   * the next timer. Ends early when the process crashes; `stuck` when nothing is left to wait for.
   */
  async drive<T>(promise: Promise<T>): Promise<Driven<T>> {
    let outcome: Driven<T> | undefined;
    promise.then(
      (value) => {
        outcome = { state: 'ok', value };
      },
      (error: unknown) => {
        outcome = { state: 'error', error };
      },
    );
    for (let step = 0; step < DRIVE_STEPS_MAX; step++) {
      await this.quiesce();
      if (outcome !== undefined) return outcome;
      if (this.crashSwitch.crashed) return { state: 'crashed' };
      const due = this.clock.nextDueMs();
      if (due === undefined) {
        // No timer left: only I/O outside the seam (the dead-letter queue's files) can still
        // finish it; give that real time before calling the run stuck.
        if (await this.#waitReal(() => outcome !== undefined || this.clock.nextDueMs() !== undefined))
          continue;
        return { state: 'stuck' };
      }
      this.clockSteps++;
      await this.clock.advance(Math.max(0, due - this.clock.now()));
    }
    return { state: 'stuck' };
  }

  /** Polls `done` on real time for up to `REAL_WAIT_MS_MAX`; true when it became true. */
  async #waitReal(done: () => boolean): Promise<boolean> {
    this.realWaits++;
    const began = performance.now();
    const deadline = began + REAL_WAIT_MS_MAX;
    try {
      return await this.#pollReal(done, deadline);
    } finally {
      this.realWaitMs += performance.now() - began;
    }
  }

  async #pollReal(done: () => boolean, deadline: number): Promise<boolean> {
    for (let poll = 0; performance.now() < deadline; poll++) {
      // Spin on the event loop first (I/O callbacks run between turns); then back off to 1 ms sleeps.
      await (poll < REAL_SPINS_MAX ? yieldToEventLoop() : new Promise((resolve) => setTimeout(resolve, 1)));
      if (done()) return true;
    }
    return false;
  }

  /** Runs the event loop until no file call is running or queued for a few turns in a row. */
  async quiesce(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await yieldToEventLoop();
      if (fileRequestsPending()) {
        // I/O outside the seam (the dead-letter queue's files) is running: time must not move yet.
        await new Promise((resolve) => setTimeout(resolve, 0));
        quiet = 0;
      } else {
        quiet++;
      }
    }
  }

  /** Closes the store if one is open (errors of a crashed process are expected) and removes the dirs. */
  async dispose(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    if (store !== undefined) {
      const closed = await this.drive(store.close());
      if (closed.state === 'error' && !isSimulatedCrash(closed.error))
        this.warnings.push(String(closed.error));
    }
    this.#uninstall();
    for (const dir of this.#dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
