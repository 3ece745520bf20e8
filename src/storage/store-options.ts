/**
 * `openStore` options: their defaults (one frozen object, which the README's table is tested against)
 * and their validation. Options for the tiers (`objectStore`, `tiering`, `durability: 'object-store'`)
 * are part of the type so callers can be written against the final shape; until the tiering layer
 * lands, `object-store` durability is refused and the other two are checked but not used.
 */

import { type Clock, systemClock } from '../clock.ts';
import { checkInteger, describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LIMITS } from './limits.ts';
import type { ObjectStore } from './object-store/object-store.ts';
import { type TenantQuota, validateTenantQuota } from './quota.ts';
import { defaultWarningListener, type WarningListener } from './store-warning.ts';
import { checkOptionsObject, validateName } from './validation.ts';

export type Durability = 'fsync' | 'buffered' | 'object-store';

export interface TieringOptions {
  /** Bytes of sealed segments kept in memory before the least recently used are demoted. */
  hotBytesMax?: number;
  /** Bytes of sealed segments kept on local disk before the least recently used go cold. */
  warmBytesMax?: number;
  /** A hot segment not searched for this long is demoted to warm. */
  hotIdleMs?: number;
  /** A warm segment not searched for this long is demoted to cold. */
  warmIdleMs?: number;
}

export interface StoreOptions {
  /** Directory for the catalog, WALs and segment files; created when missing. */
  dir: string;
  /** Cold tier (used once tiering lands). */
  objectStore?: ObjectStore;
  /** When a write is acknowledged. @default 'fsync' */
  durability?: Durability;
  /** Rows in the active segment that trigger sealing. @default 50_000 */
  segmentVectorsMax?: number;
  /** `buffered` durability: how often the WAL is fsynced, in ms. @default 1_000 */
  bufferedFlushIntervalMs?: number;
  /** Per-collection WAL bytes accepted but not yet written before writers wait. @default 67_108_864 (64 MiB) */
  walPendingBytesMax?: number;
  /** Tier budgets and idle times (used once tiering lands). */
  tiering?: TieringOptions;
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
  readonly durability: 'fsync' | 'buffered';
  readonly segmentVectorsMax: number;
  readonly bufferedFlushIntervalMs: number;
  readonly walPendingBytesMax: number;
  readonly tiering: Readonly<TieringOptions>;
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
  if (options.durability === 'object-store') {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      "Durability 'object-store' is not available yet (it needs the object-store tier); use 'fsync' or 'buffered'",
      { details: { option: 'durability', value: options.durability } },
    );
  }
  if (options.durability !== 'fsync' && options.durability !== 'buffered') {
    throw invalid('durability', "'fsync' or 'buffered'", options.durability);
  }
  if (options.objectStore !== undefined)
    checkMethods('objectStore', options.objectStore, ['put', 'get', 'head', 'delete', 'list']);
  const clock = (options.clock ?? systemClock) as Clock;
  checkMethods('clock', clock, ['now', 'setTimeout', 'clearTimeout']);
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw invalid('onWarning', 'a function', options.onWarning);
  }
  return {
    dir: options.dir,
    objectStore: options.objectStore as ObjectStore | undefined,
    durability: options.durability as 'fsync' | 'buffered',
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
    tiering: validateTiering(options.tiering),
    clock,
    tenantQuota: validateTenantQuota('tenantQuota', options.tenantQuota),
    tenantQuotas: validateTenants(options.tenants),
    onWarning: (options.onWarning as WarningListener | undefined) ?? defaultWarningListener,
  };
}

function validateTiering(input: unknown): Readonly<TieringOptions> {
  const tiering = checkOptionsObject('tiering', input ?? {}, [
    'hotBytesMax',
    'warmBytesMax',
    'hotIdleMs',
    'warmIdleMs',
  ]);
  const result: TieringOptions = {};
  for (const key of ['hotBytesMax', 'warmBytesMax', 'hotIdleMs', 'warmIdleMs'] as const) {
    if (tiering[key] !== undefined)
      result[key] = checkInteger(`tiering.${key}`, tiering[key], 0, Number.MAX_SAFE_INTEGER);
  }
  return Object.freeze(result);
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
