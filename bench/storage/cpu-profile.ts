/**
 * Profiles one phase of a benchmark with the inspector's CPU profiler and writes a `.cpuprofile`
 * (open it in Chrome DevTools or speedscope). Benchmarks call it around the phase an environment
 * variable names; it never changes what is measured when the variable is unset.
 */

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Runs `phase`, profiled into `path` when `path` is set. */
export async function profiled<T>(path: string | undefined, phase: () => Promise<T>): Promise<T> {
  if (path === undefined || path === '') return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(path, JSON.stringify(profile));
    session.disconnect();
  }
}
