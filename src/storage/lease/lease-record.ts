/**
 * The writer lease object: where it lives (`leases/writer.json`, beside `tenants/` under the store's
 * prefix, so one lease covers every collection of the prefix) and its bytes (JSON). `term` is the
 * fencing token: it grows by one each time another writer takes the lease over, and the manifests a
 * new holder publishes on takeover carry it (`leaseTerm`). No I/O here.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';

export const LEASE_KEY = 'leases/writer.json';

export interface LeaseRecord {
  readonly format: 1;
  /** Who holds it: a random id per opened store. */
  readonly holder: string;
  /** The fencing token: 1 for the first holder, one more on every takeover. */
  readonly term: number;
  readonly durationMs: number;
  /** Clock milliseconds of the holder when it last took or renewed the lease. */
  readonly renewedAtMs: number;
  /** After this (clock milliseconds) another writer may take the lease over; 0 once released. */
  readonly expiresAtMs: number;
}

export function encodeLease(record: LeaseRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record)}\n`);
}

function corrupt(what: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `Lease object ${describeValue(LEASE_KEY)} ${what}`, {
    cause,
    details: { key: LEASE_KEY },
  });
}

/** Parses the lease object; CORRUPT_DATA when it is not a lease record. */
export function decodeLease(bytes: Uint8Array): LeaseRecord {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw corrupt('is not JSON', error);
  }
  const record = value as Partial<LeaseRecord> | null;
  if (record === null || typeof record !== 'object' || record.format !== 1) throw corrupt('has no format 1');
  if (typeof record.holder !== 'string' || record.holder === '') throw corrupt('has no holder');
  for (const field of ['term', 'durationMs', 'renewedAtMs', 'expiresAtMs'] as const) {
    const number = record[field];
    if (typeof number !== 'number' || !Number.isSafeInteger(Math.floor(number)) || number < 0) {
      throw corrupt(`has ${field} ${describeValue(number)}, expected a number ≥ 0`);
    }
  }
  return record as LeaseRecord;
}
