/**
 * What a read replica looks at to know whether the writer moved on: the newest manifest version of
 * every collection and the WAL batch objects (durability 'object-store') under `tenants/`, from one
 * listing. Two states with the same `key` describe the same data. No writes here.
 */

import type { ObjectStore } from '../../object-store/object-store.ts';
import { parseManifestKey } from '../remote/remote-layout.ts';

const WAL_KEY = /^tenants\/([^/]+)\/collections\/([^/]+)\/wal\/(\d{20})\.arrow$/;

export interface ReplicaState {
  /** Newest manifest version by `tenant/collection`. */
  readonly manifests: ReadonlyMap<string, number>;
  /** WAL batch objects present. */
  readonly walBatches: number;
  /** Equal for equal states. */
  readonly key: string;
  /** Equal when no manifest changed (WAL batches aside). */
  readonly manifestKey: string;
}

export async function readReplicaState(store: ObjectStore, signal?: AbortSignal): Promise<ReplicaState> {
  const manifests = new Map<string, number>();
  const wal: string[] = [];
  for await (const key of store.list('tenants/', signal === undefined ? {} : { signal })) {
    const parsed = parseManifestKey(key);
    if (parsed !== undefined) {
      const id = `${parsed.tenant}/${parsed.collection}`;
      manifests.set(id, Math.max(manifests.get(id) ?? 0, parsed.version));
    } else if (WAL_KEY.test(key)) {
      wal.push(key);
    }
  }
  const manifestKey = [...manifests].map(([id, version]) => `${id}@${version}`).join(',');
  return { manifests, walBatches: wal.length, manifestKey, key: `${manifestKey}|${wal.join(',')}` };
}
