/**
 * An ObjectStore in a local directory that behaves like a bucket: the default cold tier of
 * `openStore`, so tiervec runs with no setup. The object at key `a/b/c` is the file `dir/a/b/c`.
 *
 * What it guarantees:
 * - A put is atomic and durable when it resolves: the body goes to a temporary file in the target's
 *   directory, is fsynced, is published under its name in one step, and the directory is fsynced.
 *   A reader sees the old object or the new one, never a torn one, even across a crash.
 * - A compare-and-swap put (`ifMatch: etag`) checks the etag and renames under a per-key lock file
 *   (local-key-lock.ts), so two processes sharing the directory never both replace the same object.
 * - A conditional put (`ifNoneMatch: '*'`) publishes with `link(2)`, which fails if the name exists,
 *   so of two concurrent conditional puts exactly one wins. `O_EXCL` on the final name would be just
 *   as exclusive, but it creates the name first and fills it afterwards: a crash or a concurrent
 *   reader in between would see an empty or partial object. `link` publishes a complete, fsynced file.
 * - No key reaches a file outside `dir`: keys follow `object-key.ts` (no absolute paths, no `..`, no
 *   backslashes, no control characters), and symbolic links are never followed: a link in a key's
 *   directory chain or at the key itself is treated as "no object" for reads and refused for writes.
 *
 * The etag is the MD5 of the body, as S3 gives for single-part objects; it is not stored beside the
 * object, so `head` reads and hashes the file (in 1 MiB chunks, never the whole file in memory).
 *
 * What it does not do: hold an object at `a` and objects under `a/` at the same time (`a` cannot be
 * both a file and a directory; S3 allows it, tiervec's own layout never needs it), so such a put
 * fails with `InvalidRequest`. Empty directories left by deletes are not pruned (pruning would race
 * with concurrent puts into them); listings skip them. Temporary files of a writer that crashed stay
 * behind, invisible to `list`, named with the reserved `.tiervec-tmp-` prefix.
 */

import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { constants } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  unlink,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { abortError, describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { errnoOf, fromFsError } from './fs-error-mapping.ts';
import { lockLocalKey } from './local-key-lock.ts';
import { md5Etag } from './md5-etag.ts';
import { compareKeys, RESERVED_SEGMENT_PREFIX, validateKey, validatePrefix } from './object-key.ts';
import type {
  ObjectHead,
  ObjectStore,
  ObjectStoreOperation,
  PutOptions,
  RequestOptions,
} from './object-store.ts';
import { ObjectStoreError } from './object-store-error.ts';
import { checkPutConditions } from './put-conditions.ts';

export interface LocalObjectStoreOptions {
  /** The directory that holds the objects; created on first use. */
  dir: string;
}

/** Bytes read at a time when hashing a file for `head`. */
const HASH_CHUNK_BYTES = 1024 * 1024;

function keyConflict(operation: ObjectStoreOperation, key: string, cause: unknown): ObjectStoreError {
  return new ObjectStoreError(
    'InvalidRequest',
    `${operation} ${describeValue(key)}: the key's path conflicts with an existing object or prefix ` +
      '(LocalObjectStore cannot hold both `a` and `a/…`)',
    { operation, key, cause },
  );
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFileDurably(path: string, body: Uint8Array): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    let offset = 0;
    while (offset < body.byteLength) {
      const { bytesWritten } = await handle.write(body, offset, body.byteLength - offset);
      offset += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes a temporary file after a failed or lost put; the caller's error is what matters. */
async function discardTemp(path: string): Promise<void> {
  // A temp file that cannot be removed is harmless: list ignores the reserved name. It is left, not
  // reported, because the put's own failure is the error the caller must see.
  await unlink(path).then(
    () => undefined,
    () => undefined,
  );
}

async function md5OfFile(handle: FileHandle): Promise<{ etag: string; sizeBytes: number }> {
  const hash = createHash('md5');
  const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  let sizeBytes = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, sizeBytes);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    sizeBytes += bytesRead;
  }
  return { etag: hash.digest('hex'), sizeBytes };
}

export class LocalObjectStore implements ObjectStore {
  readonly dir: string;
  #root: Promise<string> | undefined;

  constructor(options: LocalObjectStoreOptions) {
    const dir = (options as Partial<LocalObjectStoreOptions> | undefined)?.dir;
    if (typeof dir !== 'string' || dir === '' || dir.includes('\0')) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`dir\` to be a non-empty directory path, got ${describeValue(dir)}`,
        { details: { option: 'dir', value: dir } },
      );
    }
    this.dir = resolve(dir);
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const segments = validateKey(key);
    if (!(body instanceof Uint8Array)) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`body\` to be a Uint8Array, got ${describeValue(body)}`,
      );
    }
    checkPutConditions(options);
    // Copied before the first await: the caller may reuse its buffer once put() has returned.
    const copy = new Uint8Array(body);
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, `put ${describeValue(key)}`);
    try {
      const parent = await this.#prepareParent(key, segments);
      const target = join(parent, segments.at(-1) as string);
      const temp = join(parent, `${RESERVED_SEGMENT_PREFIX}${randomBytes(8).toString('hex')}`);
      await writeFileDurably(temp, copy);
      try {
        if (signal?.aborted) throw abortError(signal, `put ${describeValue(key)}`);
        if (options.ifMatch === undefined)
          await this.#publish(key, temp, target, options.ifNoneMatch === '*');
        else await this.#replaceIfMatch(key, segments, temp, options.ifMatch);
      } catch (error) {
        await discardTemp(temp);
        throw error;
      }
      await fsyncDirectory(parent);
      return { etag: md5Etag(copy) };
    } catch (error) {
      if (error instanceof TierVecError || (signal?.aborted && error === signal.reason)) throw error;
      throw fromFsError(error, 'put', key);
    }
  }

  async get(key: string, options: RequestOptions = {}): Promise<Uint8Array> {
    const segments = validateKey(key);
    if (options.signal?.aborted) throw abortError(options.signal, `get ${describeValue(key)}`);
    const handle = await this.#openObject(key, segments, 'get');
    if (handle === undefined) {
      throw new ObjectStoreError('NoSuchKey', `get ${describeValue(key)}: no such object`, {
        operation: 'get',
        key,
      });
    }
    try {
      const body = await handle.readFile(options.signal === undefined ? {} : { signal: options.signal });
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal, `get ${describeValue(key)}`);
      throw fromFsError(error, 'get', key);
    } finally {
      await handle.close();
    }
  }

  async head(key: string, options: RequestOptions = {}): Promise<ObjectHead | undefined> {
    const segments = validateKey(key);
    if (options.signal?.aborted) throw abortError(options.signal, `head ${describeValue(key)}`);
    const handle = await this.#openObject(key, segments, 'head');
    if (handle === undefined) return undefined;
    try {
      return await md5OfFile(handle);
    } catch (error) {
      throw fromFsError(error, 'head', key);
    } finally {
      await handle.close();
    }
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    const segments = validateKey(key);
    if (options.signal?.aborted) throw abortError(options.signal, `delete ${describeValue(key)}`);
    const root = await this.#rootDir('delete', key);
    const parent = join(root, ...segments.slice(0, -1));
    try {
      // Through a symbolic link the "object" is not ours: there is nothing here to delete.
      if (!(await this.#isPlainDirectory(parent))) return;
      await unlink(join(parent, segments.at(-1) as string));
      await fsyncDirectory(parent);
    } catch (error) {
      // Nothing at the key (or only a directory, which is a prefix, not an object): deleted already.
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errnoOf(error) ?? '')) return;
      throw fromFsError(error, 'delete', key);
    }
  }

  list(prefix: string, options: RequestOptions = {}): AsyncIterable<string> {
    validatePrefix(prefix);
    return this.#walk(prefix, options.signal);
  }

  /**
   * Depth-first over the directories under the prefix, with an explicit stack (no recursion over a
   * depth the data controls). Sorting each directory's entries with directories as `name/` yields
   * keys in S3 order: every key under `a/` sorts exactly where `a/` sorts among its siblings.
   */
  async *#walk(prefix: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
    const root = await this.#rootDir('list', prefix);
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const rest = prefix.slice(base.length);
    const baseDir = join(root, ...base.split('/').filter((segment) => segment !== ''));
    if (!(await this.#isPlainDirectory(baseDir))) return;
    const stack: { keyPrefix: string; pending: Dirent[] }[] = [];
    const first = await this.#readEntries(baseDir, prefix);
    stack.push({ keyPrefix: base, pending: first.filter((entry) => entry.name.startsWith(rest)) });
    while (stack.length > 0) {
      if (signal?.aborted) throw abortError(signal, `list ${describeValue(prefix)}`);
      const top = stack.at(-1) as { keyPrefix: string; pending: Dirent[] };
      const entry = top.pending.shift();
      if (entry === undefined) {
        stack.pop();
        continue;
      }
      const key = top.keyPrefix + entry.name;
      if (entry.isFile()) {
        yield key;
      } else {
        stack.push({ keyPrefix: `${key}/`, pending: await this.#readEntries(join(root, key), prefix) });
      }
    }
  }

  /** A directory's objects and subdirectories in S3 order; links, temp files and odd names are skipped. */
  async #readEntries(path: string, prefix: string): Promise<Dirent[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      // A directory emptied and removed by someone else while we walked holds no keys.
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return [];
      throw fromFsError(error, 'list', prefix);
    }
    const sortName = (entry: Dirent) => (entry.isDirectory() ? `${entry.name}/` : entry.name);
    return entries
      .filter((entry) => (entry.isFile() || entry.isDirectory()) && isKeySegment(entry.name))
      .sort((a, b) => compareKeys(sortName(a), sortName(b)));
  }

  /**
   * Creates the key's directory chain and returns it, refusing a chain that goes through a link.
   * One level at a time, each checked before anything is created below it: `mkdir -p` first and a
   * check afterwards would already have created directories wherever a linked prefix pointed.
   */
  async #prepareParent(key: string, segments: string[]): Promise<string> {
    const root = await this.#rootDir('put', key);
    let parent = root;
    let firstCreated: string | undefined;
    for (const segment of segments.slice(0, -1)) {
      parent = join(parent, segment);
      if (await this.#ensureDirectory(key, parent)) firstCreated ??= parent;
    }
    // New directories must be durable too, or a crash could lose the entry that leads to the object:
    // fsync the directory that gained the first new one, and each new one down to the parent.
    if (firstCreated !== undefined) {
      const chain: string[] = [];
      for (let dir = parent; dir !== dirname(firstCreated) && dir.startsWith(root); dir = dirname(dir))
        chain.push(dir);
      chain.push(dirname(firstCreated));
      for (const dir of chain.reverse()) await fsyncDirectory(dir);
    }
    return parent;
  }

  /** Makes `path` a plain directory (true when this call created it); a link or a file there is refused. */
  async #ensureDirectory(key: string, path: string): Promise<boolean> {
    let created = false;
    try {
      await mkdir(path);
      created = true;
    } catch (error) {
      if (errnoOf(error) === 'ENOTDIR') throw keyConflict('put', key, error);
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    const found = await lstat(path);
    if (found.isSymbolicLink()) {
      throw new ObjectStoreError(
        'AccessDenied',
        `put ${describeValue(key)}: the key's directory is reached through a symbolic link, which is never followed`,
        { operation: 'put', key },
      );
    }
    if (!found.isDirectory()) throw keyConflict('put', key, new Error(`${path} is not a directory`));
    return created;
  }

  async #publish(key: string, temp: string, target: string, exclusive: boolean): Promise<void> {
    try {
      if (!exclusive) {
        await rename(temp, target);
        return;
      }
      await link(temp, target);
      await unlink(temp);
    } catch (error) {
      const errno = errnoOf(error);
      const existing =
        errno === 'EEXIST' || errno === 'EISDIR' ? await lstat(target).catch(() => undefined) : undefined;
      if (existing?.isDirectory()) throw keyConflict('put', key, error);
      if (errno === 'EEXIST') {
        throw new ObjectStoreError(
          'PreconditionFailed',
          `put ${describeValue(key)}: an object already exists`,
          {
            operation: 'put',
            key,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /** Replaces the object with `temp` if its etag is `etag`, under the key's lock (see local-key-lock.ts). */
  async #replaceIfMatch(key: string, segments: string[], temp: string, etag: string): Promise<void> {
    const target = join(dirname(temp), segments.at(-1) as string);
    const release = await lockLocalKey(dirname(temp), segments.at(-1) as string, key);
    try {
      const handle = await this.#openObject(key, segments, 'put');
      const current =
        handle === undefined ? undefined : await md5OfFile(handle).finally(() => handle.close());
      if (current?.etag !== etag) {
        throw new ObjectStoreError(
          'PreconditionFailed',
          `put ${describeValue(key)}: the object's etag is ${describeValue(current?.etag ?? null)}, not ${describeValue(etag)}`,
          { operation: 'put', key },
        );
      }
      await rename(temp, target);
    } finally {
      await release();
    }
  }

  /** Opens the object's file without following links; undefined when there is no object at the key. */
  async #openObject(
    key: string,
    segments: string[],
    operation: ObjectStoreOperation,
  ): Promise<FileHandle | undefined> {
    const root = await this.#rootDir(operation, key);
    const parent = join(root, ...segments.slice(0, -1));
    let handle: FileHandle | undefined;
    try {
      if (!(await this.#isPlainDirectory(parent))) return undefined;
      handle = await open(join(parent, segments.at(-1) as string), constants.O_RDONLY | constants.O_NOFOLLOW);
      if ((await handle.stat()).isFile()) return handle;
    } catch (error) {
      // ELOOP: the key itself is a symbolic link, which is never followed, so it is no object of ours.
      if (!['ENOENT', 'ENOTDIR', 'ELOOP', 'EISDIR'].includes(errnoOf(error) ?? '')) {
        await handle?.close();
        throw fromFsError(error, operation, key);
      }
    }
    await handle?.close();
    return undefined;
  }

  /** True when `path` is a directory whose whole chain below the root contains no symbolic link. */
  async #isPlainDirectory(path: string): Promise<boolean> {
    try {
      return (await realpath(path)) === path && (await lstat(path)).isDirectory();
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
      throw error;
    }
  }

  /** The root's real path (created on first use), so that link checks compare real paths. */
  #rootDir(operation: ObjectStoreOperation, key: string): Promise<string> {
    this.#root ??= mkdir(this.dir, { recursive: true }).then(() => realpath(this.dir));
    return this.#root.catch((error: unknown) => {
      this.#root = undefined;
      throw fromFsError(error, operation, key);
    });
  }
}

function isKeySegment(name: string): boolean {
  if (name.startsWith(RESERVED_SEGMENT_PREFIX)) return false;
  try {
    validateKey(name);
    return true;
  } catch {
    // A name no valid key can produce (a backslash, a control character) was not written by tiervec.
    return false;
  }
}
