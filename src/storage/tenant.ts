/**
 * A tenant handle: `store.tenant('acme')`. Every call is scoped to that tenant, so code holding the
 * handle cannot name, list, read, search or drop another tenant's collections (each tenant has its
 * own namespace of collection names, its own directory, and its own quota).
 *
 * The handle reaches its store through `TenantStore`, the few calls it makes, so the store may
 * import this module without this module importing the store.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { CollectionInfo } from './catalog.ts';
import type { Collection } from './collection.ts';
import type { CollectionSpecInput } from './collection-spec.ts';
import { isPlainObject } from './validation.ts';

export interface TenantOption {
  /** @default 'default' */
  tenant?: string;
}

/** The store's calls a tenant handle makes, each scoped with `{ tenant }`. */
export interface TenantStore {
  createCollection(spec: CollectionSpecInput): Promise<Collection>;
  getOrCreateCollection(spec: CollectionSpecInput): Promise<Collection>;
  collection(name: string, options?: TenantOption): Collection;
  listCollections(options?: TenantOption): Promise<CollectionInfo[]>;
  dropCollection(name: string, options?: TenantOption): Promise<void>;
}

export class Tenant {
  readonly #store: TenantStore;
  readonly name: string;

  constructor(store: TenantStore, name: string) {
    this.#store = store;
    this.name = name;
  }

  /** Creates a collection in this tenant; a spec naming another tenant is refused. */
  createCollection(spec: CollectionSpecInput): Promise<Collection> {
    return this.#scoped(spec, (scoped) => this.#store.createCollection(scoped));
  }

  /** The collection in this tenant, created when missing (see `Store.getOrCreateCollection`). */
  getOrCreateCollection(spec: CollectionSpecInput): Promise<Collection> {
    return this.#scoped(spec, (scoped) => this.#store.getOrCreateCollection(scoped));
  }

  /** Runs `call` with the spec set to this tenant; INVALID_ARGUMENT when it names another one. */
  #scoped(
    spec: CollectionSpecInput,
    call: (scoped: CollectionSpecInput) => Promise<Collection>,
  ): Promise<Collection> {
    if (isPlainObject(spec) && spec.tenant !== undefined && spec.tenant !== this.name) {
      return Promise.reject(
        new TierVecError(
          ErrorCode.INVALID_ARGUMENT,
          `The handle of tenant ${describeValue(this.name)} cannot create a collection in tenant ${describeValue(spec.tenant)}`,
          { details: { tenant: this.name, requested: spec.tenant } },
        ),
      );
    }
    return call(isPlainObject(spec) ? { ...spec, tenant: this.name } : spec);
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
