import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildIndexFile } from '../../../../src/storage/segment/hnsw-build-thread.ts';
import { type HnswBuildParams, HnswIndex } from '../../../../src/storage/segment/hnsw-index.ts';
import { seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-hnsw-thread-');
const PARAMS: HnswBuildParams = { metric: 'l2', dimension: 16, m: 8, efConstruction: 50, seed: 5 };
const ROWS = 300;

describe('buildIndexFile', () => {
  it('writes the graph an in-process build makes (same parameters, seed and order)', async () => {
    const vectors = new Float32Array(ROWS * 16);
    const inProcess = HnswIndex.create(PARAMS, ROWS);
    for (let row = 0; row < ROWS; row++) {
      const vector = seededVector(row, 16);
      vectors.set(vector, row * 16);
      inProcess.add(vector, row);
    }
    const path = join(await temp.make(), 'x.hnsw');
    await buildIndexFile(PARAMS, vectors, ROWS, path);
    const built = await HnswIndex.read(path, 'l2', 16);
    expect(built.count).toBe(ROWS);
    for (let q = 0; q < 20; q++) {
      const query = Array.from(seededVector(10_000 + q, 16));
      expect(built.search(query, 5, 50)).toEqual(inProcess.search(query, 5, 50));
    }
  });

  it('rejects when the file cannot be written, and builds again afterwards', async () => {
    const vectors = new Float32Array(16).fill(1);
    await expect(buildIndexFile(PARAMS, vectors, 1, '/nonexistent-dir/x.hnsw')).rejects.toThrow(
      /worker thread/,
    );
    const path = join(await temp.make(), 'y.hnsw');
    await buildIndexFile(PARAMS, vectors, 1, path);
    expect((await HnswIndex.read(path, 'l2', 16)).count).toBe(1);
  });
});
