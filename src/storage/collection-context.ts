/**
 * What a collection needs from its store: its directory, clock, durability and sizes, the tenant
 * quota check, the warning sink, and the object tier every collection of the store shares. The store
 * builds one per collection; the collection and its parts (recovery, sealing, compaction) take what
 * they need from it. It holds no behaviour of its own.
 */

import type { Clock } from '../clock.ts';
import type { RemoteManifest } from './remote/remote-manifest.ts';
import type { StoreWarning } from './store-warning.ts';
import type { ObjectTier } from './tiering/object-tier.ts';
import type { WalDurability } from './wal/wal.ts';

/** What a collection needs from its store. */
export interface CollectionContext {
  readonly dir: string;
  readonly clock: Clock;
  readonly durability: WalDurability;
  readonly segmentVectorsMax: number;
  readonly bufferedFlushIntervalMs: number;
  readonly walPendingBytesMax: number;
  /** Throws QUOTA_EXCEEDED when the tenant cannot take `vectors` more documents and `bytes` more bytes. */
  readonly checkTenantQuota: (vectors: number, bytes: number) => void;
  readonly warn: (warning: Omit<StoreWarning, 'tenant' | 'collection'>) => void;
  /** The object store, uploader and tier manager every collection of the store shares. */
  readonly objectTier: ObjectTier;
  /** When the collection was created (its catalog entry). */
  readonly createdAtMs: number;
  /** The published manifest of a collection being opened from the object store (on an empty dir). */
  readonly imported?: RemoteManifest;
  /** Durability 'object-store': writes are acknowledged once durable in the object store too. */
  readonly objectStoreWal: boolean;
  /** Throws (LEASE_LOST) when the store may no longer write: checked before every write. */
  readonly writeGuard?: () => void;
}
