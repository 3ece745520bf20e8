/**
 * The README's Store section documents defaults and limits; this test keeps those tables equal to
 * the code's `STORE_DEFAULTS`, `COLLECTION_DEFAULTS` and `LIMITS`, so the two cannot drift apart.
 */

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECTION_DEFAULTS } from '../../../src/storage/collection-spec.ts';
import { LIMITS } from '../../../src/storage/limits.ts';
import { STORE_DEFAULTS } from '../../../src/storage/store-options.ts';

async function storeSection(): Promise<string> {
  const readme = await readFile(resolve(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Store\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return readme.slice(start, end);
}

/** `| \`name\` | value ... |` rows: name → the first word of the value cell, backticks removed. */
function tableValues(section: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([\w.]+)` \| `?([\w.]+)`?[^|]*\|/gm)) {
    values.set(match[1] as string, match[2] as string);
  }
  return values;
}

describe('README Store section', () => {
  it('lists the store and collection defaults the code uses', async () => {
    const values = tableValues(await storeSection());
    expect(values.get('durability')).toBe(STORE_DEFAULTS.durability);
    expect(Number(values.get('segmentVectorsMax'))).toBe(STORE_DEFAULTS.segmentVectorsMax);
    expect(Number(values.get('bufferedFlushIntervalMs'))).toBe(STORE_DEFAULTS.bufferedFlushIntervalMs);
    expect(Number(values.get('walPendingBytesMax'))).toBe(STORE_DEFAULTS.walPendingBytesMax);
    expect(values.get('metric')).toBe(COLLECTION_DEFAULTS.metric);
    expect(Number(values.get('hnsw.m'))).toBe(COLLECTION_DEFAULTS.hnsw.m);
    expect(Number(values.get('hnsw.efConstruction'))).toBe(COLLECTION_DEFAULTS.hnsw.efConstruction);
    expect(Number(values.get('hnsw.efSearch'))).toBe(COLLECTION_DEFAULTS.hnsw.efSearch);
  });

  it('lists every documented limit with the value the code enforces', async () => {
    const values = tableValues(await storeSection());
    const documented = Object.keys(LIMITS).filter((name) => name !== 'segmentVectorsMaxLimit');
    for (const name of documented) {
      expect(Number(values.get(name)), name).toBe(LIMITS[name as keyof typeof LIMITS]);
    }
  });
});
