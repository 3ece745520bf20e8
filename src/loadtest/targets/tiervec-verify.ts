/**
 * The check that no acknowledged write was lost. After the load, the store is closed (letting
 * accepted writes finish) and opened again from its directory and object store, as after a restart
 * (with object-store durability: on an empty directory, from the object store alone, as after the
 * loss of the disk);
 * then every id written during the run is read back and compared with its last acknowledged state
 * (present at that version with that vector, or absent), and so is an even sample of the preloaded
 * documents nobody touched. Ids whose last write failed without a clear outcome are left out and
 * counted. Returns the reopened store, which the target then owns.
 */

import { openStore, type Store } from '../../storage/store.ts';
import type { StoreOptions } from '../../storage/store-options.ts';
import type { ExpectedState, WriteLedger } from './tiervec-ledger.ts';
import { TENANT_VECTOR_BLOCK, type TenantRuntime, UPDATE_VECTOR_OFFSET } from './tiervec-operations.ts';
import type { TiervecWorkload } from './tiervec-workload.ts';

/** Untouched preloaded documents read back per tenant. */
export const PRELOAD_SAMPLE_MAX = 500;
/** Lost ids named in the report. */
const EXAMPLES_MAX = 5;
/** Cosine similarity a read-back vector must reach (exact but for a store that normalizes). */
const SIMILARITY_MIN = 0.9999;

export interface WriteVerification {
  /** What the store was reopened from: its own directory, or (object-store durability) the object store alone. */
  reopenedFrom: 'local directory' | 'object store';
  /** Ids written during the run, read back. */
  checked: number;
  /** Untouched preloaded documents read back. */
  preloadSampled: number;
  lost: number;
  /** Ids left out: their last write failed without a clear outcome. */
  uncertain: number;
  /** A few lost ids with what was expected and found. */
  examples: string[];
}

export interface VerifyOptions {
  store: Store;
  storeOptions: StoreOptions;
  tenants: TenantRuntime[];
  collection: string;
  ledger: WriteLedger;
  workload: TiervecWorkload;
}

export async function verifyAcknowledgedWrites(
  options: VerifyOptions,
): Promise<{ store: Store; verification: WriteVerification }> {
  await options.store.close();
  // With object-store durability an acknowledged write must survive the loss of the local disk, so
  // the store is opened again on an empty directory, from the object store alone.
  const fromObjectStore = options.storeOptions.durability === 'object-store';
  const storeOptions = fromObjectStore
    ? { ...options.storeOptions, dir: `${options.storeOptions.dir}-from-object-store` }
    : options.storeOptions;
  const store = await openStore(storeOptions);
  const byName = new Map<string, TenantRuntime>();
  for (const tenant of options.tenants) {
    tenant.collection = store.collection(options.collection, { tenant: tenant.name });
    byName.set(tenant.name, tenant);
  }
  const verification: WriteVerification = {
    reopenedFrom: fromObjectStore ? 'object store' : 'local directory',
    checked: 0,
    preloadSampled: 0,
    lost: 0,
    uncertain: options.ledger.summary().uncertain,
    examples: [],
  };
  for (const [id, expected] of options.ledger.checkable()) {
    const tenant = byName.get(id.slice(0, id.indexOf('.')));
    if (tenant === undefined) continue;
    verification.checked++;
    await check(tenant, id, expected, options.workload, verification);
  }
  for (const tenant of options.tenants) {
    const step = Math.max(1, Math.ceil(tenant.preloaded / PRELOAD_SAMPLE_MAX));
    for (let n = 0; n < tenant.preloaded; n += step) {
      const id = options.workload.document(tenant.name, 'p', n, 0).id;
      if (options.ledger.expected(id) !== undefined) continue;
      verification.preloadSampled++;
      await check(tenant, id, { state: 'present', version: 0 }, options.workload, verification);
    }
  }
  return { store, verification };
}

async function check(
  tenant: TenantRuntime,
  id: string,
  expected: ExpectedState,
  workload: TiervecWorkload,
  verification: WriteVerification,
): Promise<void> {
  const doc = await tenant.collection.get(id);
  let problem: string | undefined;
  if (expected.state === 'absent') {
    if (doc !== undefined) problem = 'deleted, but still present';
  } else if (expected.state === 'present') {
    if (doc === undefined) problem = `expected version ${expected.version}, found nothing`;
    else if (doc.metadata.version !== expected.version) {
      problem = `expected version ${expected.version}, found ${String(doc.metadata.version)}`;
    } else if (
      similarity(doc.vector, workload.vector(vectorIndex(tenant, id, expected.version))) < SIMILARITY_MIN
    ) {
      problem = `version ${expected.version} has the wrong vector`;
    }
  }
  if (problem === undefined) return;
  verification.lost++;
  if (verification.examples.length < EXAMPLES_MAX) verification.examples.push(`${id}: ${problem}`);
}

/** The vector index a document's acknowledged version was written with (see tiervec-operations.ts). */
function vectorIndex(tenant: TenantRuntime, id: string, version: number): number {
  const base = tenant.index * TENANT_VECTOR_BLOCK;
  if (version > 0) return base + UPDATE_VECTOR_OFFSET + version;
  const local = id.slice(id.lastIndexOf('.') + 1);
  const n = Number(local.slice(1));
  return local.startsWith('p') ? base + n : base + tenant.preloaded + n;
}

function similarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
