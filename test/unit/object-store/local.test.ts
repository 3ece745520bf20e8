import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { fromFsError } from '../../../src/object-store/fs-error-mapping.ts';
import { LocalObjectStore } from '../../../src/object-store/local.ts';
import { isObjectStoreError } from '../../../src/object-store/object-store-error.ts';
import { describeObjectStoreContract } from '../../helpers/object-store-contract.ts';

const encoder = new TextEncoder();
let parent: string;
let counter = 0;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'tiervec-local-store-'));
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(parent, `store-${++counter}`);
  await mkdir(dir);
  return dir;
}

/** Every path under `dir`, relative to it, without following links (iterative walk). */
async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      found.push(relative(dir, path));
      if (entry.isDirectory()) pending.push(path);
    }
  }
  return found.sort();
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describeObjectStoreContract(
  'LocalObjectStore',
  async () => ({ store: new LocalObjectStore({ dir: await freshDir() }) }),
  { largeBodyBytes: 3 * 1024 * 1024 },
);

describe('LocalObjectStore path safety', () => {
  const hostile: [string, string][] = [
    ['empty', ''],
    ['absolute', '/etc/passwd'],
    ['parent segment', '../escape'],
    ['parent segment inside', 'a/../../escape'],
    ['parent segment at the end', 'a/..'],
    ['dot segment', 'a/./b'],
    ['lone dot', '.'],
    ['backslash', 'a\\..\\..\\escape'],
    ['NUL', 'a\u0000b'],
    ['control character', 'a\nb'],
    ['DEL', 'a\u007fb'],
    ['double slash', 'a//b'],
    ['trailing slash', 'a/b/'],
    ['leading slash only', '/'],
    ['longer than 1024 bytes', 'k'.repeat(1025)],
    ['1024 bytes only by UTF-8 length', 'é'.repeat(513)],
    ['segment longer than 255 bytes', `a/${'s'.repeat(256)}`],
    ['reserved temp name', 'a/.tiervec-tmp-0011223344556677'],
    ['lone surrogate', 'a\ud800b'],
  ];

  it.each(hostile)('rejects a key with %s with INVALID_KEY on every operation', async (_, key) => {
    const dir = await freshDir();
    const store = new LocalObjectStore({ dir });
    const attempts = [
      store.put(key, encoder.encode('x')),
      store.put(key, encoder.encode('x'), { ifNoneMatch: '*' }),
      store.get(key),
      store.head(key),
      store.delete(key),
    ];
    for (const attempt of attempts) {
      const error = await errorOf(attempt);
      expect(isTierVecError(error, ErrorCode.INVALID_KEY), JSON.stringify(key)).toBe(true);
    }
  });

  it('writes nothing outside its root for any hostile key, and only the valid keys inside it', async () => {
    const dir = await freshDir();
    const store = new LocalObjectStore({ dir });
    const before = await walk(parent);
    for (const [, key] of hostile) await store.put(key, encoder.encode('x')).catch(() => undefined);
    await store.put('ok/key', encoder.encode('x'));
    const after = await walk(parent);
    const outside = after.filter((path) => !before.includes(path) && !path.startsWith(relative(parent, dir)));
    expect(outside).toEqual([]);
    expect(await walk(dir)).toEqual(['ok', 'ok/key']);
  });

  it('rejects list prefixes that could escape with INVALID_KEY', () => {
    const store = new LocalObjectStore({ dir: join(parent, 'unused') });
    for (const prefix of ['/etc', '../', 'a/../', 'a\\b', 'a\u0000']) {
      let error: unknown;
      try {
        store.list(prefix);
      } catch (e) {
        error = e;
      }
      expect(isTierVecError(error, ErrorCode.INVALID_KEY), prefix).toBe(true);
    }
  });

  it('never follows a symbolic link in a key’s directory chain', async () => {
    const dir = await freshDir();
    const outside = await freshDir();
    await writeFile(join(outside, 'secret'), 'do not read');
    await symlink(outside, join(dir, 'link'));
    const store = new LocalObjectStore({ dir });
    const readError = await errorOf(store.get('link/secret'));
    expect(isObjectStoreError(readError, 'NoSuchKey')).toBe(true);
    expect(await store.head('link/secret')).toBeUndefined();
    const writeError = await errorOf(store.put('link/new', encoder.encode('x')));
    expect(isObjectStoreError(writeError, 'AccessDenied')).toBe(true);
    await store.delete('link/secret');
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('do not read');
    expect(await readdir(outside)).toEqual(['secret']);
    const listed: string[] = [];
    for await (const key of store.list('')) listed.push(key);
    expect(listed).toEqual([]);
  });

  it('creates no directory outside its root when a put goes through a symlinked prefix', async () => {
    const dir = await freshDir();
    const outside = await freshDir();
    await symlink(outside, join(dir, 'link'));
    const store = new LocalObjectStore({ dir });
    const writeError = await errorOf(store.put('link/deep/er/new', encoder.encode('x')));
    expect(isObjectStoreError(writeError, 'AccessDenied')).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });

  it('never follows a symbolic link at the key itself', async () => {
    const dir = await freshDir();
    const outside = await freshDir();
    await writeFile(join(outside, 'secret'), 'do not read');
    await symlink(join(outside, 'secret'), join(dir, 'key'));
    const store = new LocalObjectStore({ dir });
    expect(isObjectStoreError(await errorOf(store.get('key')), 'NoSuchKey')).toBe(true);
    expect(await store.head('key')).toBeUndefined();
    // A put replaces the link itself (rename does not follow it); the outside file is untouched.
    await store.put('key', encoder.encode('mine'));
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('do not read');
    expect((await lstat(join(dir, 'key'))).isFile()).toBe(true);
  });
});

describe('LocalObjectStore files', () => {
  it('leaves no temporary file behind after puts, overwrites and lost conditional puts', async () => {
    const dir = await freshDir();
    const store = new LocalObjectStore({ dir });
    await store.put('m/1', encoder.encode('a'));
    await store.put('m/1', encoder.encode('b'));
    await store.put('m/1', encoder.encode('c'), { ifNoneMatch: '*' }).catch(() => undefined);
    await Promise.allSettled(
      [1, 2, 3].map((i) => store.put('m/2', encoder.encode(`${i}`), { ifNoneMatch: '*' })),
    );
    expect(await walk(dir)).toEqual(['m', 'm/1', 'm/2']);
  });

  it('skips stray temporary files, links and foreign names when listing', async () => {
    const dir = await freshDir();
    const store = new LocalObjectStore({ dir });
    await store.put('a/k', encoder.encode('x'));
    await writeFile(join(dir, 'a', '.tiervec-tmp-deadbeefdeadbeef'), 'partial');
    await writeFile(join(dir, 'a', 'back\\slash'), 'foreign');
    await symlink(join(dir, 'a', 'k'), join(dir, 'a', 'link'));
    const listed: string[] = [];
    for await (const key of store.list('')) listed.push(key);
    expect(listed).toEqual(['a/k']);
  });

  it('refuses to hold an object and a prefix of the same name with InvalidRequest', async () => {
    const store = new LocalObjectStore({ dir: await freshDir() });
    await store.put('a', encoder.encode('object'));
    const error = await errorOf(store.put('a/b', encoder.encode('under')));
    expect(isObjectStoreError(error, 'InvalidRequest')).toBe(true);
    await store.put('c/d', encoder.encode('under'));
    expect(isObjectStoreError(await errorOf(store.put('c', encoder.encode('x'))), 'InvalidRequest')).toBe(
      true,
    );
    expect(
      isObjectStoreError(
        await errorOf(store.put('c', encoder.encode('x'), { ifNoneMatch: '*' })),
        'InvalidRequest',
      ),
    ).toBe(true);
    expect(await store.head('c')).toBeUndefined();
    await store.delete('c');
    expect(new TextDecoder().decode(await store.get('c/d'))).toBe('under');
  });

  it('stores the object at the key’s path and uses the MD5 of the body as etag', async () => {
    const dir = await freshDir();
    const store = new LocalObjectStore({ dir });
    const { etag } = await store.put('x/y.bin', encoder.encode('hello'));
    expect(await readFile(join(dir, 'x', 'y.bin'), 'utf8')).toBe('hello');
    expect(etag).toBe('5d41402abc4b2a76b9719d911017c592');
  });

  it('rejects a missing or empty dir with INVALID_ARGUMENT', () => {
    for (const dir of ['', undefined, 42]) {
      let error: unknown;
      try {
        new LocalObjectStore({ dir } as unknown as { dir: string });
      } catch (e) {
        error = e;
      }
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    }
  });

  // Permission errors cannot be provoked portably (root ignores file modes), so the mapping is
  // checked directly with the errno codes the file system reports.
  it.each([
    ['ENOENT', 'NoSuchKey', 404, false],
    ['ENOTDIR', 'NoSuchKey', 404, false],
    ['EACCES', 'AccessDenied', 403, false],
    ['EPERM', 'AccessDenied', 403, false],
    ['ENAMETOOLONG', 'InvalidRequest', 400, false],
    ['ENOSPC', 'InternalError', 500, true],
    ['EIO', 'InternalError', 500, true],
    ['EMFILE', 'InternalError', 500, true],
  ])('maps the file-system error %s to %s (%i, retryable %s)', (errno, code, status, retryable) => {
    const cause = Object.assign(new Error(`${errno}: failed`), { code: errno });
    const error = fromFsError(cause, 'put', 'k');
    expect(error).toMatchObject({ code, status, retryable, operation: 'put', key: 'k', cause });
  });
});
