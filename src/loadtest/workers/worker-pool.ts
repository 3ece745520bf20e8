/**
 * Load workers: runs one job in N child processes, worker i offering execution segment i/N of the
 * arrivals, and merges their reports into one (histograms and timelines added exactly, criteria
 * judged once on the merged figures). The workers set up their targets in parallel, then start their
 * clocks at one common wall-clock time so that their timelines line up. Their progress is merged
 * interval by interval for the caller's console and live views. When one worker stops early (fail
 * fast) or the caller's signal fires, every other worker is told to stop, and the partial reports
 * still merge. A worker that dies or fails breaks the whole run (every other worker is stopped and
 * killed). It owns the child processes it starts and never leaves one running.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import { randomSeed } from '../../random.ts';
import { mergeReports } from '../report/merge.ts';
import type { LoadTestReport } from '../report/schema.ts';
import type { LoadTestProgress } from '../run-session.ts';
import { type ExecutionSegment, formatSegment } from './execution-segment.ts';
import type { FromWorker, ToWorker, WorkerJob } from './worker-job.ts';
import { ProgressMerger } from './worker-progress.ts';

/** The most worker processes one run may start. */
export const WORKERS_MAX = 64;
/** How far ahead of the last `ready` the common start is set, plus this much per worker. */
const START_DELAY_MS = 100;
const START_DELAY_PER_WORKER_MS = 20;
/** How long a told-to-stop worker gets after its grace period before it is killed. */
const STOP_KILL_AFTER_MS = 30_000;

export interface RunWorkersOptions {
  workers: number;
  signal?: AbortSignal;
  /** The merged progress of every worker, once per interval. */
  onProgress?: (progress: LoadTestProgress) => void;
  /** Console lines of the workers, each prefixed with its segment. */
  onEvent?: (message: string) => void;
}

/** Throws INVALID_ARGUMENT unless `workers` is an integer from 1 to WORKERS_MAX. */
export function checkWorkers(workers: unknown, field = '--workers'): number {
  if (!Number.isInteger(workers) || (workers as number) < 1 || (workers as number) > WORKERS_MAX) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`${field}\` to be an integer from 1 to ${WORKERS_MAX} (this machine has ${os.availableParallelism()} cores), got ${describeValue(workers)}`,
    );
  }
  return workers as number;
}

/** The job with its seed fixed, so that every worker draws the same arrival stream. */
export function withFixedSeed(job: WorkerJob): WorkerJob {
  if (job.kind === 'config')
    return { ...job, config: { ...job.config, seed: job.config.seed ?? randomSeed() } };
  return { ...job, overrides: { ...job.overrides, seed: job.overrides.seed ?? randomSeed() } };
}

/** The worker program and the flags Node needs to run it (the tsx loader when running from sources). */
function workerProgram(): { entry: URL; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './worker-entry.ts' : './worker-entry.js', import.meta.url);
  if (!fromSources) return { entry, execArgv: [] };
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { entry, execArgv: ['--import', loader] };
}

interface Worker {
  readonly segment: ExecutionSegment;
  readonly child: ChildProcess;
  report?: LoadTestReport;
  failure?: { message: string; code?: string };
  stderrTail: string;
}

/** Runs `job` in `options.workers` processes and returns the merged report. */
export async function runWorkers(job: WorkerJob, options: RunWorkersOptions): Promise<LoadTestReport> {
  const count = checkWorkers(options.workers, 'options.workers');
  const fixed = withFixedSeed(job);
  const signal = options.signal ?? new AbortController().signal;
  const program = workerProgram();
  const workers: Worker[] = [];
  for (let index = 0; index < count; index++) workers.push(startWorker(program, { index, count }));
  let merger: ProgressMerger | undefined;
  const stopAll = () => {
    merger?.stopping();
    for (const w of workers) tell(w, { type: 'stop' });
  };
  signal.addEventListener('abort', stopAll, { once: true });
  merger = new ProgressMerger(count, options.onProgress, (elapsedS) => {
    // A worker stopped its arrivals before the end: its run stopped itself, so the whole run stops.
    options.onEvent?.(`a worker stopped early at ${elapsedS.toFixed(1)} s: stopping every worker`);
    stopAll();
  });
  try {
    const progress = merger;
    const ready = workers.map((w, i) => watchWorker(w, fixed, progress, i, options.onEvent));
    await Promise.all(ready.map((r) => r.ready));
    const atEpochMs = Date.now() + START_DELAY_MS + START_DELAY_PER_WORKER_MS * count;
    for (const w of workers) tell(w, { type: 'start', atEpochMs });
    await Promise.all(ready.map((r) => r.done));
  } catch (error) {
    stopAll();
    await killAll(workers, STOP_KILL_AFTER_MS);
    throw error;
  } finally {
    signal.removeEventListener('abort', stopAll);
  }
  return mergeReports(workers.map((w) => w.report as LoadTestReport));
}

function startWorker(program: { entry: URL; execArgv: string[] }, segment: ExecutionSegment): Worker {
  const child = fork(program.entry, [], {
    execArgv: program.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const worker: Worker = { segment, child, stderrTail: '' };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    worker.stderrTail = (worker.stderrTail + chunk).slice(-2_000);
  });
  return worker;
}

function tell(worker: Worker, message: ToWorker): void {
  if (worker.child.connected) worker.child.send(message, (error) => void error);
}

/** Resolves `ready` when the worker's target is set up and `done` when its report is in; rejects when it breaks. */
function watchWorker(
  worker: Worker,
  job: WorkerJob,
  merger: ProgressMerger,
  slot: number,
  onEvent: ((message: string) => void) | undefined,
): { ready: Promise<void>; done: Promise<void> } {
  const name = `worker ${formatSegment(worker.segment)}`;
  let markReady: () => void = () => {};
  let failReady: (error: unknown) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const done = new Promise<void>((resolve, reject) => {
    worker.child.on('message', (message: FromWorker) => {
      if (message.type === 'ready') markReady();
      else if (message.type === 'progress') merger.add(slot, message.progress);
      else if (message.type === 'event') onEvent?.(`[${name}] ${message.message}`);
      else if (message.type === 'report') {
        worker.report = message.report;
        merger.finish(slot);
      } else if (message.type === 'failed') {
        worker.failure = {
          message: message.message,
          ...(message.code === undefined ? {} : { code: message.code }),
        };
      }
    });
    worker.child.on('error', (error) => {
      worker.failure ??= { message: error.message };
    });
    worker.child.on('exit', (code, exitSignal) => {
      merger.finish(slot);
      if (worker.report !== undefined) {
        resolve();
        return;
      }
      const why = worker.failure?.message ?? `exited with ${exitSignal ?? `code ${code}`}`;
      const tail = worker.stderrTail.trim().split('\n').slice(-5).join('\n');
      // The worker's own error code when it sent one (a scenario error stays a usage error, exit 2).
      const errorCode = (worker.failure?.code ?? ErrorCode.ABORTED) as ErrorCode;
      const error = new TierVecError(
        errorCode,
        `Load ${name} failed: ${why}${tail.length > 0 && worker.failure === undefined ? `\n${tail}` : ''}`,
      );
      failReady(error);
      reject(error);
    });
  });
  // A worker that breaks before it is ready must not leave `done` rejected without a listener.
  done.catch(() => {});
  tell(worker, { type: 'job', job, segment: worker.segment });
  return { ready, done };
}

/** Waits up to `afterMs` for every worker to exit, then kills those still running. */
async function killAll(workers: readonly Worker[], afterMs: number): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) {
            resolve();
            return;
          }
          const timer = setTimeout(() => w.child.kill('SIGKILL'), afterMs);
          w.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
}
