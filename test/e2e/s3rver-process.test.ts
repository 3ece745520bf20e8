import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../src/errors.ts';
import { S3ObjectStore } from '../../src/storage/object-store/s3.ts';
import { startS3rver } from '../../src/storage/object-store/s3rver-process.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('startS3rver', () => {
  it('serves its bucket on 127.0.0.1 and, on stop, ends the child and removes its directory', async () => {
    const server = await startS3rver({ bucket: 'launcher-test' });
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(isAlive(server.pid)).toBe(true);
    const store = new S3ObjectStore(server.s3Options);
    try {
      await store.put('hello', new TextEncoder().encode('world'));
      expect(new TextDecoder().decode(await store.get('hello'))).toBe('world');
    } finally {
      store.close();
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    expect(await exists(server.dir)).toBe(false);
    await server.stop(); // idempotent
  });

  it('keeps a directory the caller gave it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiervec-s3rver-kept-'));
    try {
      const server = await startS3rver({ dir });
      await server.stop();
      expect(await exists(dir)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad bucket name or port with INVALID_ARGUMENT before starting anything', async () => {
    for (const options of [{ bucket: 'UPPER' }, { port: 70_000 }, { startTimeoutMs: 0 }, { bukket: 'b' }]) {
      const error = await startS3rver(options).catch((e: unknown) => e);
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), JSON.stringify(options)).toBe(true);
    }
  });
});
