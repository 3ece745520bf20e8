/**
 * Where a collection lives in the object store. Every key is built here from validated tenant and
 * collection names, so no other module concatenates object keys:
 *
 *   tenants/{tenant}/collections/{name}/manifest/{version:020d}.json   written create-only
 *   tenants/{tenant}/collections/{name}/segments/{segmentId}.arrow|.hnsw|.ids.json
 *   tenants/{tenant}/collections/{name}/tombstones/{version:020d}.json
 *   tenants/{tenant}/collections/{name}/wal/{batchSeq:020d}.arrow       (object-store durability)
 *   tenants/{tenant}/collections/{name}/wal/epochs/{epoch:020d}.json    written create-only (wal-epochs.ts)
 *
 * `.ids.json` is a small companion of each segment (ids, document sizes, deleted flags) that lets a
 * store know what a cold segment holds without downloading it. This module does no I/O.
 */

const VERSION_DIGITS = 20;
const MANIFEST_FILE = /^(\d{20})\.json$/;
const WAL_FILE = /^(\d{20})\.arrow$/;
const EPOCH_FILE = /^epochs\/(\d{20})\.json$/;

export type SegmentObjectKind = 'arrow' | 'hnsw' | 'ids';

export class RemoteLayout {
  readonly tenant: string;
  readonly collection: string;
  /** `tenants/{tenant}/collections/{name}/` */
  readonly prefix: string;

  constructor(tenant: string, collection: string) {
    this.tenant = tenant;
    this.collection = collection;
    this.prefix = collectionPrefix(tenant, collection);
  }

  get manifestPrefix(): string {
    return `${this.prefix}manifest/`;
  }

  get walPrefix(): string {
    return `${this.prefix}wal/`;
  }

  get segmentsPrefix(): string {
    return `${this.prefix}segments/`;
  }

  manifestKey(version: number): string {
    return `${this.manifestPrefix}${padded(version)}.json`;
  }

  segmentKey(segmentId: string, kind: SegmentObjectKind): string {
    return `${this.segmentsPrefix}${segmentId}.${kind === 'ids' ? 'ids.json' : kind}`;
  }

  /** Key of a tombstone file, named as in the manifest (`{version:020d}.json`). */
  tombstoneKey(name: string): string {
    return `${this.prefix}tombstones/${name}`;
  }

  walKey(seq: number): string {
    return `${this.walPrefix}${padded(seq)}.arrow`;
  }

  walEpochKey(epoch: number): string {
    return `${this.walPrefix}epochs/${padded(epoch)}.json`;
  }

  /** The epoch of a WAL epoch marker key under this collection, or undefined. */
  walEpochOf(key: string): number | undefined {
    return numberOf(key, this.walPrefix, EPOCH_FILE);
  }

  /** The version of a manifest key under this collection, or undefined for any other key. */
  manifestVersionOf(key: string): number | undefined {
    return numberOf(key, this.manifestPrefix, MANIFEST_FILE);
  }

  /** The batch sequence number of a WAL key under this collection, or undefined. */
  walSeqOf(key: string): number | undefined {
    return numberOf(key, this.walPrefix, WAL_FILE);
  }
}

export function collectionPrefix(tenant: string, collection: string): string {
  return `tenants/${tenant}/collections/${collection}/`;
}

/** Tenant and collection of a manifest key anywhere under `tenants/`, or undefined. */
export function parseManifestKey(
  key: string,
): { tenant: string; collection: string; version: number } | undefined {
  const match = /^tenants\/([^/]+)\/collections\/([^/]+)\/manifest\/(\d{20})\.json$/.exec(key);
  if (match === null) return undefined;
  return { tenant: match[1] as string, collection: match[2] as string, version: Number(match[3]) };
}

function padded(value: number): string {
  return String(value).padStart(VERSION_DIGITS, '0');
}

function numberOf(key: string, prefix: string, pattern: RegExp): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = pattern.exec(key.slice(prefix.length));
  return match === null ? undefined : Number(match[1]);
}
