/**
 * Reads `[target]` and its sub-tables: which object store backs the cold tier, the store's
 * durability, segment size, HNSW parameters and tier budgets, the mock S3's latency and faults,
 * tenants with their quotas, and background work. Byte sizes accept an integer or a string with a
 * binary unit ("64MiB", "2GiB").
 */

import {
  type HnswConfig,
  type MockS3Config,
  OBJECT_STORE_KINDS,
  type S3Config,
  type TenantConfig,
  TIER_SCOPES,
  type TieringConfig,
  type UploadsConfig,
} from '../targets/tiervec-config.ts';
import { FAULT_CODES, isFaultCode } from '../targets/tiervec-object-store.ts';
import type { ReplicasConfig } from '../targets/tiervec-replicas.ts';
import type { BackgroundSpec, FaultSpec, TargetSpec } from './scenario-types.ts';
import type { TableReader } from './table-reader.ts';

const BYTE_UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };
const PCT = { above: 0, max: 100 } as const;
const DURABILITIES = ['fsync', 'buffered', 'object-store'] as const;

export function readTarget(table: TableReader | undefined): TargetSpec {
  const target: TargetSpec = {
    objectStore: table?.choice('object_store', OBJECT_STORE_KINDS, 'mock') ?? 'mock',
    durability: table?.choice('durability', DURABILITIES, 'fsync') ?? 'fsync',
    segmentVectorsMax: table?.number('segment_vectors_max', { integer: true, min: 1 }, undefined),
    shortSegmentVectorsMax: table?.number('short_segment_vectors_max', { integer: true, min: 1 }, undefined),
    hnsw: readHnsw(table?.table('hnsw')),
    tiering: readTiering(table?.table('tiering')),
    shortTiering: readTiering(table?.table('short_tiering')),
    mockS3: readMockS3(table?.table('mock_s3')),
    s3: readS3(table?.table('s3')),
    uploads: readUploads(table?.table('uploads')),
    faults: (table?.tables('fault') ?? []).map(readFault),
    tenants: readTenants(table),
    background: readBackground(table?.table('background')),
    verifyAcknowledgedWrites: table?.boolean('verify_acknowledged_writes', false) ?? false,
    compactAfterPreload: table?.boolean('compact_after_preload', false) ?? false,
    tierScope: table?.choice('tier_scope', TIER_SCOPES, 'segment') ?? 'segment',
    replicas: readReplicas(table?.table('replicas')),
  };
  table?.done();
  return target;
}

/** A byte size: a non-negative integer, or a string such as "512KiB" or "2GiB". */
export function readBytes(table: TableReader, key: string): number | undefined {
  const raw = table.raw(key);
  if (raw === undefined) return undefined;
  let bytes: number | undefined;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) bytes = raw;
  if (typeof raw === 'string') {
    const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)$/.exec(raw.trim());
    if (match) bytes = Math.round(Number(match[1]) * (BYTE_UNITS[match[2] as string] as number));
  }
  // Checked here, where the file and line are known, not later by the store's own option check.
  if (bytes !== undefined && bytes <= Number.MAX_SAFE_INTEGER) return bytes;
  throw table.error(
    key,
    `expected a size in bytes (an integer up to ${Number.MAX_SAFE_INTEGER}, or a string like "64MiB"), got ${JSON.stringify(raw)}`,
  );
}

function readHnsw(table: TableReader | undefined): HnswConfig {
  const hnsw: HnswConfig = {
    m: table?.number('m', { integer: true, min: 2, max: 128 }, undefined),
    efConstruction: table?.number('ef_construction', { integer: true, min: 1, max: 10_000 }, undefined),
    efSearch: table?.number('ef_search', { integer: true, min: 1, max: 10_000 }, undefined),
  };
  table?.done();
  return hnsw;
}

function readTiering(table: TableReader | undefined): TieringConfig | undefined {
  if (table === undefined) return undefined;
  const tiering: TieringConfig = {
    hotBytesMax: readBytes(table, 'hot_bytes_max'),
    warmBytesMax: readBytes(table, 'warm_bytes_max'),
    hotIdleMs: table.number('hot_idle_ms', { min: 0 }, undefined),
    warmIdleMs: table.number('warm_idle_ms', { min: 0 }, undefined),
  };
  table.done();
  return tiering;
}

function readMockS3(table: TableReader | undefined): MockS3Config {
  const spec: MockS3Config = {
    latencyMs: table?.number('latency_ms', { min: 0, max: 60_000 }, 0) ?? 0,
    jitterMs: table?.number('jitter_ms', { min: 0, max: 60_000 }, 0) ?? 0,
    requestsPerSMax: table?.number('requests_per_s_max', { above: 0 }, undefined),
  };
  table?.done();
  return spec;
}

function readS3(table: TableReader | undefined): S3Config {
  const spec: S3Config = {
    endpoint: table?.string('endpoint', undefined),
    bucket: table?.string('bucket', undefined),
    region: table?.string('region', 'us-east-1') ?? 'us-east-1',
    forcePathStyle: table?.boolean('force_path_style', true) ?? true,
  };
  table?.done();
  return spec;
}

/** An S3 error code the mock can inject (`InternalError`, `SlowDown`, `NetworkError`, …). */
function readErrorCode(table: TableReader, fallback: string): string {
  const code = table.string('code', fallback);
  if (!isFaultCode(code)) {
    throw table.error('code', `expected an S3 error code (${FAULT_CODES.join(', ')}), got "${code}"`);
  }
  return code;
}

function readUploads(table: TableReader | undefined): UploadsConfig {
  const count = { integer: true, min: 1, max: 1_000_000 } as const;
  const ms = { min: 0, max: 3_600_000 } as const;
  const spec: UploadsConfig = {
    concurrencyMax: table?.number('concurrency_max', count, undefined),
    attemptsMax: table?.number('attempts_max', { integer: true, min: 1, max: 100 }, undefined),
    delayMsBase: table?.number('delay_ms_base', ms, undefined),
    delayMsMax: table?.number('delay_ms_max', ms, undefined),
    breakerFailuresMax: table?.number('breaker_failures_max', count, undefined),
    breakerCooldownMs: table?.number('breaker_cooldown_ms', { min: 0, max: 86_400_000 }, undefined),
  };
  table?.done();
  return spec;
}

function readFault(table: TableReader): FaultSpec {
  const kind = table.choice('kind', ['partition', 'random_partitions', 'flaky'] as const);
  let fault: FaultSpec;
  if (kind === 'partition') {
    const startPct = table.number('start_pct', { min: 0, max: 100 });
    const lengthPct = table.number('length_pct', PCT);
    if (startPct + lengthPct > 100) {
      throw table.error(
        'length_pct',
        `the partition runs to ${startPct + lengthPct}% of the run; expected at most 100%`,
      );
    }
    fault = { kind, startPct, lengthPct, code: readErrorCode(table, 'NetworkError') };
  } else if (kind === 'random_partitions') {
    fault = {
      kind,
      count: table.number('count', { integer: true, min: 1, max: 1000 }),
      lengthPct: table.number('length_pct', { above: 0, max: 50 }),
      code: readErrorCode(table, 'NetworkError'),
    };
  } else {
    fault = {
      kind,
      rate: table.number('rate', { min: 0, max: 1 }),
      code: readErrorCode(table, 'InternalError'),
      operations: table.strings('operations', ['put', 'get', 'head', 'delete', 'list']),
    };
  }
  table.done();
  return fault;
}

/** The most tenants one scenario may declare (each owns a block of the generator's vector indexes). */
export const SCENARIO_TENANTS_MAX = 16;

function readTenants(table: TableReader | undefined): TenantConfig[] {
  const readers = table?.tables('tenant') ?? [];
  if (readers.length > SCENARIO_TENANTS_MAX) {
    throw (readers[SCENARIO_TENANTS_MAX] as TableReader).error(
      undefined,
      `expected at most ${SCENARIO_TENANTS_MAX} tenants`,
    );
  }
  const tenants = readers.map((tenant) => {
    const name = tenant.string('name');
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name)) {
      throw tenant.error('name', `expected lowercase letters, digits, '_' or '-', got "${name}"`);
    }
    const spec: TenantConfig = {
      name,
      vectorsMax: tenant.number('vectors_max', { integer: true, min: 1 }, undefined),
      bytesMax: readBytes(tenant, 'bytes_max'),
      preloadWeight: tenant.number('preload_weight', { min: 0 }, 1),
      noisy: tenant.boolean('noisy', false),
    };
    tenant.done();
    return spec;
  });
  const names = new Set<string>();
  tenants.forEach((tenant, index) => {
    if (names.has(tenant.name)) {
      throw (readers[index] as TableReader).error('name', `duplicate tenant "${tenant.name}"`);
    }
    names.add(tenant.name);
  });
  return tenants;
}

/** `[target.replicas]`: read-replica processes that answer the searches (s3rver or s3 only). */
function readReplicas(table: TableReader | undefined): ReplicasConfig | undefined {
  if (table === undefined) return undefined;
  const replicas: ReplicasConfig = {
    count: table.number('count', { integer: true, min: 1, max: 16 }, 2),
    pollMs: table.number('poll_ms', { integer: true, min: 10, max: 3_600_000 }, 1_000),
  };
  table.done();
  return replicas;
}

function readBackground(table: TableReader | undefined): BackgroundSpec | undefined {
  if (table === undefined) return undefined;
  const spec: BackgroundSpec = {
    startPct: table.number('start_pct', { min: 0, max: 100 }, 50),
    compactEveryPct: table.number('compact_every_pct', PCT, undefined),
    tierCycleEveryPct: table.number('tier_cycle_every_pct', PCT, undefined),
  };
  table.done();
  if (spec.compactEveryPct === undefined && spec.tierCycleEveryPct === undefined) {
    throw table.error(undefined, 'expected compact_every_pct or tier_cycle_every_pct');
  }
  return spec;
}
