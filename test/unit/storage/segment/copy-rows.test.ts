import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../src/clock.ts';
import { ManualClock } from '../../../../src/clock.ts';
import { copyRows } from '../../../../src/storage/segment/copy-rows.ts';
import type { HnswBuildParams } from '../../../../src/storage/segment/hnsw-index.ts';
import { SegmentMemory } from '../../../../src/storage/segment/segment-memory.ts';
import { seededVector } from '../../../helpers/storage-fixtures.ts';

const PARAMS: HnswBuildParams = { metric: 'l2', dimension: 16, m: 8, efConstruction: 50, seed: 3 };
const ROWS = 200;

/** A clock that moves 1 ms at every reading, as if each unit of work took a millisecond. */
function steppingClock(): Clock {
  const base = new ManualClock();
  let nowMs = 0;
  return {
    now: () => ++nowMs,
    setTimeout: (callback, delayMs) => base.setTimeout(callback, delayMs),
    clearTimeout: (handle) => base.clearTimeout(handle),
    sleep: (delayMs, signal) => base.sleep(delayMs, signal),
  };
}

function source(): SegmentMemory {
  const memory = SegmentMemory.createEmpty(PARAMS, ROWS);
  for (let i = 0; i < ROWS; i++) {
    memory.append({ id: `d${i}`, vector: seededVector(i, 16), metadataJson: `{"i":${i}}`, bytes: 64 + 8 });
  }
  memory.freeze();
  return memory;
}

describe('copyRows', () => {
  it('lets other callbacks run while it builds, and builds the same segment as in one piece', async () => {
    const memory = source();
    const rows = Array.from({ length: ROWS }, (_, row) => ({ seq: 1, row })).filter(
      ({ row }) => row % 3 !== 0,
    );
    let ranDuringBuild = false;
    let building = true;
    setImmediate(() => {
      ranDuringBuild = building;
    });
    const sliced = await copyRows(PARAMS, [{ seq: 1, memory }], rows, steppingClock());
    building = false;
    const whole = await copyRows(PARAMS, [{ seq: 1, memory }], rows, new ManualClock());
    expect(ranDuringBuild).toBe(true);
    expect(sliced.columns.ids).toEqual(whole.columns.ids);
    expect(sliced.columns.vectors).toEqual(whole.columns.vectors);
    expect(sliced.columns.metadataJson).toEqual(rows.map(({ row }) => `{"i":${row}}`));
    for (let q = 0; q < 20; q++) {
      const query = Array.from(seededVector(1_000 + q, 16));
      expect(sliced.memory.annSearch(query, 5, 50)).toEqual(
        whole.memory.annSearch(query, 5, 50).map((hit) => ({ ...hit, memory: sliced.memory })),
      );
    }
  });
});
