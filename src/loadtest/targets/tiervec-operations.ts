/**
 * The operations of the tiervec load target, each one call (or two, for `tier`) of the store's own
 * API on the collection of the calling group's tenant: `search`, `insert`, `update` (upsert of a live
 * id), `delete`, `metadata` (get by id), `tier` (tier control of one segment or the collection) and
 * `flush` (seal the active segment).
 * Random choices are drawn from the operation's seeded generator before the first await, so a run
 * replays. Errors are the store's, rethrown unchanged so the engine counts them by code; nothing is
 * skipped or simulated (a search with a wrong dimension fails, as it should).
 */

import { performance } from 'node:perf_hooks';
import { ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import type { Rng } from '../../random.ts';
import type { Collection } from '../../storage/collection.ts';
import type { SetTierResult } from '../../storage/tiering/tier-manager.ts';
import type { TierName } from '../../storage/tiering/tiering-options.ts';
import type { LoadOperation, OperationContext } from '../load-target.ts';
import type { OperationName, TierScope } from './tiervec-config.ts';
import type { IdPool, WriteLedger } from './tiervec-ledger.ts';
import type { Phase, TargetMeasurements } from './tiervec-measure.ts';
import type { RecallSample, RecallSampler } from './tiervec-recall.ts';
import type { Searcher } from './tiervec-replicas.ts';
import { TiervecWorkload } from './tiervec-workload.ts';

/** Rejections after which nothing was written, so the document's state is known to be unchanged. */
const REJECTED_UNWRITTEN: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.INVALID_KEY,
  ErrorCode.DIMENSION_MISMATCH,
  ErrorCode.INVALID_VECTOR,
  ErrorCode.METADATA_TOO_LARGE,
  ErrorCode.DUPLICATE_ID,
  ErrorCode.QUOTA_EXCEEDED,
  ErrorCode.RATE_LIMITED,
]);

export function isUnwrittenRejection(error: unknown): boolean {
  return isTierVecError(error) && REJECTED_UNWRITTEN.has(error.code);
}

/** Tier control cycles each collection through these tiers, one step per `tier` operation. */
export const TIER_CYCLE = Object.freeze(['warm', 'hot', 'cold', 'hot'] as const);

/** Segment-scope tier control demotes to these tiers in turn, promoting back to hot in between. */
export const SEGMENT_DEMOTIONS = Object.freeze(['warm', 'cold'] as const);

/** Vector indexes: each tenant owns a block; updates draw from the upper half of it. */
export const TENANT_VECTOR_BLOCK = 2 ** 26;
export const UPDATE_VECTOR_OFFSET = 2 ** 25;

export interface TenantRuntime {
  readonly name: string;
  readonly index: number;
  readonly noisy: boolean;
  collection: Collection;
  readonly pool: IdPool;
  preloaded: number;
  inserted: number;
  updated: number;
  /** Tier operations so far: the step along TIER_CYCLE, or the demotions (segment scope). */
  tierStep: number;
  /** Segment scope: the segment the last tier operation demoted, which the next one promotes. */
  demotedSegment: string | undefined;
  /** Who answers this tenant's searches when not the collection itself (the run's read replicas). */
  searcher?: Searcher;
}

export interface OperationsContext {
  readonly workload: TiervecWorkload;
  readonly measurements: TargetMeasurements;
  /** Present when the scenario verifies acknowledged writes. */
  readonly ledger: WriteLedger | undefined;
  /** What a `tier` operation moves (the scenario's `tier_scope`). */
  readonly tierScope: TierScope;
  /** Present when the scenario judges recall (`recall_min`): keeps sampled searches and written ids. */
  readonly recall?: RecallSampler | undefined;
  tenantOf(group: string): TenantRuntime;
  phase(): Phase;
}

type Body = (tenant: TenantRuntime, context: OperationContext) => Promise<unknown>;

export function createOperations(run: OperationsContext): Record<OperationName, LoadOperation> {
  const measured = (body: Body): LoadOperation => {
    return async (context) => {
      const tenant = run.tenantOf(context.group);
      const phase = run.phase();
      const startMs = performance.now();
      let failed = true;
      try {
        const result = await body(tenant, context);
        failed = false;
        return result;
      } finally {
        const serviceMs = performance.now() - startMs;
        run.measurements.tenant(tenant.name).record(serviceMs, failed);
        run.measurements.phases[phase].recordAt(startMs + serviceMs, serviceMs, failed);
      }
    };
  };
  return {
    search: measured((tenant, { rng }) => search(run, tenant, run.workload.query(rng))),
    insert: measured((tenant) => insert(run, tenant)),
    update: measured((tenant, { rng }) => update(run, tenant, tenant.pool.take(rng))),
    delete: measured((tenant, { rng }) => remove(run, tenant, tenant.pool.take(rng))),
    metadata: measured((tenant, { rng }) => metadata(run, tenant, tenant.pool.peek(rng))),
    tier: measured((tenant, { rng }) => tier(run, tenant, rng)),
    flush: measured((tenant) => tenant.collection.flush()),
  };
}

async function search(
  run: OperationsContext,
  tenant: TenantRuntime,
  query: ReturnType<TiervecWorkload['query']>,
): Promise<number> {
  const options: RecallSample['options'] = { k: query.k };
  if (run.workload.ef !== undefined) options.ef = run.workload.ef;
  if (query.filter !== undefined) options.filter = query.filter;
  const sampled = run.recall?.sampleNext() === true;
  let hits: { id: string }[];
  try {
    hits = await (tenant.searcher ?? tenant.collection).search(query.vector, options);
  } finally {
    run.measurements.searchesCompleted++;
  }
  const prefix = TiervecWorkload.prefix(tenant.name);
  for (const hit of hits) if (!hit.id.startsWith(prefix)) run.measurements.isolationViolations++;
  if (sampled) {
    const ids = hits.map((hit) => hit.id);
    run.recall?.keep({ tenant: tenant.name, vector: query.vector, options, ids });
  }
  return hits.length;
}

async function insert(run: OperationsContext, tenant: TenantRuntime): Promise<void> {
  const n = tenant.inserted++;
  const doc = run.workload.document(
    tenant.name,
    'n',
    n,
    tenant.index * TENANT_VECTOR_BLOCK + tenant.preloaded + n,
  );
  run.recall?.written(tenant.name, doc.id);
  try {
    await tenant.collection.insert([doc]);
  } catch (error) {
    // A rejected insert left nothing behind; any other failure may or may not have applied.
    if (!isUnwrittenRejection(error)) run.ledger?.failedWrite(doc.id);
    throw error;
  }
  run.ledger?.acknowledgedWrite(doc.id, 0);
  tenant.pool.add(doc.id);
}

function noLiveDocument(operation: string, tenant: TenantRuntime): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `No live document left in tenant "${tenant.name}" to ${operation}: the mix deletes faster than it inserts`,
  );
}

async function update(run: OperationsContext, tenant: TenantRuntime, id: string | undefined): Promise<void> {
  if (id === undefined) throw noLiveDocument('update', tenant);
  const version = ++tenant.updated;
  const vector = run.workload.vector(tenant.index * TENANT_VECTOR_BLOCK + UPDATE_VECTOR_OFFSET + version);
  const n = Number(id.slice(id.lastIndexOf('.') + 2));
  run.recall?.written(tenant.name, id);
  try {
    await tenant.collection.upsert([
      { id, vector, metadata: run.workload.metadata(tenant.name, n, version) },
    ]);
  } catch (error) {
    settleFailedWrite(run, tenant, id, error);
    throw error;
  }
  run.ledger?.acknowledgedWrite(id, version);
  tenant.pool.add(id);
}

async function remove(
  run: OperationsContext,
  tenant: TenantRuntime,
  id: string | undefined,
): Promise<number> {
  if (id === undefined) throw noLiveDocument('delete', tenant);
  let deleted: number;
  run.recall?.written(tenant.name, id);
  try {
    deleted = await tenant.collection.delete([id]);
  } catch (error) {
    settleFailedWrite(run, tenant, id, error);
    throw error;
  }
  run.ledger?.acknowledgedDelete(id);
  if (deleted !== 1) run.measurements.missingReads++;
  return deleted;
}

/** A write that was refused outright leaves the id live; any other failure takes it out of play. */
function settleFailedWrite(run: OperationsContext, tenant: TenantRuntime, id: string, error: unknown): void {
  if (isUnwrittenRejection(error)) tenant.pool.add(id);
  else run.ledger?.failedWrite(id);
}

async function metadata(
  run: OperationsContext,
  tenant: TenantRuntime,
  id: string | undefined,
): Promise<void> {
  if (id === undefined) throw noLiveDocument('read', tenant);
  const doc = await tenant.collection.get(id);
  if (doc === undefined) {
    // The id is live (its last acknowledged write was not a delete, and no write to it is running).
    run.measurements.missingReads++;
    throw new TierVecError(ErrorCode.CORRUPT_DATA, `Acknowledged document "${id}" was not found by get()`);
  }
  if (doc.metadata.tenant !== tenant.name) run.measurements.isolationViolations++;
}

/**
 * Tier control. With `tier_scope = "collection"` the tenant's whole collection moves one step along
 * TIER_CYCLE. With `"segment"` (the default) one sealed segment moves per call, alternating: a
 * seeded-random hot segment goes down (to warm, then to cold on the next demotion), and the next call
 * brings that segment back to hot, so the promotion is mostly the tier operation's own cost and a
 * search pays at most one segment's promotion (a cold read, in the tail).
 */
async function tier(
  run: OperationsContext,
  tenant: TenantRuntime,
  rng: Rng,
): Promise<SetTierResult | undefined> {
  const collection = tenant.collection;
  if (run.tierScope === 'collection') {
    const next = TIER_CYCLE[tenant.tierStep++ % TIER_CYCLE.length] as TierName;
    return collection.setTier(next);
  }
  const sealed = collection.sealedSegments().filter((segment) => segment.state === 'sealed');
  const demoted = tenant.demotedSegment;
  tenant.demotedSegment = undefined;
  // Compaction may have replaced the demoted segment meanwhile; then this call demotes instead.
  if (demoted !== undefined && sealed.some((segment) => segment.id === demoted)) {
    return collection.setTier('hot', { segments: [demoted] });
  }
  const hot = sealed.filter((segment) => segment.tier === 'hot');
  // Nothing hot to demote (no sealed segment yet, or the budgets moved them all): nothing to do.
  if (hot.length === 0) return undefined;
  const segment = hot[rng.nextInt(hot.length)] as (typeof hot)[number];
  const down = SEGMENT_DEMOTIONS[tenant.tierStep++ % SEGMENT_DEMOTIONS.length] as TierName;
  tenant.demotedSegment = segment.id;
  return collection.setTier(down, { segments: [segment.id] });
}
