/**
 * `openStore` options: their defaults (one frozen object, which the README's table is tested against)
 * and their validation. The tier options (`objectStore`, `tiering`, `uploads`, `onTierEvent`) are
 * resolved with the tiering layer's own defaults (`TIERING_DEFAULTS`, the uploaders' defaults).
 */

import { type Clock, systemClock } from '../clock.ts';
import { checkInteger, describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LIMITS } from './limits.ts';
import type { ObjectStore } from './object-store/object-store.ts';
import { type TenantQuota, validateTenantQuota } from './quota.ts';
import { defaultWarningListener, type WarningListener } from './store-warning.ts';
import { type StoreUploadsOptions, UPLOADS_OPTION_KEYS } from './tiering/object-tier.ts';
import type { TierEventListener } from './tiering/tier-accounting.ts';
import {
  type ResolvedTieringOptions,
  resolveTieringOptions,
  type TieringOptions,
} from './tiering/tiering-options.ts';
import { checkOptionsObject, validateName } from './validation.ts';

export type { TieringOptions };

export type Durability = 'fsync' | 'buffered' | 'object-store';

export interface StoreOptions {
  /** Directory for the catalog, WALs and segment files; created when missing. */
  dir: string;
  /** Cold tier. @default new LocalObjectStore({ dir: `${dir}/objects` }) */
  objectStore?: ObjectStore;
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
}

const OPTION_KEYS = [
  'dir',
  'objectStore',
  'durability',
  'segmentVectorsMax',
  'bufferedFlushIntervalMs',
  'walPendingBytesMax',
  'tiering',
  'uploads',
  'onTierEvent',
  'clock',
  'tenantQuota',
  'tenants',
  'onWarning',
];

function invalid(option: string, expected: string, value: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`,
    {
      details: { option, value },
    },
  );
}

function checkMethods(option: string, value: unknown, methods: readonly string[]): void {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
  if (!ok) throw invalid(option, `an object with methods ${methods.join(', ')}`, value);
}

export function resolveStoreOptions(input: unknown): ResolvedStoreOptions {
  const given = checkOptionsObject('openStore options', input, OPTION_KEYS);
  // Defaults first, then every option the caller set (an explicit undefined means "the default").
  const options: Record<string, unknown> = { ...STORE_DEFAULTS };
  for (const [key, value] of Object.entries(given)) if (value !== undefined) options[key] = value;
  if (typeof options.dir !== 'string' || options.dir.length === 0)
    throw invalid('dir', 'a non-empty path', options.dir);
  if (!['fsync', 'buffered', 'object-store'].includes(options.durability as string)) {
    throw invalid('durability', "'fsync', 'buffered' or 'object-store'", options.durability);
  }
  if (options.objectStore !== undefined)
    checkMethods('objectStore', options.objectStore, ['put', 'get', 'head', 'delete', 'list']);
  const clock = (options.clock ?? systemClock) as Clock;
  checkMethods('clock', clock, ['now', 'setTimeout', 'clearTimeout']);
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw invalid('onWarning', 'a function', options.onWarning);
  }
  if (options.onTierEvent !== undefined && typeof options.onTierEvent !== 'function') {
    throw invalid('onTierEvent', 'a function', options.onTierEvent);
  }
  return {
    dir: options.dir,
    objectStore: options.objectStore as ObjectStore | undefined,
    durability: options.durability as Durability,
    segmentVectorsMax: checkInteger(
      'segmentVectorsMax',
      options.segmentVectorsMax,
      1,
      LIMITS.segmentVectorsMaxLimit,
    ),
    bufferedFlushIntervalMs: checkInteger(
      'bufferedFlushIntervalMs',
      options.bufferedFlushIntervalMs,
      1,
      3_600_000,
    ),
    walPendingBytesMax: checkInteger(
      'walPendingBytesMax',
      options.walPendingBytesMax,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    tiering: resolveTieringOptions(options.tiering),
    uploads: checkOptionsObject('uploads', options.uploads ?? {}, UPLOADS_OPTION_KEYS) as StoreUploadsOptions,
    onTierEvent: options.onTierEvent as TierEventListener | undefined,
    clock,
    tenantQuota: validateTenantQuota('tenantQuota', options.tenantQuota),
    tenantQuotas: validateTenants(options.tenants),
    onWarning: (options.onWarning as WarningListener | undefined) ?? defaultWarningListener,
  };
}

function validateTenants(input: unknown): Map<string, Readonly<TenantQuota>> {
  const tenants = checkOptionsObject(
    'tenants',
    input ?? {},
    Object.keys((input as object | undefined) ?? {}),
  );
  const result = new Map<string, Readonly<TenantQuota>>();
  for (const [name, settings] of Object.entries(tenants)) {
    validateName('tenant name in `tenants`', name);
    const checked = checkOptionsObject(`tenants.${name}`, settings, ['quota']);
    result.set(name, validateTenantQuota(`tenants.${name}.quota`, checked.quota));
  }
  return result;
}
