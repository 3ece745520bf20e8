/**
 * The `lease` option of `openStore`: takes the writer lease of the store's object store, puts up the
 * fence (lease-fence.ts), and hands back the object store the store must use from then on (every put
 * and delete checked against the lease). Without the option a store takes no lease, as before.
 *
 * It must never return before the fence is up: a store that writes before it would race the previous
 * holder's late publishes.
 */

import type { Clock } from '../../clock.ts';
import { ErrorCode, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import type { StoreWarning } from '../store-warning.ts';
import { FencedObjectStore } from './fenced-object-store.ts';
import { fenceCollections } from './lease-fence.ts';
import { WriterLease } from './writer-lease.ts';

export interface LeaseOption {
  /** How long the lease lives without renewal, in ms; renewed every third of it. @default 10_000 */
  durationMs?: number;
}

export async function openStoreLease(
  lease: LeaseOption,
  objectStore: ObjectStore | undefined,
  clock: Clock,
  warn: (warning: StoreWarning) => void,
): Promise<{ lease: WriterLease; objectStore: ObjectStore }> {
  if (objectStore === undefined) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      'Expected `objectStore` to be given with `lease`: a lease fences writers that share an object store',
      { details: { option: 'lease' } },
    );
  }
  const taken = await WriterLease.acquire({
    objectStore,
    clock,
    ...(lease.durationMs === undefined ? {} : { durationMs: lease.durationMs }),
    onLost: (error) => warn({ code: 'LEASE_LOST', message: error.message, details: error.details }),
  });
  try {
    await fenceCollections(objectStore, taken, clock);
  } catch (error) {
    await taken.release();
    throw error;
  }
  return { lease: taken, objectStore: new FencedObjectStore(objectStore, taken) };
}
