/**
 * The store's figures as OpenMetrics families (prom-client), read at scrape time from a snapshot
 * of `stats()`: vectors, segments and bytes per tier, tier transitions and bytes moved, uploads
 * (queued, in flight, uploaded, retried, dead-lettered, replayed), the circuit breaker's state,
 * dead letters, the WAL (bytes, pending bytes, records, fsyncs), publishes to the object store and
 * the object-store WAL. `Store#metrics()` renders them for services that embed the store; the load
 * harness's metrics endpoint registers the same families. It only reads stats: it never changes
 * the store, never starts a server and never reads a clock.
 */

import {
  Counter,
  Gauge,
  type OpenMetricsContentType,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import type { CollectionStats } from './collection-stats.ts';
import type { UploadsStats } from './tiering/object-tier.ts';

/** What one scrape reads: the store's and every open collection's stats, and the shared uploader's. */
export interface StoreMetricsSnapshot {
  /** The parts of `Store#stats()` read here (typed apart, so that store.ts and this file do not import each other). */
  store: { collections: number; warnings: number };
  collections: readonly CollectionStats[];
  uploads: UploadsStats;
}

const TIERS = ['hot', 'warm', 'cold'] as const;
const TRANSITIONS = ['hotToWarm', 'warmToCold', 'coldToWarm', 'warmToHot'] as const;
const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

type Labels = Record<string, string>;
type Read = (snapshot: StoreMetricsSnapshot, set: (labels: Labels, value: number) => void) => void;

interface Family {
  name: string;
  help: string;
  labelNames: string[];
  read: Read;
}

const ofCollection = (c: CollectionStats): Labels => ({ tenant: c.tenant, collection: c.name });

/** Per-collection values: one sample per open collection. */
function perCollection(pick: (c: CollectionStats) => number | undefined): Read {
  return (snapshot, set) => {
    for (const c of snapshot.collections) {
      const value = pick(c);
      if (value !== undefined && Number.isFinite(value)) set(ofCollection(c), value);
    }
  };
}

function perTier(pick: (tier: CollectionStats['tiers']['hot']) => number): Read {
  return (snapshot, set) => {
    for (const c of snapshot.collections)
      for (const tier of TIERS) set({ ...ofCollection(c), tier }, pick(c.tiers[tier]));
  };
}

function perTransition(pick: (c: CollectionStats, kind: (typeof TRANSITIONS)[number]) => number): Read {
  return (snapshot, set) => {
    for (const c of snapshot.collections)
      for (const kind of TRANSITIONS) set({ ...ofCollection(c), kind }, pick(c, kind));
  };
}

const COLLECTION_LABELS = ['tenant', 'collection'];

/** A family with one sample per open collection. */
function collectionFamily(
  name: string,
  help: string,
  pick: (c: CollectionStats) => number | undefined,
): Family {
  return { name, help, labelNames: COLLECTION_LABELS, read: perCollection(pick) };
}

const GAUGES: readonly Family[] = [
  {
    name: 'tiervec_store_collections',
    help: 'Open collections',
    labelNames: [],
    read: (s, set) => set({}, s.store.collections),
  },
  collectionFamily('tiervec_store_vectors', 'Live vectors per collection', (c) => c.vectors),
  {
    name: 'tiervec_store_segments',
    help: 'Sealed segments per tier',
    labelNames: [...COLLECTION_LABELS, 'tier'],
    read: perTier((t) => t.segments),
  },
  {
    name: 'tiervec_store_tier_bytes',
    help: 'Bytes of sealed segments per tier',
    labelNames: [...COLLECTION_LABELS, 'tier'],
    read: perTier((t) => t.bytes),
  },
  collectionFamily(
    'tiervec_store_wal_bytes',
    'Bytes in WAL files not yet released by a seal',
    (c) => c.wal.bytes,
  ),
  collectionFamily(
    'tiervec_store_wal_pending_bytes',
    'WAL bytes accepted and not yet written',
    (c) => c.wal.pendingBytes,
  ),
  collectionFamily(
    'tiervec_store_wal_records',
    'Records in WAL files not yet released by a seal',
    (c) => c.wal.records,
  ),
  collectionFamily('tiervec_store_seals_queued', 'Segments waiting to be sealed', (c) => c.seals.queued),
  collectionFamily(
    'tiervec_store_object_wal_pending_records',
    'Records waiting for their object-store WAL batch (durability object-store)',
    (c) => c.tiering.remoteWal?.pendingRecords,
  ),
  {
    name: 'tiervec_store_uploads_queued',
    help: 'Uploads waiting for a slot',
    labelNames: [],
    read: (s, set) => set({}, s.uploads.queued),
  },
  {
    name: 'tiervec_store_uploads_in_flight',
    help: 'Uploads running',
    labelNames: [],
    read: (s, set) => set({}, s.uploads.inFlight),
  },
  {
    name: 'tiervec_store_dead_letters',
    help: "Entries in the store's dead-letter queue",
    labelNames: [],
    read: (s, set) => set({}, s.uploads.deadLetters),
  },
  {
    name: 'tiervec_store_circuit_breaker_state',
    help: "The uploader's circuit breaker: 1 for its current state, 0 for the others",
    labelNames: ['state'],
    read: (s, set) => {
      for (const state of BREAKER_STATES) set({ state }, s.uploads.breaker.state === state ? 1 : 0);
    },
  },
];

const COUNTERS: readonly Family[] = [
  {
    name: 'tiervec_store_tier_transitions',
    help: 'Segments moved between tiers, by direction',
    labelNames: [...COLLECTION_LABELS, 'kind'],
    read: perTransition((c, kind) => c.transitions[kind]),
  },
  {
    name: 'tiervec_store_tier_moved_bytes',
    help: 'Bytes moved between tiers, by direction',
    labelNames: [...COLLECTION_LABELS, 'kind'],
    read: perTransition((c, kind) => c.transitions.bytesMoved[kind]),
  },
  {
    name: 'tiervec_store_uploads',
    help: 'Uploads by outcome: uploaded, retried (attempts), dead_lettered, replayed',
    labelNames: ['outcome'],
    read: (s, set) => {
      set({ outcome: 'uploaded' }, s.uploads.uploaded);
      set({ outcome: 'retried' }, s.uploads.retried);
      set({ outcome: 'dead_lettered' }, s.uploads.deadLettered);
      set({ outcome: 'replayed' }, s.uploads.replayed);
    },
  },
  {
    name: 'tiervec_store_circuit_breaker_opened',
    help: 'Times the circuit breaker opened',
    labelNames: [],
    read: (s, set) => set({}, s.uploads.breaker.opened),
  },
  collectionFamily('tiervec_store_wal_fsyncs', 'fsync calls of the WAL', (c) => c.wal.fsyncs),
  collectionFamily(
    'tiervec_store_publishes',
    'Manifests published to the object store',
    (c) => c.tiering.remote.publishes,
  ),
  collectionFamily(
    'tiervec_store_publish_failures',
    'Manifest publishes that failed',
    (c) => c.tiering.remote.publishFailures,
  ),
  {
    name: 'tiervec_store_warnings',
    help: 'Warnings the store reported (onWarning)',
    labelNames: [],
    read: (s, set) => set({}, s.store.warnings),
  },
];

/**
 * Registers the store's families in `registry`; each scrape calls `snapshot()` once per family and
 * reports nothing for a family when it returns undefined (the store is closed or not open yet).
 */
export function registerStoreMetrics(
  registry: Registry<PrometheusContentType> | Registry<OpenMetricsContentType>,
  snapshot: () => StoreMetricsSnapshot | undefined,
): void {
  const config = (family: Family) => ({
    name: family.name,
    help: family.help,
    labelNames: family.labelNames,
    registers: [registry],
  });
  for (const family of GAUGES) {
    new Gauge({
      ...config(family),
      collect() {
        this.reset();
        const current = snapshot();
        if (current !== undefined) family.read(current, (labels, value) => this.set(labels, value));
      },
    });
  }
  for (const family of COUNTERS) {
    new Counter({
      ...config(family),
      // The store keeps the running totals: each scrape reports them as they stand.
      collect() {
        this.reset();
        const now = snapshot();
        if (now !== undefined) family.read(now, (labels, total) => this.inc(labels, total));
      },
    });
  }
}

/** A registry that renders OpenMetrics text (prom-client's typings omit the constructor's argument). */
export function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/** One snapshot as OpenMetrics text (ending with `# EOF`). */
export async function storeMetricsText(snapshot: StoreMetricsSnapshot): Promise<string> {
  const registry = openMetricsRegistry();
  registerStoreMetrics(registry, () => snapshot);
  return registry.metrics();
}
