/**
 * The fence a new lease holder puts up before it opens anything: for every collection in the object
 * store it publishes its newest manifest again, one version up, carrying the holder's term
 * (`leaseTerm`). A writer that held the lease before and publishes late then finds a manifest
 * version newer than its own (or its version taken) and fails with MANIFEST_CONFLICT; it can never
 * supersede the new holder's manifests. The content is unchanged, so nothing durable is lost, and the
 * old writer's WAL batches (durability 'object-store') stay for the new holder's recovery to replay.
 *
 * It must never overwrite a manifest version (puts are create-only) and never run without the lease.
 */

import type { Clock } from '../../clock.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { isObjectStoreError } from '../../object-store/object-store-error.ts';
import { parseManifestKey, RemoteLayout } from '../remote/remote-layout.ts';
import {
  decodeRemoteManifest,
  encodeRemoteManifest,
  type RemoteManifest,
} from '../remote/remote-manifest.ts';
import type { WriterLease } from './writer-lease.ts';

/** A fenced manifest: the published one plus the term of the holder that published it. */
export interface FencedManifest extends RemoteManifest {
  readonly leaseTerm?: number;
}

/** Attempts per collection when a late publish of the previous holder takes the version first. */
const FENCE_ATTEMPTS_MAX = 5;

/** Publishes every collection's newest manifest one version up with the lease's term; resolves with how many. */
export async function fenceCollections(
  store: ObjectStore,
  lease: WriterLease,
  clock: Clock,
): Promise<number> {
  const newest = await newestManifests(store);
  for (const { tenant, collection } of newest.values()) {
    const layout = new RemoteLayout(tenant, collection);
    for (let attempt = 1; ; attempt++) {
      lease.check();
      const version = await newestVersion(store, layout);
      const key = layout.manifestKey(version);
      const manifest = decodeRemoteManifest(await store.get(key), key, layout) as FencedManifest;
      if (manifest.leaseTerm === lease.term) break;
      const fenced: FencedManifest = {
        ...manifest,
        version: version + 1,
        leaseTerm: lease.term,
        createdAtMs: clock.now(),
      };
      try {
        await store.put(layout.manifestKey(version + 1), encodeRemoteManifest(fenced), { ifNoneMatch: '*' });
        break;
      } catch (error) {
        if (!isObjectStoreError(error, 'PreconditionFailed') || attempt >= FENCE_ATTEMPTS_MAX) throw error;
      }
    }
  }
  return newest.size;
}

async function newestManifests(
  store: ObjectStore,
): Promise<Map<string, { tenant: string; collection: string; version: number }>> {
  const newest = new Map<string, { tenant: string; collection: string; version: number }>();
  for await (const key of store.list('tenants/')) {
    const parsed = parseManifestKey(key);
    if (parsed === undefined) continue;
    const id = `${parsed.tenant}/${parsed.collection}`;
    if ((newest.get(id)?.version ?? 0) < parsed.version) newest.set(id, parsed);
  }
  return newest;
}

async function newestVersion(store: ObjectStore, layout: RemoteLayout): Promise<number> {
  let version = 0;
  for await (const key of store.list(layout.manifestPrefix)) {
    version = Math.max(version, layout.manifestVersionOf(key) ?? 0);
  }
  return version;
}
