/**
 * The README's Tiers section documents the tiering defaults; this test keeps its table equal to
 * `TIERING_DEFAULTS` (and the compaction thresholds it quotes to `COMPACTION_DEFAULTS`).
 */

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPACTION_DEFAULTS } from '../../../../src/storage/compaction-plan.ts';
import { TIERING_DEFAULTS } from '../../../../src/storage/tiering/tiering-options.ts';

async function tiersSection(): Promise<string> {
  const readme = await readFile(resolve(import.meta.dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Tiers\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return readme.slice(start, end);
}

describe('README Tiers section', () => {
  it('lists exactly the tiering defaults the code uses', async () => {
    const rows = new Map<string, number>();
    for (const match of (await tiersSection()).matchAll(/^\| `(\w+)` \| (\d+) \|/gm)) {
      rows.set(match[1] as string, Number(match[2]));
    }
    expect(Object.fromEntries(rows)).toEqual({ ...TIERING_DEFAULTS });
  });

  it('quotes the compaction thresholds of COMPACTION_DEFAULTS', async () => {
    const section = await tiersSection();
    expect(section).toContain(
      `at least ${COMPACTION_DEFAULTS.deletedRatioMin * 100} % of their rows deleted`,
    );
    expect(COMPACTION_DEFAULTS.smallSegmentRatio).toBe(0.5);
    expect(section).toContain('fewer live rows than\nhalf of `segmentVectorsMax`');
  });
});
