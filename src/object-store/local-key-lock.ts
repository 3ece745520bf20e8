/**
 * A lock on one key of a `LocalObjectStore`, for compare-and-swap puts (`ifMatch`): a lock file
 * `.tiervec-tmp-lock-{name}` beside the object, created with `O_EXCL`, so two processes sharing the
 * directory never both pass the etag check and replace the object. The reserved prefix keeps the
 * lock out of listings. A lock older than `LOCAL_KEY_LOCK_STALE_MS` belongs to a writer that died
 * between check and rename (the critical section is a hash and a rename) and is taken over.
 *
 * It must never hold a lock past its critical section, and never wait without a limit.
 */

import { open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { describeValue } from '../errors.ts';
import { errnoOf } from './fs-error-mapping.ts';
import { RESERVED_SEGMENT_PREFIX } from './object-key.ts';
import { ObjectStoreError } from './object-store-error.ts';

/** A lock file older than this is left over by a dead writer. */
export const LOCAL_KEY_LOCK_STALE_MS = 10_000;
/** How long a put waits for another put of the same key before giving up with a retryable SlowDown. */
const LOCK_WAIT_MS_MAX = 5_000;
const LOCK_POLL_MS = 2;

/** Takes the lock of `name` in `parent`; resolves with its release. */
export async function lockLocalKey(parent: string, name: string, key: string): Promise<() => Promise<void>> {
  const path = join(parent, `${RESERVED_SEGMENT_PREFIX}lock-${name}`);
  const started = systemClock.now();
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    const age = await stat(path).then(
      (found) => systemClock.now() - found.mtimeMs,
      () => 0,
    );
    if (age > LOCAL_KEY_LOCK_STALE_MS) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (systemClock.now() - started > LOCK_WAIT_MS_MAX) {
      throw new ObjectStoreError(
        'SlowDown',
        `put ${describeValue(key)}: another put of this key holds its lock`,
        {
          operation: 'put',
          key,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}
