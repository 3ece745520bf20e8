/**
 * The object store as a read replica sees it: reads pass through, and every put or delete is refused
 * with READ_ONLY before it is sent. The replica's inner stores are opened on it, so whatever they
 * try (a publish of an unchanged manifest, a seal on close) can never change what the writer owns.
 *
 * It must never forward a put or a delete.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectHead, ObjectStore, PutOptions, RequestOptions } from '../../object-store/object-store.ts';

export class ReadOnlyObjectStore implements ObjectStore {
  readonly #store: ObjectStore;

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  async put(key: string, _body: Uint8Array, _options?: PutOptions): Promise<{ etag: string }> {
    throw readOnly('put', key);
  }

  get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.#store.get(key, options);
  }

  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    return this.#store.head(key, options);
  }

  async delete(key: string, _options?: RequestOptions): Promise<void> {
    throw readOnly('delete', key);
  }

  list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    return this.#store.list(prefix, options);
  }
}

function readOnly(operation: string, key: string): TierVecError {
  return new TierVecError(ErrorCode.READ_ONLY, `A read replica does not ${operation} objects (${key})`, {
    details: { operation, key },
  });
}
