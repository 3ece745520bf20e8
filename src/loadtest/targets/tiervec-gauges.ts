/**
 * The gauges the tiervec target offers the engine's sampler every second: segments, vectors and
 * bytes per tier, WAL bytes, seals queued, and, where the store and object store report them,
 * uploads queued and in flight, dead letters and the circuit breaker's state; the mock S3's request
 * counts; background jobs. Fields the store does not have yet are left out rather than reported as
 * zero. Synchronous and cheap: stats() of each collection, nothing awaited.
 */

import type { MockS3ObjectStore } from '../../object-store/testing/mock-s3.ts';
import type { TiervecBackground } from './tiervec-background.ts';
import type { TargetMeasurements } from './tiervec-measure.ts';
import type { TenantRuntime } from './tiervec-operations.ts';

const TIERS = ['hot', 'warm', 'cold'] as const;
/** Circuit-breaker states as numbers, for charts: closed 0, half-open 0.5, open 1. */
const BREAKER_STATES: Record<string, number> = { closed: 0, 'half-open': 0.5, open: 1 };

export function readGauges(
  tenants: Iterable<TenantRuntime>,
  mock: MockS3ObjectStore | undefined,
  measurements: TargetMeasurements,
  background: TiervecBackground | undefined,
): Record<string, number> {
  const gauges: Record<string, number> = {};
  const add = (name: string, value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value)) gauges[name] = (gauges[name] ?? 0) + value;
  };
  // Uploads, dead letters and the breaker belong to the store (one uploader for every collection):
  // each collection reports the same figures, so they are taken once, not summed.
  const max = (name: string, value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value))
      gauges[name] = Math.max(gauges[name] ?? 0, value);
  };
  for (const tenant of tenants) {
    const stats = tenant.collection.stats() as ReturnType<TenantRuntime['collection']['stats']> &
      Record<string, unknown>;
    add('vectors', stats.vectors);
    for (const tier of TIERS) {
      add(`segments_${tier}`, stats.tiers[tier]?.segments);
      add(`bytes_${tier}`, stats.tiers[tier]?.bytes);
    }
    add('wal_bytes', stats.wal.bytes);
    add('wal_pending_bytes', stats.wal.pendingBytes);
    add('seals_queued', stats.seals.queued);
    add('tier_transitions', transitionCount(stats.transitions));
    addUploads(max, stats);
  }
  let mockBytes = 0;
  if (mock !== undefined) {
    const s3 = mock.stats();
    mockBytes = s3.storedBytes;
    add('s3_in_flight', s3.total.inFlight);
    add('s3_requests', s3.total.requests);
    add('s3_failed', s3.total.failed);
    add('s3_partitioned', mock.partitioned ? 1 : 0);
  }
  if (background?.configured === true) {
    add('background_jobs', background.counts.compactions + background.counts.tierCycles);
    add('background_errors', background.counts.errors);
  }
  let warnings = 0;
  for (const count of measurements.warnings.values()) warnings += count;
  add('store_warnings', warnings);
  const rss = process.memoryUsage.rss();
  measurements.rssBytesMax = Math.max(measurements.rssBytesMax, rss);
  const peak = measurements.rssLessMockMax;
  if (rss - mockBytes > peak.rssBytes - peak.mockBytes)
    measurements.rssLessMockMax = { rssBytes: rss, mockBytes };
  return gauges;
}

/** The transitions a collection counted: the numbers directly under its `transitions` stats. */
export function transitionCount(transitions: unknown): number | undefined {
  if (typeof transitions !== 'object' || transitions === null) return undefined;
  let total = 0;
  for (const value of Object.values(transitions))
    if (typeof value === 'number' && Number.isFinite(value)) total += value;
  return total;
}

type Stats = Record<string, unknown>;
const record = (value: unknown): Stats | undefined =>
  typeof value === 'object' && value !== null ? (value as Stats) : undefined;

/** Upload, dead-letter and breaker figures, from `tiering.uploads` (or `uploads`) when the stats carry them. */
function addUploads(max: (name: string, value: unknown) => void, stats: Stats): void {
  const uploads = record(record(stats.tiering)?.uploads) ?? record(stats.uploads);
  if (uploads === undefined) return;
  max('uploads_queued', uploads.queued);
  max('uploads_in_flight', uploads.inFlight);
  max('dead_letters', uploads.deadLetters);
  const state = record(uploads.breaker)?.state;
  if (typeof state === 'string' && state in BREAKER_STATES) max('breaker_open', BREAKER_STATES[state]);
}
