/**
 * One create-only put (`If-None-Match: *`) through the uploader's retries and breaker, for objects
 * whose name is a claim (a manifest version, a WAL epoch): `created` when the object is there with
 * these bytes (an earlier attempt whose answer was lost counts), `taken` when another writer's
 * object holds the name. Never overwrites; errors other than a taken name are thrown as they came.
 */

import type { ObjectStore } from '../../object-store/object-store.ts';
import { isObjectStoreError } from '../../object-store/object-store-error.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import { requestOrFail as request } from './object-store-failure.ts';

export async function putCreateOnly(
  objectStore: ObjectStore,
  uploader: ParallelUploader,
  key: string,
  body: Uint8Array,
): Promise<'created' | 'taken'> {
  try {
    await uploader.request(`put ${key}`, (signal) =>
      objectStore.put(key, body, { ifNoneMatch: '*', signal }),
    );
    return 'created';
  } catch (error) {
    if (!isObjectStoreError(error, 'PreconditionFailed')) throw error;
  }
  const stored = await request(uploader, `Reading ${key}`, (signal) => objectStore.get(key, { signal }));
  return Buffer.from(stored).equals(Buffer.from(body)) ? 'created' : 'taken';
}
