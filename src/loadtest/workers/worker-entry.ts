/**
 * The program a load worker process runs (started by `worker-pool.ts` with an IPC channel): it
 * receives one job and its execution segment, builds its own target, sets it up, says `ready`, waits
 * for the common start time, runs its segment while sending progress, and sends its report (or why
 * it failed) before exiting. A `stop` message, SIGINT/SIGTERM or the coordinator going away end the
 * arrivals early; the partial report is still sent when the channel is there. It never judges the
 * whole run: that is the coordinator's merge.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { describeValue, ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import type { LoadTarget } from '../load-target.ts';
import type { LoadTestReport } from '../report/schema.ts';
import { type RunLoadTestOptions, runLoadTest } from '../run.ts';
import { createNoopTarget } from '../targets/noop.ts';
import type { ExecutionSegment } from './execution-segment.ts';
import type { FromWorker, ToWorker, WorkerJob, WorkerTarget } from './worker-job.ts';

const send = (message: FromWorker): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });

async function buildTarget(spec: WorkerTarget): Promise<LoadTarget> {
  if (spec.kind === 'noop') return createNoopTarget(spec.operations === undefined ? {} : spec);
  const module = (await import(spec.module)) as Record<string, unknown>;
  const factory = module[spec.exportName];
  if (typeof factory !== 'function') {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected module ${spec.module} to export a target factory \`${spec.exportName}\`, got ${describeValue(factory)}`,
    );
  }
  return (await factory(spec.options)) as LoadTarget;
}

async function runJob(
  job: WorkerJob,
  segment: ExecutionSegment,
  run: Pick<RunLoadTestOptions, 'signal' | 'onProgress' | 'startGate'>,
): Promise<LoadTestReport> {
  const options = { ...run, segment };
  if (job.kind === 'config') {
    return runLoadTest(job.config, { ...options, target: await buildTarget(job.target) });
  }
  // The scenario modules bring the whole store: a worker of a plain configuration does not load them.
  const { loadScenario } = await import('../scenario/load-scenario.ts');
  const { runScenario } = await import('../scenario/run-scenario.ts');
  const scenario = await loadScenario(job.nameOrPath, { mode: job.mode, overrides: job.overrides });
  return runScenario(scenario, {
    ...options,
    onEvent: (message) => void send({ type: 'event', message }),
    ...(job.dataDir === undefined ? {} : { dataDir: job.dataDir }),
    ...(job.keepData === undefined ? {} : { keepData: job.keepData }),
  });
}

function nextMessage(type: ToWorker['type']): Promise<ToWorker> {
  return new Promise((resolve) => {
    const listener = (message: ToWorker) => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve(message);
    };
    process.on('message', listener);
  });
}

async function main(): Promise<void> {
  const stop = new AbortController();
  const stopNow = () => stop.abort(new Error('the load workers were told to stop'));
  process.on('SIGINT', stopNow);
  process.on('SIGTERM', stopNow);
  process.on('disconnect', stopNow);
  process.on('message', (message: ToWorker) => {
    if (message.type === 'stop') stopNow();
  });
  const first = (await nextMessage('job')) as Extract<ToWorker, { type: 'job' }>;
  const startGate = async () => {
    const started = nextMessage('start');
    await send({ type: 'ready' });
    const { atEpochMs } = (await Promise.race([
      started,
      new Promise<never>((_, reject) =>
        stop.signal.addEventListener('abort', () => reject(stop.signal.reason)),
      ),
    ])) as Extract<ToWorker, { type: 'start' }>;
    const waitMs = atEpochMs - (performance.timeOrigin + performance.now());
    if (waitMs > 0) await sleep(waitMs, undefined, { signal: stop.signal });
  };
  try {
    const report = await runJob(first.job, first.segment, {
      signal: stop.signal,
      startGate,
      onProgress: (progress) => void send({ type: 'progress', progress }),
    });
    await send({ type: 'report', report });
    process.exitCode = 0;
  } catch (error) {
    const code = isTierVecError(error) ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    await send({ type: 'failed', message, ...(code === undefined ? {} : { code }) });
    process.exitCode = 3;
  }
  // Leftover handles (a socket pool, a timer) must not keep a finished worker alive.
  process.disconnect?.();
  setImmediate(() => process.exit());
}

await main();
