/**
 * Quotas: limits on live documents and their bytes per collection, and on collections, documents and
 * bytes per tenant. A write that would cross one is refused with QUOTA_EXCEEDED before anything is
 * written; the error names the quota, its limit, what is held and what the call adds. Writes that
 * shrink usage (deletes, smaller overwrites) are never refused.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { checkOptions, integer, optional } from '../options.ts';

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

/** What each quota may be (absent: unlimited); any other key is rejected. */
export const TENANT_QUOTA_LIMITS = Object.freeze({
  collectionsMax: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  vectorsMax: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  bytesMax: optional(integer(0, Number.MAX_SAFE_INTEGER)),
});

export function validateTenantQuota(what: string, input: unknown): Readonly<TenantQuota> {
  const checked = checkOptions(input ?? {}, TENANT_QUOTA_LIMITS, {}, what);
  // Only the quotas that are set, so a stored or printed quota lists what limits something.
  return Object.freeze(
    Object.fromEntries(Object.entries(checked).filter(([, limit]) => limit !== undefined)),
  );
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
