/**
 * Defects of issue 13 that the simulation finds while they are still open on this branch, each with
 * the exact signature of its findings. A seed whose findings match one is reported, not failed, by
 * the seed blocks; the regression tests pin each with `it.fails`. When a defect is fixed, remove it
 * here: its seeds then pass, and its `it.fails` regression test fails until it becomes a plain `it`.
 */

import type { SimulationResult } from '../../src/simulation/simulation-run.ts';

export const DEFECT_5 =
  "defect 5: in 'object-store' durability a rejected write is visible (and a rejected delete takes effect)";

export const MISSING_TOMBSTONE_FILE =
  "in 'object-store' durability, after crashes and a recovery from the object store, a later open fails (CORRUPT_DATA): a tombstone file the manifest names is missing or damaged on local disk";

export const BUFFERED_FLUSHED_LOST =
  "undiagnosed: in 'buffered' durability, after crashes, documents an acknowledged flush had sealed are missing";

interface KnownDefect {
  name: string;
  matches(result: SimulationResult): boolean;
}

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    name: MISSING_TOMBSTONE_FILE,
    matches: (result) =>
      result.problems.length === 1 &&
      /open failed .*Tombstone file \S+ is missing or does not match its size and CRC-32/.test(
        result.problems[0] ?? '',
      ),
  },
  {
    name: BUFFERED_FLUSHED_LOST,
    matches: (result) =>
      result.config.durability === 'buffered' &&
      result.problems.length === 0 &&
      result.check.violations.every((v) => v.kind === 'lost-write' || v.kind === 'search-disagrees-with-get'),
  },
];

export function knownDefectOf(result: SimulationResult): string | undefined {
  return KNOWN_DEFECTS.find((defect) => defect.matches(result))?.name;
}
