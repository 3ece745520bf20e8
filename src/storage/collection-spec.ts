/**
 * What a collection is: its name, dimension, metric, HNSW parameters and quota, with the defaults
 * and the validation that turns a caller's spec into a complete, frozen one. The spec is persisted in
 * the store catalog and in every manifest, so it must stay plain JSON.
 */

import { checkInteger, describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LIMITS } from './limits.ts';
import { METRICS, type Metric } from './metric.ts';
import { checkOptionsObject, validateName } from './validation.ts';

export interface HnswParams {
  /** Links per node on the upper layers (twice that on the bottom layer). @default 16 */
  m: number;
  /** Candidate list size while building. @default 200 */
  efConstruction: number;
  /** Candidate list size while searching, when a search does not pass `ef`. @default 64 */
  efSearch: number;
}

export interface CollectionQuota {
  /** Live documents the collection may hold. @default unlimited */
  vectorsMax?: number;
  /** Bytes of live documents (id + vector + metadata JSON) the collection may hold. @default unlimited */
  bytesMax?: number;
}

export interface CollectionSpecInput {
  name: string;
  dimension: number;
  /** @default 'cosine' */
  metric?: Metric;
  /** @default 'default' */
  tenant?: string;
  hnsw?: Partial<HnswParams>;
  quota?: CollectionQuota;
}

export interface CollectionSpec {
  readonly name: string;
  readonly tenant: string;
  readonly dimension: number;
  readonly metric: Metric;
  readonly hnsw: Readonly<HnswParams>;
  readonly quota: Readonly<CollectionQuota>;
}

export const COLLECTION_DEFAULTS = Object.freeze({
  metric: 'cosine' as Metric,
  tenant: 'default',
  hnsw: Object.freeze({ m: 16, efConstruction: 200, efSearch: 64 }),
});

const SPEC_KEYS = ['name', 'dimension', 'metric', 'tenant', 'hnsw', 'quota'];
const HNSW_KEYS = ['m', 'efConstruction', 'efSearch'];
const QUOTA_KEYS = ['vectorsMax', 'bytesMax'];

/** Checks a caller's collection spec and returns the complete spec with defaults filled in. */
export function validateCollectionSpec(input: unknown): CollectionSpec {
  const spec = checkOptionsObject('createCollection spec', input, SPEC_KEYS);
  if (spec.name === undefined) {
    throw new TierVecError(ErrorCode.INVALID_NAME, 'Expected `name` in the collection spec, got undefined');
  }
  const name = validateName('collection name', spec.name);
  const tenant = validateName('tenant name', spec.tenant ?? COLLECTION_DEFAULTS.tenant);
  const dimension = checkInteger('dimension', spec.dimension, 1, LIMITS.dimensionMax);
  const metric = spec.metric ?? COLLECTION_DEFAULTS.metric;
  if (!METRICS.includes(metric as Metric)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`metric\` to be one of ${METRICS.map((m) => `'${m}'`).join(', ')}, got ${describeValue(metric)}`,
      { details: { option: 'metric', value: metric } },
    );
  }
  return Object.freeze({
    name,
    tenant,
    dimension,
    metric: metric as Metric,
    hnsw: validateHnswParams(spec.hnsw),
    quota: validateCollectionQuota(spec.quota),
  });
}

function validateHnswParams(input: unknown): Readonly<HnswParams> {
  const hnsw = checkOptionsObject('hnsw', input ?? {}, HNSW_KEYS);
  const defaults = COLLECTION_DEFAULTS.hnsw;
  return Object.freeze({
    m: checkInteger('hnsw.m', hnsw.m ?? defaults.m, LIMITS.hnswMMin, LIMITS.hnswMMax),
    efConstruction: checkInteger(
      'hnsw.efConstruction',
      hnsw.efConstruction ?? defaults.efConstruction,
      1,
      LIMITS.efMax,
    ),
    efSearch: checkInteger('hnsw.efSearch', hnsw.efSearch ?? defaults.efSearch, 1, LIMITS.efMax),
  });
}

/** Quota limits are positive integers; an absent one means no limit. */
export function validateCollectionQuota(input: unknown): Readonly<CollectionQuota> {
  const quota = checkOptionsObject('quota', input ?? {}, QUOTA_KEYS);
  const result: CollectionQuota = {};
  if (quota.vectorsMax !== undefined) {
    result.vectorsMax = checkInteger('quota.vectorsMax', quota.vectorsMax, 0, Number.MAX_SAFE_INTEGER);
  }
  if (quota.bytesMax !== undefined) {
    result.bytesMax = checkInteger('quota.bytesMax', quota.bytesMax, 0, Number.MAX_SAFE_INTEGER);
  }
  return Object.freeze(result);
}

/** True when two specs describe the same collection (used to cross-check catalog and manifest). */
export function sameSpec(a: CollectionSpec, b: CollectionSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** How two specs differ: each field (`dimension`, `metric`, `hnsw.m`, `quota.bytesMax`, …) with both values. */
export function specDifferences(
  existing: CollectionSpec,
  requested: CollectionSpec,
): { field: string; existing: unknown; requested: unknown }[] {
  const fields: [string, unknown, unknown][] = [
    ['dimension', existing.dimension, requested.dimension],
    ['metric', existing.metric, requested.metric],
    ...HNSW_KEYS.map((key): [string, unknown, unknown] => [
      `hnsw.${key}`,
      existing.hnsw[key as keyof HnswParams],
      requested.hnsw[key as keyof HnswParams],
    ]),
    ...QUOTA_KEYS.map((key): [string, unknown, unknown] => [
      `quota.${key}`,
      existing.quota[key as keyof CollectionQuota],
      requested.quota[key as keyof CollectionQuota],
    ]),
  ];
  return fields.filter(([, a, b]) => a !== b).map(([field, a, b]) => ({ field, existing: a, requested: b }));
}
