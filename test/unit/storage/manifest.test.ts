/**
 * A damaged manifest must never cost acknowledged writes (its `sealedLsn` decides which WAL records
 * are released) and must surface as CORRUPT_DATA, never as a raw hnswlib, Arrow or JSON error.
 */

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { LocalObjectStore } from '../../../src/object-store/local.ts';
import { openStore } from '../../../src/storage/store.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-manifest-');

/** A store with 3 sealed documents and 30 more acknowledged into the WAL only, closed. */
async function storeWithWalWrites(): Promise<{ dir: string; manifestPath: string; original: string }> {
  const dir = await temp.make();
  const store = await openStore({ dir });
  const docs = await store.createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
  for (let i = 0; i < 3; i++) await docs.insert([{ id: `s${i}`, vector: seededVector(i, 4) }]);
  await docs.flush();
  for (let i = 0; i < 30; i++) await docs.insert([{ id: `w${i}`, vector: seededVector(100 + i, 4) }]);
  await store.close();
  const manifestDir = join(dir, 'tenants', 'default', 'collections', 'docs', 'manifest');
  const names = (await readdir(manifestDir)).filter((name) => name.endsWith('.json')).sort();
  const manifestPath = join(manifestDir, names.at(-1) as string);
  return { dir, manifestPath, original: await readFile(manifestPath, 'utf8') };
}

async function expectAllDocuments(dir: string): Promise<void> {
  const store = await openStore({ dir });
  const docs = store.collection('docs');
  expect(docs.stats().vectors).toBe(33);
  for (let i = 0; i < 30; i++) expect((await docs.get(`w${i}`))?.id).toBe(`w${i}`);
  await store.close();
}

/** Rewrites one field of the manifest text as a legacy (version 1, CRC-less) manifest would hold it. */
function asLegacy(text: string, edit: (manifest: Record<string, unknown>) => void): string {
  const manifest = JSON.parse(text) as Record<string, unknown>;
  delete manifest.crc32;
  manifest.formatVersion = 1;
  edit(manifest);
  return JSON.stringify(manifest);
}

type Segment = { metric: string; dimension: number; seq: number; rows: number };
const segmentsOf = (manifest: Record<string, unknown>) => manifest.segments as Segment[];

describe('manifest damage', () => {
  it('does not drop acknowledged WAL writes when the manifest sealedLsn is damaged', async () => {
    const { dir, manifestPath, original } = await storeWithWalWrites();
    const sealedLsn = (JSON.parse(original) as { sealedLsn: number }).sealedLsn;
    const damaged = original.replace(`"sealedLsn":${sealedLsn}`, `"sealedLsn":${sealedLsn + 1}`);
    expect(damaged).not.toBe(original);
    await writeFile(manifestPath, damaged);
    await expectTierVecError(() => openStore({ dir }), ErrorCode.CORRUPT_DATA, 'CRC-32');
    // The refusal released nothing: with the manifest repaired, every acknowledged write is there.
    await writeFile(manifestPath, original);
    await expectAllDocuments(dir);
  });

  it.each([
    [
      'a segment metric changed',
      (m: Record<string, unknown>) => ((segmentsOf(m)[0] as Segment).metric = 'ip'),
      'metric',
    ],
    [
      'a segment dimension changed',
      (m: Record<string, unknown>) => ((segmentsOf(m)[0] as Segment).dimension = 5),
      'dimension',
    ],
    ['nextSegmentSeq lowered', (m: Record<string, unknown>) => (m.nextSegmentSeq = 1), 'nextSegmentSeq'],
    [
      'a negative row count',
      (m: Record<string, unknown>) => ((segmentsOf(m)[0] as Segment).rows = -1),
      'rows',
    ],
    ['sealedLsn not a number', (m: Record<string, unknown>) => (m.sealedLsn = '3'), 'sealedLsn'],
    ['segments not a list', (m: Record<string, unknown>) => (m.segments = {}), 'segments'],
  ])(
    'refuses a manifest with %s with CORRUPT_DATA naming the field, not a raw error',
    async (_, edit, field) => {
      const { dir, manifestPath, original } = await storeWithWalWrites();
      await writeFile(manifestPath, asLegacy(original, edit));
      const error = await expectTierVecError(() => openStore({ dir }), ErrorCode.CORRUPT_DATA, field);
      expect(error.message).toContain(manifestPath);
      await writeFile(manifestPath, original);
      await expectAllDocuments(dir);
    },
  );

  it('still reads a legacy manifest without a CRC (format version 1) and writes CRC-carrying ones after it', async () => {
    const { dir, manifestPath, original } = await storeWithWalWrites();
    await writeFile(
      manifestPath,
      asLegacy(original, () => undefined),
    );
    await expectAllDocuments(dir);
    const store = await openStore({ dir });
    await store.collection('docs').flush();
    await store.close();
    const manifestDir = join(manifestPath, '..');
    const newest = (await readdir(manifestDir))
      .filter((name) => name.endsWith('.json'))
      .sort()
      .at(-1) as string;
    const written = JSON.parse(await readFile(join(manifestDir, newest), 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ formatVersion: 2, crc32: expect.any(Number) });
  });

  it('refuses to import a collection whose published manifest object is damaged with CORRUPT_DATA', async () => {
    const objectStore = new LocalObjectStore({ dir: await temp.make() });
    const store = await openStore({ dir: await temp.make(), objectStore });
    const docs = await store.createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
    for (let i = 0; i < 5; i++) await docs.insert([{ id: `s${i}`, vector: seededVector(i, 4) }]);
    await docs.flush();
    const { version } = (await docs.publish()) as { version: number };
    await store.close();
    const key = `tenants/default/collections/docs/manifest/${String(version).padStart(20, '0')}.json`;
    const original = Buffer.from(await objectStore.get(key)).toString('utf8');
    const sealedLsn = (JSON.parse(original) as { sealedLsn: number }).sealedLsn;
    await objectStore.delete(key);
    await objectStore.put(
      key,
      Buffer.from(original.replace(`"sealedLsn":${sealedLsn}`, `"sealedLsn":${sealedLsn + 1}`)),
    );
    const fresh = join(await temp.make(), 'new');
    await expectTierVecError(() => openStore({ dir: fresh, objectStore }), ErrorCode.CORRUPT_DATA, 'CRC-32');
  });
});
