/**
 * The checker: reads a history (see `history.ts`) and proves, or refutes, what tiervec promises:
 *
 * - every `ok` write is readable afterwards, recoveries included, with its exact vector and
 *   metadata (the last `ok` write of an id wins; an `ok` delete makes the id absent);
 * - a `fail` write left no trace: its value is never read (a value is identified by the `w` field
 *   every simulated write puts in its metadata, so a later write of equal content is not confused);
 * - an `info` write may or may not be there, and so may an `ok` write that a crash was allowed to
 *   lose by its durability mode (see `durability-windows.ts`);
 * - no deleted id returns;
 * - an exact search agrees with `get`: every hit is an allowed value with the right distance, and no
 *   document certainly present and closer than the farthest hit (or any, when fewer than `k` came
 *   back) is missing;
 * - tenants never see each other's data (every value carries its tenant and collection in `t`/`c`).
 *
 * For every id the checker keeps the set of values a read may return at each point of the history:
 * the value of the last certain write (or absent), plus the value of every later uncertain write,
 * plus writes still in flight. Reads are checked against that set; a read outside it is a violation
 * named after what it found. The checker never runs store code and never changes the history.
 */

import { distance } from '../storage/segment/distance.ts';
import { type Durability, inWindow, type LossWindows, lossWindows, targetKey } from './durability-windows.ts';
import type { HistoryDoc, HistoryEvent } from './history.ts';

export type ViolationKind =
  | 'lost-write'
  | 'failed-write-visible'
  | 'deleted-id-returned'
  | 'stale-value'
  | 'corrupt-value'
  | 'tenant-leak'
  | 'search-disagrees-with-get';

export interface Violation {
  kind: ViolationKind;
  /** The history index of the read that showed it. */
  index: number;
  /** `tenant/collection/id`. */
  key: string;
  message: string;
}

export interface CheckResult {
  valid: boolean;
  violations: Violation[];
  reads: number;
  writes: number;
}

type Metric = 'cosine' | 'l2' | 'ip';
/** A value an id can hold: the write number `w` of the write that put it there, or absent. */
type State = number | 'absent';

interface WriteRecord {
  w: number;
  key: string;
  doc: HistoryDoc | undefined;
  outcome: 'pending' | 'certain' | 'uncertain' | 'failed';
}

interface KeyState {
  records: WriteRecord[];
}

const ABSENT: State = 'absent';
const DISTANCE_TOLERANCE = 1e-4;

export interface CheckerOptions {
  durability: Durability;
}

export function checkHistory(events: readonly HistoryEvent[], options: CheckerOptions): CheckResult {
  return new HistoryChecker(events, options.durability).run();
}

class HistoryChecker {
  readonly #events: readonly HistoryEvent[];
  readonly #windows: LossWindows;
  readonly #keys = new Map<string, KeyState>();
  readonly #writes = new Map<number, WriteRecord>();
  readonly #metrics = new Map<string, Metric>();
  readonly #invokes = new Map<string, { event: HistoryEvent; records: WriteRecord[] }>();
  readonly #violations: Violation[] = [];
  #reads = 0;
  #nextDelete = -1;

  constructor(events: readonly HistoryEvent[], durability: Durability) {
    this.#events = events;
    this.#windows = lossWindows(events, durability);
  }

  run(): CheckResult {
    for (const event of this.#events) {
      if (event.process === 'nemesis') continue;
      if (event.type === 'invoke') this.#onInvoke(event);
      else this.#onComplete(event);
    }
    return {
      valid: this.#violations.length === 0,
      violations: this.#violations,
      reads: this.#reads,
      writes: this.#writes.size,
    };
  }

  #onInvoke(event: HistoryEvent): void {
    const records: WriteRecord[] = [];
    if (event.f === 'create-collection') {
      // Known from the invocation: a create whose answer was lost still fixes the metric.
      this.#metrics.set(
        targetKey(event.value as { tenant?: unknown }),
        (event.value as { metric: Metric }).metric,
      );
    }
    const value = event.value as { docs?: HistoryDoc[]; ids?: string[] };
    const target = targetKey(event.value as { tenant?: unknown });
    if ((event.f === 'insert' || event.f === 'upsert') && value.docs !== undefined) {
      for (const doc of value.docs) records.push(this.#record(target, doc.id, doc, writeNumber(doc)));
    } else if (event.f === 'delete' && value.ids !== undefined) {
      for (const id of value.ids) records.push(this.#record(target, id, undefined, this.#nextDelete--));
    }
    this.#invokes.set(String(event.process), { event, records });
  }

  #record(target: string, id: string, doc: HistoryDoc | undefined, w: number): WriteRecord {
    const key = `${target}/${id}`;
    const record: WriteRecord = { w, key, doc, outcome: 'pending' };
    const state = this.#keys.get(key) ?? { records: [] };
    state.records.push(record);
    this.#keys.set(key, state);
    if (doc !== undefined) this.#writes.set(w, record);
    return record;
  }

  #onComplete(event: HistoryEvent): void {
    const invocation = this.#invokes.get(String(event.process));
    this.#invokes.delete(String(event.process));
    const target = targetKey(event.value as { tenant?: unknown });
    for (const record of invocation?.records ?? []) {
      if (event.type === 'fail') record.outcome = 'failed';
      else if (event.type === 'info') record.outcome = 'uncertain';
      else record.outcome = inWindow(this.#windows, target, event.index) ? 'uncertain' : 'certain';
    }
    if (event.type !== 'ok') return;
    const value = event.value as Record<string, unknown>;
    if (event.f === 'get') this.#checkGet(event, target, value as { id: string; doc?: HistoryDoc | null });
    if (event.f === 'search') this.#checkSearch(event, target, value as unknown as SearchValue);
  }

  /** Values a read of `key` may return now: last certain write, later uncertain ones, in-flight ones. */
  #allowed(key: string): { states: Set<State>; base: WriteRecord | undefined } {
    const records = this.#keys.get(key)?.records ?? [];
    let baseIndex = -1;
    for (let i = records.length - 1; i >= 0; i--) {
      if ((records[i] as WriteRecord).outcome === 'certain') {
        baseIndex = i;
        break;
      }
    }
    const base = records[baseIndex];
    const states = new Set<State>([base === undefined ? ABSENT : stateOf(base)]);
    for (let i = baseIndex + 1; i < records.length; i++) {
      const record = records[i] as WriteRecord;
      if (record.outcome === 'uncertain' || record.outcome === 'pending') states.add(stateOf(record));
    }
    return { states, base };
  }

  #checkGet(event: HistoryEvent, target: string, value: { id: string; doc?: HistoryDoc | null }): void {
    this.#reads++;
    const key = `${target}/${value.id}`;
    const doc = value.doc ?? undefined;
    if (doc === undefined) {
      const { states, base } = this.#allowed(key);
      if (states.has(ABSENT)) return;
      if (this.#failedDeleteAfter(key, base)) {
        this.#violate(
          'failed-write-visible',
          event,
          key,
          'get returned nothing: a delete that failed took effect',
        );
      } else {
        this.#violate(
          'lost-write',
          event,
          key,
          `get returned nothing, but write w=${base?.w} was acknowledged`,
        );
      }
      return;
    }
    this.#checkValue(event, target, key, doc);
  }

  /** A read returned `doc` for `key`: it must be an allowed value, intact, of this tenant. */
  #checkValue(event: HistoryEvent, target: string, key: string, doc: HistoryDoc): boolean {
    const owner = `${String(doc.metadata.t)}/${String(doc.metadata.c)}`;
    if (owner !== target) {
      this.#violate('tenant-leak', event, key, `read in ${target} returned a value written in ${owner}`);
      return false;
    }
    const w = writeNumber(doc);
    const written = this.#writes.get(w);
    if (written === undefined || written.key !== key || !sameDoc(written.doc as HistoryDoc, doc)) {
      const what = written === undefined ? 'no write' : `write w=${w} of ${written.key}`;
      this.#violate(
        'corrupt-value',
        event,
        key,
        `read returned ${JSON.stringify(doc)}, which matches ${what}`,
      );
      return false;
    }
    const { states, base } = this.#allowed(key);
    if (states.has(w)) return true;
    if (written.outcome === 'failed') {
      this.#violate('failed-write-visible', event, key, `read returned write w=${w}, which failed`);
    } else if (base !== undefined && base.doc === undefined) {
      this.#violate(
        'deleted-id-returned',
        event,
        key,
        `read returned write w=${w} after an acknowledged delete`,
      );
    } else {
      const expected = [...states].join(' or ');
      this.#violate('stale-value', event, key, `read returned write w=${w}; allowed: ${expected}`);
    }
    return false;
  }

  /** Whether a delete of `key` that failed comes after its last certain write. */
  #failedDeleteAfter(key: string, base: WriteRecord | undefined): boolean {
    const records = this.#keys.get(key)?.records ?? [];
    const from = base === undefined ? 0 : records.indexOf(base) + 1;
    return records.slice(from).some((record) => record.doc === undefined && record.outcome === 'failed');
  }

  #checkSearch(event: HistoryEvent, target: string, value: SearchValue): void {
    if (value.hits === undefined) return;
    this.#reads++;
    const metric = this.#metrics.get(target) ?? 'l2';
    const query = Float32Array.from(value.vector);
    const found = new Set<string>();
    let farthest = Number.NEGATIVE_INFINITY;
    for (const hit of value.hits) {
      const key = `${target}/${hit.id}`;
      found.add(key);
      farthest = Math.max(farthest, hit.distance);
      const doc = {
        id: hit.id,
        vector: this.#writes.get(writeNumber(hit))?.doc?.vector ?? [],
        metadata: hit.metadata,
      };
      if (!this.#checkValue(event, target, key, doc)) continue;
      const expected = distanceTo(metric, query, doc.vector);
      if (!closeEnough(expected, hit.distance)) {
        this.#violate(
          'search-disagrees-with-get',
          event,
          key,
          `distance ${hit.distance}, expected ${expected}`,
        );
      }
    }
    this.#checkMissing(event, target, value, query, metric, found, farthest);
  }

  /** Every certainly present document closer than the farthest hit (or any, if short) must be a hit. */
  #checkMissing(
    event: HistoryEvent,
    target: string,
    value: SearchValue,
    query: Float32Array,
    metric: Metric,
    found: ReadonlySet<string>,
    farthest: number,
  ): void {
    const short = value.hits !== undefined && value.hits.length < value.k;
    for (const key of this.#keys.keys()) {
      if (!key.startsWith(`${target}/`) || found.has(key)) continue;
      const { states, base } = this.#allowed(key);
      if (states.size !== 1 || base?.doc === undefined) continue;
      const d = distanceTo(metric, query, base.doc.vector);
      if (short || d < farthest - DISTANCE_TOLERANCE * Math.max(1, Math.abs(farthest))) {
        const why = short ? `only ${value.hits?.length} of k=${value.k} hits` : `farthest hit at ${farthest}`;
        this.#violate(
          'search-disagrees-with-get',
          event,
          key,
          `exact search missed it (distance ${d}, ${why})`,
        );
      }
    }
  }

  #violate(kind: ViolationKind, event: HistoryEvent, key: string, message: string): void {
    this.#violations.push({
      kind,
      index: event.index,
      key,
      message: `${kind} at event ${event.index}: ${message}`,
    });
  }
}

interface SearchValue {
  vector: number[];
  k: number;
  hits?: { id: string; distance: number; metadata: HistoryDoc['metadata'] }[];
}

function stateOf(record: WriteRecord): State {
  return record.doc === undefined ? ABSENT : record.w;
}

function writeNumber(doc: { metadata: HistoryDoc['metadata'] }): number {
  const w = doc.metadata.w;
  return typeof w === 'number' ? w : Number.NaN;
}

function sameDoc(a: HistoryDoc, b: HistoryDoc): boolean {
  if (a.vector.length !== b.vector.length) return false;
  for (let i = 0; i < a.vector.length; i++) {
    if (Math.fround(a.vector[i] as number) !== Math.fround(b.vector[i] as number)) return false;
  }
  return JSON.stringify(a.metadata) === JSON.stringify(b.metadata);
}

function distanceTo(metric: Metric, query: Float32Array, vector: readonly number[]): number {
  const row = Float32Array.from(vector);
  const queryNorm = Math.hypot(...query);
  const rowNorm = Math.hypot(...row);
  return distance(metric, query, queryNorm, row, 0, rowNorm);
}

function closeEnough(a: number, b: number): boolean {
  return Math.abs(a - b) <= DISTANCE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}
