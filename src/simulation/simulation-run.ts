/**
 * One seed, start to end: open a store in a `SimulatedWorld`, create the collections of two tenants,
 * run the seeded mix of client operations (writes, sometimes several at once; reads; exact searches;
 * flush, compaction, tier moves, publish, dead-letter replay) interleaved with nemesis steps
 * (partitions and heals, armed crashes at the n-th I/O call, crashes between operations, clean
 * restarts), then heal every fault, recover once more and read everything back; finally the checker
 * judges the history. A run that hangs, cannot reopen its store or throws untyped errors fails too.
 * Every choice comes from the seed, so `runSimulation(seed, options)` replays exactly.
 */

import { ErrorCode, isTierVecError } from '../errors.ts';
import type { S3ErrorCode } from '../object-store/object-store-error.ts';
import { Rng } from '../random.ts';
import type { Collection } from '../storage/collection.ts';
import type { CheckResult } from './checker.ts';
import { checkHistory } from './checker.ts';
import {
  deleteIds,
  finish,
  getDoc,
  maintenance,
  type StartedOperation,
  searchExact,
  start,
  type Target,
  writeDocs,
} from './client-operations.ts';
import { History, type HistoryDoc, PROCESS_STRIDE } from './history.ts';
import { type Driven, SimulatedWorld } from './simulated-world.ts';
import { type SimulationConfig, type SimulationOptions, simulationConfig } from './simulation-config.ts';

export interface SimulationResult {
  seed: number;
  config: SimulationConfig;
  valid: boolean;
  check: CheckResult;
  /** Liveness and contract failures outside the history's reads (a hang, a failed reopen, raw errors). */
  problems: string[];
  history: History;
  crashes: number;
  operations: number;
  /** Clock jumps and real-time waits the run needed (figures for tuning the simulation's speed). */
  clockSteps: number;
  realWaits: number;
  realWaitMs: number;
}

const SLOTS = 3;
const OPEN_ATTEMPTS_MAX = 3;
const MAINTENANCE = ['flush', 'compact', 'publish', 'set-tier', 'replay-dead-letters'] as const;
const PARTITION_CODES: readonly S3ErrorCode[] = ['NetworkError', 'ServiceUnavailable', 'RequestTimeout'];

export async function runSimulation(
  seed: number,
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  const config = simulationConfig(seed, options);
  const world = await SimulatedWorld.create(config);
  const history = new History(() => world.clock.now());
  const run = new SimulationRun(world, history);
  try {
    await run.run();
  } finally {
    await world.dispose();
  }
  const check = checkHistory(history.events, { durability: config.durability });
  return {
    seed,
    config,
    valid: check.valid && run.problems.length === 0,
    check,
    problems: run.problems,
    history,
    crashes: run.crashes,
    operations: run.operations,
    clockSteps: world.clockSteps,
    realWaits: world.realWaits,
    realWaitMs: Math.round(world.realWaitMs),
  };
}

class SimulationRun {
  readonly problems: string[] = [];
  crashes = 0;
  operations = 0;
  readonly #world: SimulatedWorld;
  readonly #history: History;
  readonly #config: SimulationConfig;
  readonly #rng: Rng;
  readonly #processes = Array.from({ length: SLOTS }, (_, slot) => slot);
  #w = 0;

  constructor(world: SimulatedWorld, history: History) {
    this.#world = world;
    this.#history = history;
    this.#config = world.config;
    this.#rng = new Rng(world.config.seed).fork('run');
  }

  async run(): Promise<void> {
    if (!(await this.#opened(await this.#world.open()))) return;
    for (let step = 0; step < this.#config.steps && this.problems.length === 0; step++) {
      await this.#step();
      if (this.#world.crashSwitch.crashed && !(await this.#recover())) return;
    }
    if (this.problems.length > 0) return;
    await this.#finale();
  }

  /** Heal everything, recover once more (crash or clean restart), read every id and search. */
  async #finale(): Promise<void> {
    const world = this.#world;
    world.crashSwitch.arm(undefined);
    world.mock.clearFailures();
    this.#history.nemesis('heal', { all: true });
    await this.#run([this.#maintenanceOp('replay-dead-letters')]);
    if (world.crashSwitch.crashed && !(await this.#recover())) return;
    const choice = this.#rng.nextInt(3);
    if (
      choice === 0
        ? !(await this.#restart())
        : !(await this.#recover(choice === 1 ? 'local' : 'object-store'))
    ) {
      return;
    }
    // Every fault is healed: each read must now succeed (a failure is a finding, not an outcome).
    for (const { tenant, collection } of this.#config.targets) {
      const target = { tenant, collection };
      const reads = this.#config.ids.map((id) => this.#readOp(target, 'get', id));
      reads.push(this.#readOp(target, 'search', undefined, this.#config.ids.length + 1));
      for (const read of reads) {
        await this.#run([read]);
        const settled = read.settled;
        if (settled !== undefined && 'error' in settled) {
          this.#problem(
            `${read.invocation.f} failed after recovery with every fault healed: ${describeError(settled.error)}`,
          );
        }
      }
    }
  }

  async #step(): Promise<void> {
    const world = this.#world;
    const roll = this.#rng.next();
    if (roll < 0.1 && !world.crashSwitch.crashed) world.crashSwitch.arm(1 + this.#rng.nextInt(40));
    const kind = this.#rng.next();
    if (kind < 0.45) await this.#run(this.#writeGroup());
    else if (kind < 0.6) await this.#run([this.#readOp(this.#target(), 'get', this.#id())]);
    else if (kind < 0.7)
      await this.#run([this.#readOp(this.#target(), 'search', undefined, 1 + this.#rng.nextInt(5))]);
    else if (kind < 0.87) await this.#maintenance();
    else if (kind < 0.92) this.#partitionOrHeal();
    else if (kind < 0.95) await this.#world.clock.advance(this.#rng.nextInt(1_000));
    else if (kind < 0.98) {
      if (!(await this.#recover())) return;
    } else await this.#restart();
  }

  /** One maintenance call; a compaction usually right after a flush of its collection (more to merge). */
  async #maintenance(): Promise<void> {
    const f = this.#maintenanceKind();
    const target = this.#target();
    if (f === 'compact' && this.#rng.next() < 0.7) {
      await this.#run([this.#maintenanceOp('flush', target)]);
      if (this.#world.crashSwitch.crashed) return;
    }
    await this.#run([this.#maintenanceOp(f, target)]);
  }

  /** Flush and compact most often: they are what seals, publishes and rewrites segments. */
  #maintenanceKind(): (typeof MAINTENANCE)[number] {
    const roll = this.#rng.next();
    if (roll < 0.3) return 'flush';
    if (roll < 0.6) return 'compact';
    if (roll < 0.8) return 'set-tier';
    return roll < 0.9 ? 'publish' : 'replay-dead-letters';
  }

  #partitionOrHeal(): void {
    const mock = this.#world.mock;
    if (mock.partitioned) {
      mock.heal();
      this.#history.nemesis('heal');
      return;
    }
    const code = this.#pick(PARTITION_CODES);
    const putsOnly = this.#rng.next() < 0.5;
    mock.partition(code, putsOnly ? { operations: ['put'] } : {});
    this.#history.nemesis('partition', { code, operations: putsOnly ? ['put'] : 'all' });
  }

  // ------------------------------------------------------------ operations

  #writeGroup(): StartedOperation[] {
    const group = this.#rng.next() < 0.3 ? 2 + this.#rng.nextInt(2) : 1;
    const target = this.#target();
    const ids = shuffled(this.#config.ids, this.#rng);
    const ops: StartedOperation[] = [];
    for (let slot = 0; slot < group; slot++) {
      const mine = ids.splice(0, 1 + this.#rng.nextInt(3));
      const kind = this.#rng.next();
      const f = kind < 0.4 ? 'insert' : kind < 0.75 ? 'upsert' : 'delete';
      ops.push(this.#writeOp(target, slot, f, mine));
    }
    return ops;
  }

  #writeOp(target: Target, slot: number, f: 'insert' | 'upsert' | 'delete', ids: string[]): StartedOperation {
    const collection = this.#collection(target);
    if (f === 'delete') {
      return this.#start(slot, f, { ...target, ids }, collection && deleteIds(collection, ids));
    }
    const docs = ids.map((id) => this.#doc(target, id));
    return this.#start(slot, f, { ...target, docs }, collection && writeDocs(collection, f, docs));
  }

  #readOp(target: Target, f: 'get' | 'search', id?: string, k = 1): StartedOperation {
    const collection = this.#collection(target);
    if (f === 'get') {
      return this.#start(
        0,
        f,
        { ...target, id: id as string },
        collection && getDoc(collection, id as string),
      );
    }
    const vector = this.#vector();
    return this.#start(0, f, { ...target, vector, k }, collection && searchExact(collection, vector, k));
  }

  #maintenanceOp(f: (typeof MAINTENANCE)[number], target = this.#target()): StartedOperation {
    const collection = this.#collection(target);
    const tier = this.#pick(['hot', 'warm', 'cold'] as const);
    const store = this.#world.store;
    const run =
      store === undefined || collection === undefined ? undefined : maintenance(store, collection, f, tier);
    return this.#start(0, f, f === 'set-tier' ? { ...target, tier } : { ...target }, run);
  }

  #start(
    slot: number,
    f: string,
    value: Record<string, unknown>,
    run: (() => Promise<Record<string, unknown>>) | undefined,
  ): StartedOperation {
    this.operations++;
    const missing = () => Promise.reject(new Error('the collection is not open'));
    return start(this.#history, this.#processes[slot] as number, slot, f, value, run ?? missing);
  }

  /** Drives a group of operations to their outcomes (or to a crash) and records them. */
  async #run(ops: StartedOperation[]): Promise<void> {
    const driven = await this.#world.drive(Promise.allSettled(ops.map((op) => op.promise)));
    if (driven.state === 'stuck')
      this.#problem(`stuck: ${ops.map((op) => op.invocation.f).join(', ')} never finished`);
    const crashed = this.#world.crashSwitch.crashed;
    for (const op of ops) {
      const type = finish(this.#history, op, crashed);
      if (type === 'info') (this.#processes[op.slot] as number) += PROCESS_STRIDE;
      if (op.settled !== undefined && 'error' in op.settled) this.#checkTyped(op, op.settled.error, crashed);
    }
  }

  #checkTyped(op: StartedOperation, error: unknown, crashed: boolean): void {
    if (crashed || isTierVecError(error)) return;
    if (error instanceof Error && error.message === 'the collection is not open') return;
    this.#problem(
      `untyped error from ${op.invocation.f}: ${error instanceof Error ? error.stack : String(error)}`,
    );
  }

  // ------------------------------------------------------------ process lifecycle

  async #recover(source?: 'local' | 'object-store'): Promise<boolean> {
    this.crashes++;
    const from = source ?? (this.#rng.next() < 0.7 ? 'local' : 'object-store');
    return this.#opened(await this.#world.crash(this.#history, from));
  }

  /** A clean close and reopen; false when the store could not be reopened (a problem is recorded). */
  async #restart(): Promise<boolean> {
    const store = this.#world.store;
    if (store === undefined) return false;
    const closed = await this.#world.drive(store.close());
    if (closed.state !== 'ok') {
      if (this.#world.crashSwitch.crashed) return this.#recover();
      this.#problem(`close failed: ${describe(closed)}`);
      return false;
    }
    this.#history.nemesis('restart');
    return this.#opened(await this.#world.open());
  }

  /** After an open: recreate what the object store did not have, or report why it failed. */
  async #opened(opened: Driven<unknown>, attempt = 1): Promise<boolean> {
    if (opened.state === 'crashed' || this.#world.crashSwitch.crashed) return this.#recover();
    if (opened.state === 'error' && !isTierVecError(opened.error)) {
      this.#problem(`open failed with an untyped error after ${this.crashes} crash(es): ${describe(opened)}`);
      return false;
    }
    if (
      opened.state === 'error' &&
      this.#world.lastRot !== undefined &&
      isTierVecError(opened.error, ErrorCode.CORRUPT_DATA) &&
      opened.error.message.includes(this.#world.lastRot.file)
    ) {
      // The store refused the damaged manifest, naming it: the operator restores from the object store.
      this.#history.nemesis('restore', { reason: describe(opened) });
      return this.#recover('object-store');
    }
    if (opened.state === 'error' && attempt < OPEN_ATTEMPTS_MAX) {
      // Opening may need the object store (a new directory, a collection's remote WAL): an
      // operator heals the network and tries again.
      this.#world.mock.clearFailures();
      this.#history.nemesis('heal', { all: true, reason: describe(opened) });
      return this.#opened(await this.#world.open(), attempt + 1);
    }
    if (opened.state !== 'ok') {
      this.#problem(`open failed after ${this.crashes} crash(es): ${describe(opened)}`);
      return false;
    }
    for (const target of this.#config.targets) {
      if (this.#collection(target) !== undefined) continue;
      const store = this.#world.store;
      const spec = this.#config.targets.find((t) => t === target) as SimulationConfig['targets'][number];
      const create = this.#start(0, 'create-collection', { ...target, metric: spec.metric }, async () => {
        await store?.createCollection({
          name: target.collection,
          tenant: target.tenant,
          dimension: this.#config.dimension,
          metric: spec.metric,
          hnsw: { m: 4, efConstruction: 16, efSearch: 16 },
        });
        return { metric: spec.metric };
      });
      await this.#run([create]);
      if (this.#world.crashSwitch.crashed) return this.#recover();
    }
    return true;
  }

  #collection(target: Target): Collection | undefined {
    try {
      return this.#world.store?.collection(target.collection, { tenant: target.tenant });
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------ seeded data

  #doc(target: Target, id: string): HistoryDoc {
    const metadata = { t: target.tenant, c: target.collection, w: ++this.#w, g: this.#rng.nextInt(3) };
    return { id, vector: this.#vector(), metadata };
  }

  #vector(): number[] {
    return Array.from({ length: this.#config.dimension }, () => this.#rng.nextInt(7) - 3);
  }

  /** Most operations go to the first collection, so it grows segments that compaction can merge. */
  #target(): Target {
    const targets = this.#config.targets;
    const { tenant, collection } = this.#rng.next() < 0.6 ? (targets[0] as Target) : this.#pick(targets);
    return { tenant, collection };
  }

  #id(): string {
    return this.#pick(this.#config.ids);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#rng.nextInt(items.length)] as T;
  }

  #problem(message: string): void {
    this.problems.push(message);
  }
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function describe(driven: Driven<unknown>): string {
  return driven.state === 'error' ? describeError(driven.error) : driven.state;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
