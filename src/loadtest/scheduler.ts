/**
 * The open-model scheduler: starts operation i at its intended time t_i from the arrival process,
 * whatever the target is doing. At most `inFlightMax` run at once; arrivals beyond that wait in a
 * bounded FIFO queue (their latency counts the wait) or are dropped and counted. After an event-loop
 * stall every arrival that fell due is issued at once (catch-up): none is ever skipped, and each one's
 * latency is still measured from its own t_i.
 *
 * The hot loop issues every due arrival in one tick, in batches of `batchMax`, then sleeps until the
 * next one on its Wakeup (sub-millisecond, no CPU while waiting; see wakeup.ts), or, when the next
 * arrival is at most `spinMs` away, polls the event loop with setImmediate (which still runs I/O
 * callbacks). One wake-up serves the whole group, never one timer per arrival.
 */

import type { Clock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { ArrivalSource } from './arrivals.ts';
import type { LoadOperation, OperationContext } from './load-target.ts';
import type { OperationSlot, Recorder } from './recorder.ts';
import type { Wakeup } from './wakeup.ts';
import { type ExecutionSegment, globalArrivalIndex } from './workers/execution-segment.ts';
import type { Mix } from './workload.ts';

/** Arrivals this close to due are issued now (1 µs: far below any timer's precision). */
const DUE_MARGIN_MS = 0.001;

/** What every load group's scheduler offers the run. */
export interface LoadGroupRuntime {
  readonly name: string;
  readonly inFlight: number;
  readonly queued: number;
  readonly queuedMax: number;
  /** Starts issuing operations; `startMs` is the clock time of t = 0. */
  start(startMs: number): void;
  /** Resolves once no further operation will be started from the arrival stream (queued ones still may). */
  readonly arrivalsDone: Promise<void>;
  /** Ends the arrival stream now (stop requested). */
  stopArrivals(): void;
  /** Resolves when arrivals are done and nothing is queued or running. */
  whenIdle(): Promise<void>;
  /** Records everything queued or running as cut off at `atMs` (ms since start); returns how many. */
  cutOff(atMs: number): number;
}

/** What a scheduler needs from the run, shared by both models. */
export interface SchedulerContext {
  readonly group: string;
  readonly clock: Clock;
  readonly recorder: Recorder;
  readonly mix: Mix;
  /** The target's operations, indexed like `mix.operations`. */
  readonly operations: readonly LoadOperation[];
  /** Recorder slots, indexed like `mix.operations`. */
  readonly slots: readonly OperationSlot[];
  /** Handed to operations in their context. */
  readonly rng: Rng;
  /** Aborted when operations are cut off. */
  readonly signal: AbortSignal;
  /** The execution segment this process offers; operations then see the single-process arrival number. */
  readonly segment?: ExecutionSegment;
}

/** One running operation; a node of an intrusive list so that start and finish are O(1). */
export class InFlightOp {
  startedMs = 0;
  cut = false;
  prev: InFlightOp | undefined = undefined;
  next: InFlightOp | undefined = undefined;
  constructor(
    readonly op: number,
    readonly intendedMs: number,
  ) {}
}

export class InFlightList {
  #head: InFlightOp | undefined;
  size = 0;

  add(node: InFlightOp): void {
    node.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = node;
    this.#head = node;
    this.size++;
  }

  remove(node: InFlightOp): void {
    if (node.prev !== undefined) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next !== undefined) node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.size--;
  }

  /** Removes every node, handing each to `visit`. */
  drain(visit: (node: InFlightOp) => void): void {
    let node = this.#head;
    while (node !== undefined) {
      const next = node.next;
      node.prev = undefined;
      node.next = undefined;
      visit(node);
      node = next;
    }
    this.#head = undefined;
    this.size = 0;
  }
}

/** Starts operation `op` of `context` and calls `settle` once it finishes; never throws synchronously. */
export function launch(
  context: SchedulerContext,
  op: number,
  index: number,
  settle: (failed: boolean, error: unknown) => void,
): void {
  const operationContext: OperationContext = {
    rng: context.rng,
    index: context.segment === undefined ? index : globalArrivalIndex(context.segment, index),
    operation: context.mix.operations[op] as string,
    group: context.group,
    signal: context.signal,
  };
  let result: unknown;
  try {
    result = (context.operations[op] as LoadOperation)(operationContext);
  } catch (error) {
    // A synchronous throw settles asynchronously too, so completions never recurse into starts.
    result = Promise.reject(error);
  }
  if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
    (result as Promise<unknown>).then(
      () => settle(false, undefined),
      (error: unknown) => settle(true, error),
    );
  } else {
    queueMicrotask(() => settle(false, undefined));
  }
}

/** A bounded FIFO of arrivals waiting for a free slot; grows by doubling up to its limit. */
class ArrivalQueue {
  #intended = new Float64Array(64);
  #index = new Float64Array(64);
  #op = new Uint8Array(64);
  #head = 0;
  length = 0;
  readonly lengthMax: number;

  constructor(lengthMax: number) {
    this.lengthMax = lengthMax;
  }

  push(op: number, intendedMs: number, index: number): void {
    if (this.length === this.#op.length) this.#grow();
    const at = (this.#head + this.length) % this.#op.length;
    this.#op[at] = op;
    this.#intended[at] = intendedMs;
    this.#index[at] = index;
    this.length++;
  }

  get frontOp(): number {
    return this.#op[this.#head] as number;
  }
  get frontIntended(): number {
    return this.#intended[this.#head] as number;
  }
  get frontIndex(): number {
    return this.#index[this.#head] as number;
  }

  shift(): void {
    this.#head = (this.#head + 1) % this.#op.length;
    this.length--;
  }

  #grow(): void {
    const capacity = this.#op.length * 2;
    const copy = <T extends Float64Array | Uint8Array>(from: T, to: T) => {
      for (let i = 0; i < this.length; i++) to[i] = from[(this.#head + i) % from.length] as number;
      return to;
    };
    this.#op = copy(this.#op, new Uint8Array(capacity));
    this.#intended = copy(this.#intended, new Float64Array(capacity));
    this.#index = copy(this.#index, new Float64Array(capacity));
    this.#head = 0;
  }
}

export interface OpenSchedulerOptions {
  arrivals: ArrivalSource;
  inFlightMax: number;
  onSaturation: 'queue' | 'drop';
  queueLengthMax: number;
  /** Sleeps between arrivals. */
  wakeup: Wakeup;
  /** Poll the event loop instead of sleeping when the next arrival is this close, in ms. */
  spinMs: number;
  /** Shortest sleep, in ms: at high rates one wake-up then serves several arrivals. */
  sleepMinMs: number;
  /** Arrivals admitted per tick before yielding to the event loop. */
  batchMax: number;
}

export class OpenScheduler implements LoadGroupRuntime {
  readonly name: string;
  readonly arrivalsDone: Promise<void>;
  queuedMax = 0;
  readonly #context: SchedulerContext;
  readonly #options: OpenSchedulerOptions;
  readonly #queue: ArrivalQueue;
  readonly #active = new InFlightList();
  #state: 'new' | 'running' | 'arrivals-done' | 'cut' = 'new';
  #startMs = 0;
  #nextMs = Number.POSITIVE_INFINITY;
  #index = 0;
  #immediate: NodeJS.Immediate | undefined;
  #resolveArrivals: () => void = () => {};
  #idleWaiters: Array<() => void> = [];

  constructor(context: SchedulerContext, options: OpenSchedulerOptions) {
    this.name = context.group;
    this.#context = context;
    this.#options = options;
    this.#queue = new ArrivalQueue(options.onSaturation === 'queue' ? options.queueLengthMax : 0);
    this.arrivalsDone = new Promise((resolve) => {
      this.#resolveArrivals = resolve;
    });
  }

  get inFlight(): number {
    return this.#active.size;
  }

  get queued(): number {
    return this.#queue.length;
  }

  start(startMs: number): void {
    this.#startMs = startMs;
    this.#state = 'running';
    this.#nextMs = this.#options.arrivals.next();
    this.#tick();
  }

  readonly #tick = (): void => {
    this.#immediate = undefined;
    if (this.#state !== 'running') return;
    const clock = this.#context.clock;
    const nowMs = clock.now() - this.#startMs;
    let admitted = 0;
    // Clock readings near the epoch carry rounding of about half a microsecond; without the margin a
    // wake-up landing a rounding error short of its arrival would re-arm itself forever.
    while (this.#nextMs <= nowMs + DUE_MARGIN_MS) {
      this.#admit(this.#nextMs);
      this.#nextMs = this.#options.arrivals.next();
      if (++admitted >= this.#options.batchMax) {
        // Let completions and I/O run; the rest of the backlog is picked up on the next turn.
        this.#immediate = setImmediate(this.#tick);
        return;
      }
    }
    if (this.#nextMs === Number.POSITIVE_INFINITY) {
      this.#endArrivals();
      return;
    }
    const delayMs = this.#nextMs - nowMs;
    if (delayMs <= this.#options.spinMs) this.#immediate = setImmediate(this.#tick);
    else this.#options.wakeup.schedule(this.#tick, Math.max(delayMs, this.#options.sleepMinMs));
  };

  #admit(intendedMs: number): void {
    const op = this.#context.mix.pick();
    const index = this.#index++;
    if (this.#active.size < this.#options.inFlightMax && this.#queue.length === 0) {
      const startedMs = this.#start(op, intendedMs, index);
      this.#context.recorder.lateness.recordMs(startedMs - intendedMs);
    } else if (this.#queue.length < this.#queue.lengthMax) {
      this.#queue.push(op, intendedMs, index);
      if (this.#queue.length > this.queuedMax) this.queuedMax = this.#queue.length;
    } else {
      this.#context.recorder.drop(this.#context.slots[op] as OperationSlot, intendedMs);
    }
  }

  #start(op: number, intendedMs: number, index: number): number {
    const record = new InFlightOp(op, intendedMs);
    this.#active.add(record);
    record.startedMs = this.#context.clock.now() - this.#startMs;
    launch(this.#context, op, index, (failed, error) => this.#settle(record, failed, error));
    return record.startedMs;
  }

  #settle(record: InFlightOp, failed: boolean, error: unknown): void {
    if (record.cut) return;
    const endMs = this.#context.clock.now() - this.#startMs;
    this.#active.remove(record);
    const slot = this.#context.slots[record.op] as OperationSlot;
    this.#context.recorder.complete(slot, record.intendedMs, record.startedMs, endMs, failed, error);
    const queue = this.#queue;
    while (queue.length > 0 && this.#active.size < this.#options.inFlightMax) {
      const op = queue.frontOp;
      const intendedMs = queue.frontIntended;
      const index = queue.frontIndex;
      queue.shift();
      this.#start(op, intendedMs, index);
    }
    if (this.#active.size === 0) this.#notifyIfIdle();
  }

  #endArrivals(): void {
    if (this.#state !== 'running') return;
    this.#state = 'arrivals-done';
    this.#resolveArrivals();
    this.#notifyIfIdle();
  }

  stopArrivals(): void {
    this.#options.wakeup.cancel();
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    if (this.#state === 'new') this.#state = 'running';
    this.#endArrivals();
  }

  #isIdle(): boolean {
    return (
      this.#state !== 'running' &&
      this.#state !== 'new' &&
      this.#active.size === 0 &&
      this.#queue.length === 0
    );
  }

  #notifyIfIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  cutOff(atMs: number): number {
    this.stopArrivals();
    this.#state = 'cut';
    const { recorder, slots } = this.#context;
    const count = this.#active.size + this.#queue.length;
    this.#active.drain((record) => {
      record.cut = true;
      recorder.cutOff(slots[record.op] as OperationSlot, record.intendedMs, record.startedMs, atMs);
    });
    while (this.#queue.length > 0) {
      recorder.cutOff(
        slots[this.#queue.frontOp] as OperationSlot,
        this.#queue.frontIntended,
        undefined,
        atMs,
      );
      this.#queue.shift();
    }
    this.#notifyIfIdle();
    return count;
  }
}
