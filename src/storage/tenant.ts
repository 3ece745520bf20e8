/**
 * A tenant handle: `store.tenant('acme')`. Every call is scoped to that tenant, so code holding the
 * handle cannot name, list, read, search or drop another tenant's collections (each tenant has its
 * own namespace of collection names, its own directory, and its own quota).
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { Collection } from './collection.ts';
import type { CollectionSpecInput } from './collection-spec.ts';
import type { CollectionInfo, Store } from './store.ts';
import { isPlainObject } from './validation.ts';

export class Tenant {
  readonly #store: Store;
  readonly name: string;

  constructor(store: Store, name: string) {
    this.#store = store;
    this.name = name;
  }

  /** Creates a collection in this tenant; a spec naming another tenant is refused. */
  createCollection(spec: CollectionSpecInput): Promise<Collection> {
    if (isPlainObject(spec) && spec.tenant !== undefined && spec.tenant !== this.name) {
      return Promise.reject(
        new TierVecError(
          ErrorCode.INVALID_ARGUMENT,
          `The handle of tenant ${describeValue(this.name)} cannot create a collection in tenant ${describeValue(spec.tenant)}`,
          { details: { tenant: this.name, requested: spec.tenant } },
        ),
      );
    }
    return this.#store.createCollection(isPlainObject(spec) ? { ...spec, tenant: this.name } : spec);
  }

  collection(name: string): Collection {
    return this.#store.collection(name, { tenant: this.name });
  }

  listCollections(): Promise<CollectionInfo[]> {
    return this.#store.listCollections({ tenant: this.name });
  }

  dropCollection(name: string): Promise<void> {
    return this.#store.dropCollection(name, { tenant: this.name });
  }
}
