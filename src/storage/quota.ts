/**
 * Quotas: limits on live documents and their bytes per collection, and on collections, documents and
 * bytes per tenant. A write that would cross one is refused with QUOTA_EXCEEDED before anything is
 * written; the error names the quota, its limit, what is held and what the call adds. Writes that
 * shrink usage (deletes, smaller overwrites) are never refused.
 */

import { checkInteger, ErrorCode, TierVecError } from '../errors.ts';
import { checkOptionsObject } from './validation.ts';

export interface TenantQuota {
  /** Collections the tenant may own. @default unlimited */
  collectionsMax?: number;
  /** Live documents across the tenant's collections. @default unlimited */
  vectorsMax?: number;
  /** Bytes of live documents (id + vector + metadata JSON) across the tenant's collections. @default unlimited */
  bytesMax?: number;
}

export interface Usage {
  vectors: number;
  bytes: number;
}

export function validateTenantQuota(what: string, input: unknown): Readonly<TenantQuota> {
  const quota = checkOptionsObject(what, input ?? {}, ['collectionsMax', 'vectorsMax', 'bytesMax']);
  const result: TenantQuota = {};
  for (const key of ['collectionsMax', 'vectorsMax', 'bytesMax'] as const) {
    if (quota[key] !== undefined)
      result[key] = checkInteger(`${what}.${key}`, quota[key], 0, Number.MAX_SAFE_INTEGER);
  }
  return Object.freeze(result);
}

/**
 * Throws QUOTA_EXCEEDED when `held + adding` would exceed `limit`; `adding <= 0` always passes.
 * `scope` reads like `collection "docs"` or `tenant "acme"`.
 */
export function checkLimit(
  scope: string,
  quota: string,
  limit: number | undefined,
  held: number,
  adding: number,
  unit: string,
): void {
  if (limit === undefined || adding <= 0 || held + adding <= limit) return;
  throw new TierVecError(
    ErrorCode.QUOTA_EXCEEDED,
    `Quota ${quota} of ${scope} is ${limit} ${unit}; it holds ${held} and this call adds ${adding}`,
    { details: { scope, quota, limit, held, adding } },
  );
}
