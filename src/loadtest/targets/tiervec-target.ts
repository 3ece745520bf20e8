/**
 * The tiervec load target: a real store, set up the way the run's `TiervecTargetConfig` describes it
 * (a scenario file is read into one by the scenario loader; the target never sees the file), driven
 * through its own API. `setup` opens the object store (mock S3 with its faults, a local directory, s3rver on
 * 127.0.0.1, or S3), opens the store in a fresh directory, creates one collection per tenant,
 * preloads the seeded dataset and, when asked, compacts it into partitions (`tiervec-preload.ts`:
 * timed, reported apart from the run and never judged by its criteria). The operations are in
 * `tiervec-operations.ts`; gauges read the store's and the mock's stats every second; `verify` checks
 * what only the store can tell (no acknowledged write lost, tier movement, tenant isolation and
 * fairness, background interference, GETs per search, recall of sampled searches, memory beyond the
 * hot budget); `teardown` closes everything it opened and removes the directory.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '../../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { Collection } from '../../storage/collection.ts';
import type { CollectionStats } from '../../storage/collection-stats.ts';
import { openStore, type Store } from '../../storage/store.ts';
import type { StoreOptions } from '../../storage/store-options.ts';
import { TIERING_DEFAULTS } from '../../storage/tiering/tiering-options.ts';
import type { LoadTarget, SetupContext, TargetCheck } from '../load-target.ts';
import { TiervecBackground } from './tiervec-background.ts';
import { type CheckInputs, targetChecks } from './tiervec-checks.ts';
import type { TiervecTargetConfig, UploadsConfig } from './tiervec-config.ts';
import { readGauges } from './tiervec-gauges.ts';
import { IdPool, WriteLedger } from './tiervec-ledger.ts';
import { TargetMeasurements, WARNINGS_SHOWN_PER_CODE } from './tiervec-measure.ts';
import {
  classifyObjectStoreError,
  openTargetObjectStore,
  type TargetObjectStore,
} from './tiervec-object-store.ts';
import { createOperations, type OperationsContext, type TenantRuntime } from './tiervec-operations.ts';
import { compactTenants, PRELOAD_DEFAULTS, type PreloadInfo, preloadTenants } from './tiervec-preload.ts';
import { RecallSampler } from './tiervec-recall.ts';
import { ReplicaPool, type ReplicasConfig } from './tiervec-replicas.ts';
import { verifyAcknowledgedWrites, type WriteVerification } from './tiervec-verify.ts';
import { TiervecWorkload } from './tiervec-workload.ts';

export const TIERVEC_TARGET_DEFAULTS = Object.freeze({
  /** Documents per insert call while preloading. */
  preloadBatchSize: PRELOAD_DEFAULTS.batchSize,
  /** A tenant with a vector quota is preloaded to at most this share of it. */
  preloadQuotaShare: PRELOAD_DEFAULTS.quotaShare,
  /** The collection every tenant gets. */
  collection: 'loadtest',
});

export interface TiervecTargetOptions {
  /** What to set up and run against: the run's dataset, store, cold tier, faults and criteria. */
  config: TiervecTargetConfig;
  /** Where the run's directory is made. @default the system's temporary directory */
  dataDir?: string;
  /** Keep the run's directory (store files, local objects) after teardown. @default false */
  keepData?: boolean;
  /** Told about the preload's progress, partitions, fallbacks; one line each. */
  onEvent?: (message: string) => void;
  clock?: Clock;
}

/** What the setup hands the report (under `target.info`). */
export interface TiervecSetupInfo {
  objectStore: string;
  durability: string;
  dir: string;
  tenants: Array<{ name: string; preloaded: number }>;
  preload: PreloadInfo;
  warnings: string[];
}

export class TiervecTarget implements LoadTarget {
  readonly name = 'tiervec';
  readonly operations: LoadTarget['operations'];
  readonly measurements = new TargetMeasurements();
  readonly #options: TiervecTargetOptions;
  readonly #config: TiervecTargetConfig;
  readonly #clock: Clock;
  readonly #workload: TiervecWorkload;
  readonly #ledger: WriteLedger | undefined;
  readonly #tenants = new Map<string, TenantRuntime>();
  readonly #groupTenants = new Map<string, TenantRuntime>();
  readonly #warnings: string[] = [];
  #dir: string | undefined;
  #objects: TargetObjectStore | undefined;
  #store: Store | undefined;
  #storeOptions: StoreOptions | undefined;
  #background: TiervecBackground | undefined;
  #verification: WriteVerification | undefined;
  #statsAfterLoad: Map<string, CollectionStats> | undefined;
  #replicas: ReplicaPool | undefined;
  readonly #recall: RecallSampler | undefined;
  /** GETs and searches of the measured run, taken when verification starts. */
  #measuredGets: CheckInputs['gets'];

  constructor(options: TiervecTargetOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#clock = options.clock ?? systemClock;
    this.#workload = new TiervecWorkload(options.config);
    const verify =
      options.config.verifyAcknowledgedWrites ||
      options.config.limits.acknowledged_writes_lost_max !== undefined;
    this.#ledger = verify ? new WriteLedger() : undefined;
    this.#recall =
      options.config.limits.recall_min === undefined
        ? undefined
        : new RecallSampler(options.config.search, options.config.seed);
    const context: OperationsContext = {
      recall: this.#recall,
      workload: this.#workload,
      measurements: this.measurements,
      ledger: this.#ledger,
      tierScope: options.config.tierScope,
      tenantOf: (group) => this.#tenantOf(group),
      phase: () => this.#background?.phase() ?? 'before',
    };
    this.operations = createOperations(context);
  }

  /** The store under load (after setup): tests read its stats. */
  get store(): Store | undefined {
    return this.#store;
  }

  /** Each tenant's collection (after setup). */
  collections(): Map<string, Collection> {
    return new Map([...this.#tenants].map(([name, tenant]) => [name, tenant.collection]));
  }

  get verification(): WriteVerification | undefined {
    return this.#verification;
  }

  /** Each tenant's collection stats as the load left them (taken before verification reopens the store). */
  get statsAfterLoad(): Map<string, CollectionStats> | undefined {
    return this.#statsAfterLoad;
  }

  #captureStats(): void {
    if (this.#statsAfterLoad !== undefined || this.#store === undefined) return;
    this.#statsAfterLoad = new Map(
      [...this.#tenants].map(([name, tenant]) => [name, tenant.collection.stats()]),
    );
  }

  async setup(context: SetupContext): Promise<Record<string, unknown>> {
    const config = this.#config;
    this.#dir = await mkdtemp(path.join(this.#options.dataDir ?? tmpdir(), `tiervec-${config.name}-`));
    this.#objects = await openTargetObjectStore({
      target: config,
      seed: config.seed,
      dir: this.#dir,
      clock: this.#clock,
      ...(this.#options.onEvent ? { onEvent: this.#options.onEvent } : {}),
    });
    this.#store = await this.#openStore();
    await this.#createCollections();
    const tenants = [...this.#tenants.values()];
    const preload = await preloadTenants({
      config,
      tenants,
      workload: this.#workload,
      signal: context.signal,
      onEvent: this.#options.onEvent,
    });
    if (config.compactAfterPreload) {
      preload.compaction = await compactTenants(tenants, context.signal, this.#options.onEvent);
    }
    if (config.replicas !== undefined) await this.#startReplicas(config.replicas);
    this.#background = new TiervecBackground({
      background: config.background,
      clock: this.#clock,
      collections: () => [...this.#tenants.values()].map((tenant) => tenant.collection),
    });
    this.#objects.startFaults();
    this.#background.start();
    const info: TiervecSetupInfo = {
      objectStore: this.#objects.description,
      durability: this.#storeOptions?.durability ?? 'fsync',
      dir: this.#dir,
      tenants: [...this.#tenants.values()].map((tenant) => ({
        name: tenant.name,
        preloaded: tenant.preloaded,
      })),
      preload,
      warnings: this.#warnings,
    };
    return info as unknown as Record<string, unknown>;
  }

  classifyError(error: unknown): string | undefined {
    return classifyObjectStoreError(error);
  }

  gauges(): Record<string, number> {
    const gauges = readGauges(
      this.#tenants.values(),
      this.#objects?.mock,
      this.measurements,
      this.#background,
    );
    return this.#replicas === undefined ? gauges : { ...gauges, ...this.#replicas.gauges() };
  }

  startMeasuring(): void {
    this.measurements.measuredFrom = {
      gets: this.#objects?.mock?.stats().byOperation.get.requests,
      searches: this.measurements.searchesCompleted,
    };
  }

  /** GETs over searches from `startMeasuring` to now, or why they cannot be counted. */
  #countMeasuredGets(): CheckInputs['gets'] {
    const from = this.measurements.measuredFrom;
    if (this.#replicas !== undefined) return 'searches ran in read-replica processes';
    const mock = this.#objects?.mock;
    if (mock === undefined)
      return `GETs are counted on the mock S3 only (this run: ${this.#config.objectStore})`;
    if (from?.gets === undefined) return 'the run ended before its warm-up did';
    return {
      gets: mock.stats().byOperation.get.requests - from.gets,
      searches: this.measurements.searchesCompleted - from.searches,
    };
  }

  async verify(): Promise<TargetCheck[]> {
    this.#measuredGets ??= this.#countMeasuredGets();
    this.#captureStats();
    this.#background?.stop();
    this.#objects?.heal();
    await this.#background?.settled();
    // Before any reopening below: the sampled searches run again on the collections they ran on.
    const recall = await this.#compareRecall();
    if (this.#ledger !== undefined && this.#store !== undefined && this.#storeOptions !== undefined) {
      const startMs = performance.now();
      this.#options.onEvent?.(
        'verify: closing the store (accepted writes finish), reopening it, reading writes back',
      );
      const reopened = await verifyAcknowledgedWrites({
        store: this.#store,
        storeOptions: this.#storeOptions,
        tenants: [...this.#tenants.values()],
        collection: TIERVEC_TARGET_DEFAULTS.collection,
        ledger: this.#ledger,
        workload: this.#workload,
      });
      this.#store = reopened.store;
      this.#verification = reopened.verification;
      const { checked, preloadSampled, lost } = reopened.verification;
      const seconds = ((performance.now() - startMs) / 1000).toFixed(1);
      this.#options.onEvent?.(
        `verify: ${checked + preloadSampled} documents read back, ${lost} lost, in ${seconds} s`,
      );
    }
    return targetChecks({
      limits: this.#config.limits,
      tenants: [...this.#tenants.values()],
      measurements: this.measurements,
      verification: this.#verification,
      background: this.#background,
      replicas: this.#replicas,
      gets: this.#measuredGets,
      recall,
      hotBytesMax: this.#config.tiering?.hotBytesMax ?? TIERING_DEFAULTS.hotBytesMax,
    });
  }

  /** Runs the sampled searches again with `exact: true` (after the load: never measured). */
  async #compareRecall(): Promise<CheckInputs['recall']> {
    if (this.#recall === undefined) return undefined;
    if (this.#recall.samples.length === 0) return 'no search was sampled';
    const startMs = performance.now();
    let result: Awaited<ReturnType<RecallSampler['compare']>>;
    try {
      result = await this.#recall.compare((name) => {
        const tenant = this.#tenants.get(name) as TenantRuntime;
        return tenant.searcher ?? tenant.collection;
      });
    } catch (error) {
      return `an exact search failed (${error instanceof Error ? error.message : String(error)})`;
    }
    const seconds = ((performance.now() - startMs) / 1000).toFixed(1);
    this.#options.onEvent?.(
      `recall: ${this.#recall.samples.length} sampled searches run again with exact: true in ${seconds} s`,
    );
    return result ?? 'every sampled answer held only documents the run wrote';
  }

  async teardown(): Promise<void> {
    this.#background?.stop();
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<unknown> | undefined) => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    await attempt(() => this.#background?.settled());
    await attempt(async () => this.#captureStats());
    await attempt(() => this.#replicas?.close());
    await attempt(() => this.#store?.close());
    await attempt(() => this.#objects?.close());
    if (this.#dir !== undefined && this.#options.keepData !== true) {
      const dir = this.#dir;
      await attempt(() => rm(dir, { recursive: true, force: true }));
    }
    this.measurements.destroy();
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'tiervec target teardown failed');
  }

  #tenantOf(group: string): TenantRuntime {
    const tenant = this.#groupTenants.get(group) ?? this.#tenants.values().next().value;
    if (tenant === undefined) throw new Error('tiervec target: an operation ran before setup');
    return tenant;
  }

  async #openStore(): Promise<Store> {
    const target = this.#config;
    const options: StoreOptions = {
      dir: path.join(this.#dir as string, 'store'),
      objectStore: (this.#objects as TargetObjectStore).objectStore,
      durability: target.durability,
      // Warnings go to the run's event lines and a gauge, not to process warnings mid-progress.
      onWarning: (warning) => {
        if (!this.measurements.warning(warning.code)) return;
        const more =
          this.measurements.warnings.get(warning.code) === WARNINGS_SHOWN_PER_CODE
            ? ' (further ones counted in the store_warnings gauge)'
            : '';
        this.#options.onEvent?.(`store warning ${warning.code}: ${warning.message}${more}`);
      },
    };
    if (target.segmentVectorsMax !== undefined) options.segmentVectorsMax = target.segmentVectorsMax;
    // With read replicas, the writer holds the lease as a writer beside replicas should.
    if (target.replicas !== undefined) options.lease = true;
    if (target.tiering !== undefined) options.tiering = definedOnly(target.tiering);
    const uploads = storeUploads(target.uploads);
    if (uploads !== undefined) options.uploads = uploads;
    const quotas = target.tenants.filter((t) => t.vectorsMax !== undefined || t.bytesMax !== undefined);
    if (quotas.length > 0) {
      options.tenants = Object.fromEntries(
        quotas.map((t) => [
          t.name,
          { quota: definedOnly({ vectorsMax: t.vectorsMax, bytesMax: t.bytesMax }) },
        ]),
      );
    }
    this.#storeOptions = options;
    return openStore(options);
  }

  /** Publishes the preload, forks the read replicas and sends every tenant's searches to them. */
  async #startReplicas(replicas: ReplicasConfig): Promise<void> {
    const s3Options = this.#objects?.s3Options;
    if (s3Options === undefined) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `[target.replicas] needs object_store "s3rver" or "s3" (replica processes read the writer's bucket), got ${describeValue(this.#config.objectStore)}`,
      );
    }
    for (const tenant of this.#tenants.values()) await tenant.collection.flush();
    this.#options.onEvent?.(`replicas: starting ${replicas.count} read-replica processes`);
    this.#replicas = await ReplicaPool.start(replicas, s3Options, TIERVEC_TARGET_DEFAULTS.collection);
    for (const tenant of this.#tenants.values()) tenant.searcher = this.#replicas.searcher(tenant.name);
    this.#replicas.startSampling();
  }

  async #createCollections(): Promise<void> {
    const { tenants, hnsw: hnswConfig, data, groupTenants } = this.#config;
    const declared = tenants.length > 0 ? tenants : [{ name: 'default', noisy: false }];
    const hnsw = definedOnly({
      m: hnswConfig.m,
      efConstruction: hnswConfig.efConstruction,
      efSearch: hnswConfig.efSearch,
    });
    for (const [index, spec] of declared.entries()) {
      const collection = await (this.#store as Store).createCollection({
        name: TIERVEC_TARGET_DEFAULTS.collection,
        tenant: spec.name,
        dimension: data.dimension,
        metric: data.metric,
        hnsw,
      });
      const tenant: TenantRuntime = {
        name: spec.name,
        index,
        noisy: spec.noisy,
        collection,
        pool: new IdPool(),
        preloaded: 0,
        inserted: 0,
        updated: 0,
        tierStep: 0,
        demotedSegment: undefined,
      };
      this.#tenants.set(spec.name, tenant);
    }
    for (const [group, name] of Object.entries(groupTenants)) {
      const tenant = this.#tenants.get(name);
      if (tenant !== undefined) this.#groupTenants.set(group, tenant);
    }
  }
}

/** The run's uploader settings as the store's `uploads` option; undefined when it sets nothing. */
function storeUploads(spec: UploadsConfig): StoreOptions['uploads'] {
  const retry = definedOnly({
    attemptsMax: spec.attemptsMax,
    delayMsBase: spec.delayMsBase,
    delayMsMax: spec.delayMsMax,
  });
  const breaker = definedOnly({ failuresMax: spec.breakerFailuresMax, cooldownMs: spec.breakerCooldownMs });
  const uploads: NonNullable<StoreOptions['uploads']> = {};
  if (spec.concurrencyMax !== undefined) uploads.concurrencyMax = spec.concurrencyMax;
  if (Object.keys(retry).length > 0) uploads.retry = retry;
  if (Object.keys(breaker).length > 0) uploads.circuitBreaker = breaker;
  return Object.keys(uploads).length > 0 ? uploads : undefined;
}

/** A copy without the keys whose value is undefined (store options reject explicit undefined). */
function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export function createTiervecTarget(options: TiervecTargetOptions): TiervecTarget {
  return new TiervecTarget(options);
}
