/**
 * The history of one simulated run, in the shape Jepsen uses: every client operation appears twice,
 * once as `invoke` when it starts and once as `ok`, `fail` or `info` when its outcome is known, and
 * faults the simulation injects appear as `info` events of the `nemesis` process. The history is
 * what the checker reads; it is also written out as JSON so external checkers can read it.
 *
 * JSON format (`HISTORY_FORMAT_VERSION` 1): `{ "format": "tiervec-history", "version": 1, "seed",
 * "options", "events": [...] }`, each event `{ "index", "time", "process", "type", "f", "value" }`
 * plus `"error": { "code", "message" }` on `fail` and `info`. `index` is the event's position (0, 1,
 * …); `time` is simulated milliseconds since the run began; `process` is an integer per client
 * (after an `info` the client continues as a new process, `process + PROCESS_STRIDE`, as in Jepsen)
 * or `"nemesis"`; `type` is `invoke` | `ok` | `fail` | `info`; `f` names the operation (`insert`,
 * `upsert`, `delete`, `get`, `search`, `flush`, `compact`, `set-tier`, `publish`,
 * `replay-dead-letters`; nemesis: `crash`, `recover`, `partition`, `heal`, `faults`). `value` holds
 * the operation's arguments on `invoke` and its result on `ok` (a `get` returns `doc` or null, an
 * exact `search` returns `hits`). Vectors are plain number arrays. An `ok`/`fail`/`info` event
 * repeats its invocation's `value` fields so each event stands alone (elle-cli style readers match
 * completions to invocations by `process`).
 *
 * This module only records; it never judges a history (that is `checker.ts`).
 */

import type { Metadata } from '../storage/validation.ts';

export const HISTORY_FORMAT = 'tiervec-history';
export const HISTORY_FORMAT_VERSION = 1;
/** A client whose operation ended in `info` continues as `process + PROCESS_STRIDE`. */
export const PROCESS_STRIDE = 100;

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type Process = number | 'nemesis';

/** A document as the history records it: what was written, or what a read returned. */
export interface HistoryDoc {
  id: string;
  vector: number[];
  metadata: Metadata;
}

/** Where an operation ran: the tenant and collection (every client operation names both). */
export interface Target {
  tenant: string;
  collection: string;
}

export type OperationValue =
  | (Target & { docs: HistoryDoc[] }) // insert, upsert
  | (Target & { ids: string[] }) // delete
  | (Target & { id: string; doc?: HistoryDoc | null }) // get
  | (Target & { vector: number[]; k: number; hits?: { id: string; distance: number; metadata: Metadata }[] })
  | (Target & Record<string, unknown>) // flush, compact, set-tier, publish
  | Record<string, unknown>; // nemesis and store-wide operations

export interface HistoryEvent {
  index: number;
  time: number;
  process: Process;
  type: EventType;
  f: string;
  value: OperationValue;
  error?: { code: string; message: string };
}

export interface HistoryJson {
  format: typeof HISTORY_FORMAT;
  version: typeof HISTORY_FORMAT_VERSION;
  seed: number;
  options: Record<string, unknown>;
  events: HistoryEvent[];
}

/** An operation that has been invoked and waits for its outcome. */
export interface Invocation {
  readonly process: Process;
  readonly f: string;
  readonly value: OperationValue;
  readonly index: number;
}

/** Records events in order; `now` gives the simulated time of each event. */
export class History {
  readonly events: HistoryEvent[] = [];
  readonly #now: () => number;
  readonly #startMs: number;

  constructor(now: () => number) {
    this.#now = now;
    this.#startMs = now();
  }

  invoke(process: Process, f: string, value: OperationValue): Invocation {
    const index = this.#push({ process, type: 'invoke', f, value });
    return { process, f, value, index };
  }

  ok(invocation: Invocation, result: Record<string, unknown> = {}): void {
    this.#push({
      process: invocation.process,
      type: 'ok',
      f: invocation.f,
      value: { ...invocation.value, ...result },
    });
  }

  /** `fail`: the operation certainly did not happen; `info`: it may or may not have happened. */
  end(invocation: Invocation, type: 'fail' | 'info', error: { code: string; message: string }): void {
    const redacted = { code: error.code, message: redactPaths(error.message) };
    this.#push({
      process: invocation.process,
      type,
      f: invocation.f,
      value: invocation.value,
      error: redacted,
    });
  }

  /** A fault injected by the simulation (crash, recovery, partition …): one `info` event. */
  nemesis(f: string, value: Record<string, unknown> = {}): void {
    const redacted = Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, typeof v === 'string' ? redactPaths(v) : v]),
    );
    this.#push({ process: 'nemesis', type: 'info', f, value: redacted });
  }

  toJSON(seed: number, options: Record<string, unknown>): HistoryJson {
    return { format: HISTORY_FORMAT, version: HISTORY_FORMAT_VERSION, seed, options, events: this.events };
  }

  #push(event: Omit<HistoryEvent, 'index' | 'time'> & { error?: HistoryEvent['error'] }): number {
    const index = this.events.length;
    const full: HistoryEvent = { index, time: this.#now() - this.#startMs, ...event };
    if (full.error === undefined) delete full.error;
    this.events.push(full);
    return index;
  }
}

/**
 * Replaces the simulation's temporary directories (random names) in messages with `<dir>`, so the
 * same seed gives the same history byte for byte.
 */
export function redactPaths(message: string): string {
  return message.replace(/\/[^\s'"`]*tiervec-sim-\d+-[A-Za-z0-9]+(-g\d+)?/g, '<dir>');
}

/** A document's copy for the history (vectors as plain arrays, metadata cloned). */
export function historyDoc(id: string, vector: ArrayLike<number>, metadata: Metadata): HistoryDoc {
  return { id, vector: Array.from(vector), metadata: structuredClone(metadata) };
}
