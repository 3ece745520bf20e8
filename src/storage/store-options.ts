/**
 * `openStore` options: their defaults (one frozen object, which the README's table is tested against)
 * and their limits (`STORE_LIMITS`, checked by `options.ts`). The tier options (`objectStore`, `tiering`, `uploads`, `onTierEvent`) are
 * resolved with the tiering layer's own defaults (`TIERING_DEFAULTS`, the uploaders' defaults).
 */

import { CLOCK_OPTION, type Clock, systemClock } from '../clock.ts';
import type { ObjectStore } from '../object-store/object-store.ts';
import {
  callback,
  checkOptions,
  custom,
  integer,
  invalidOption,
  matching,
  oneOf,
  optional,
  withMethods,
} from '../options.ts';
import { PARALLEL_UPLOADER_DEFAULTS } from '../uploaders/defaults.ts';
import type { LeaseOption } from './lease/store-lease.ts';
import { LIMITS } from './limits.ts';
import { type TenantQuota, validateTenantQuota } from './quota.ts';
import type { StoreUrlS3Options } from './store-url.ts';
import { defaultWarningListener, type WarningListener } from './store-warning.ts';
import { STORE_UPLOADS_LIMITS, type StoreUploadsOptions } from './tiering/object-tier.ts';
import type { TierEventListener } from './tiering/tier-accounting.ts';
import {
  type ResolvedTieringOptions,
  resolveTieringOptions,
  type TieringOptions,
} from './tiering/tiering-options.ts';
import { validateName } from './validation.ts';

export type { TieringOptions };

export type Durability = 'fsync' | 'buffered' | 'object-store';

export interface StoreOptions {
  /**
   * Directory for the catalog, WALs and segment files; created when missing. Required unless `url`
   * is given. @default with `url`: a directory per URL under `$XDG_CACHE_HOME/tiervec` (or `~/.cache/tiervec`)
   */
  dir?: string;
  /** Cold tier. @default new LocalObjectStore({ dir: `${dir}/objects` }) */
  objectStore?: ObjectStore;
  /**
   * The cold tier as a URL, instead of `objectStore`: `s3://bucket/prefix` or `file:///absolute/path`
   * (see store-url.ts for the AWS environment variables it reads).
   */
  url?: string;
  /** Endpoint, region, credentials and other S3ObjectStore options for an `s3://` `url`. */
  s3?: StoreUrlS3Options;
  /**
   * When a write is acknowledged: 'fsync' (after the local WAL's fsync), 'buffered' (after the local
   * write; fsync on a timer), 'object-store' (after its WAL batch is durable in the object store as
   * well: survives the loss of the local disk; the local WAL is then written without fsync).
   * @default 'fsync'
   */
  durability?: Durability;
  /** Rows in the active segment that trigger sealing. @default 50_000 */
  segmentVectorsMax?: number;
  /** `buffered` durability: how often the WAL is fsynced, in ms. @default 1_000 */
  bufferedFlushIntervalMs?: number;
  /** Per-collection WAL bytes accepted but not yet written before writers wait. @default 67_108_864 (64 MiB) */
  walPendingBytesMax?: number;
  /** Tier budgets and idle times (see TIERING_DEFAULTS). */
  tiering?: TieringOptions;
  /** The uploader to the object store: concurrency, retries, circuit breaker, dead letters. */
  uploads?: StoreUploadsOptions;
  /** Receives every tier transition and failed promotion of every collection. */
  onTierEvent?: TierEventListener;
  /** @default real time */
  clock?: Clock;
  /** Quota applied to every tenant without its own entry in `tenants`. @default unlimited */
  tenantQuota?: TenantQuota;
  /** Per-tenant settings, by tenant name. */
  tenants?: Record<string, { quota?: TenantQuota }>;
  /** Receives warnings (truncated WAL tails, failed seals, …). @default process.emitWarning */
  onWarning?: WarningListener;
  /**
   * Take the writer lease of `objectStore` (one writer per object-store prefix; see README "Scaling
   * out"): `true` for the default duration, or `{ durationMs }`. A second writer is refused with
   * LEASE_HELD while the lease is live. @default false (no lease)
   */
  lease?: boolean | LeaseOption;
  /** `true` opens a read replica instead (see ReplicaStoreOptions). @default false */
  readOnly?: false;
}

export const STORE_DEFAULTS = Object.freeze({
  durability: 'fsync' as Durability,
  segmentVectorsMax: 50_000,
  bufferedFlushIntervalMs: 1_000,
  walPendingBytesMax: 64 * 2 ** 20,
});

export interface ResolvedStoreOptions {
  readonly dir: string;
  readonly objectStore: ObjectStore | undefined;
  readonly durability: Durability;
  readonly segmentVectorsMax: number;
  readonly bufferedFlushIntervalMs: number;
  readonly walPendingBytesMax: number;
  readonly tiering: ResolvedTieringOptions;
  readonly uploads: StoreUploadsOptions;
  readonly onTierEvent: TierEventListener | undefined;
  readonly clock: Clock;
  readonly tenantQuota: Readonly<TenantQuota>;
  readonly tenantQuotas: ReadonlyMap<string, Readonly<TenantQuota>>;
  readonly onWarning: WarningListener;
  readonly lease: LeaseOption | undefined;
}

/** What each `openStore` option may be; any other key is rejected. */
export const STORE_LIMITS = Object.freeze({
  dir: matching<string>(
    'a non-empty path (required unless `url` is given)',
    (value) => typeof value === 'string' && value.length > 0,
  ),
  objectStore: optional(
    withMethods<ObjectStore>('an object with methods put, get, head, delete, list', [
      'put',
      'get',
      'head',
      'delete',
      'list',
    ]),
  ),
  durability: oneOf(['fsync', 'buffered', 'object-store']),
  segmentVectorsMax: integer(1, LIMITS.segmentVectorsMaxLimit),
  bufferedFlushIntervalMs: integer(1, 3_600_000),
  walPendingBytesMax: integer(1, Number.MAX_SAFE_INTEGER),
  tiering: custom((value) => resolveTieringOptions(value)),
  uploads: custom(
    (value): StoreUploadsOptions =>
      checkOptions(value ?? {}, STORE_UPLOADS_LIMITS, PARALLEL_UPLOADER_DEFAULTS, 'uploads'),
  ),
  onTierEvent: optional(callback<TierEventListener>()),
  clock: CLOCK_OPTION,
  tenantQuota: custom((value, path) => validateTenantQuota(path, value)),
  tenants: custom((value, path) => validateTenants(value, path)),
  onWarning: callback<WarningListener>(),
  lease: custom((value, path) => validateLease(value, path)),
  readOnly: optional(oneOf([false])),
});

export function resolveStoreOptions(input: unknown): ResolvedStoreOptions {
  const { tenants, ...options } = checkOptions(input, STORE_LIMITS, {
    ...STORE_DEFAULTS,
    clock: systemClock,
    onWarning: defaultWarningListener,
  });
  return { ...options, tenantQuotas: tenants };
}

const LEASE_LIMITS = Object.freeze({ durationMs: integer(300, 3_600_000) });

/** `lease`: true, false, absent, or `{ durationMs }`; resolved to the lease's options or undefined. */
function validateLease(value: unknown, path: string): LeaseOption | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOption(path, 'a boolean or an object { durationMs }', value);
  }
  return checkOptions(value, LEASE_LIMITS, {}, path);
}

const TENANT_LIMITS = Object.freeze({
  quota: custom((value, path) => validateTenantQuota(path, value)),
});

/** `tenants`: per-tenant settings by tenant name, each checked against TENANT_LIMITS. */
function validateTenants(input: unknown, path: string): Map<string, Readonly<TenantQuota>> {
  const tenants = input ?? {};
  if (typeof tenants !== 'object' || Array.isArray(tenants)) throw invalidOption(path, 'an object', input);
  const result = new Map<string, Readonly<TenantQuota>>();
  for (const [name, settings] of Object.entries(tenants)) {
    validateName('tenant name in `tenants`', name);
    result.set(name, checkOptions(settings, TENANT_LIMITS, {}, `${path}.${name}`).quota);
  }
  return result;
}
