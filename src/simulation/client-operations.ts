/**
 * The simulated clients' operations against the real store, each recorded in the history as an
 * invocation and its outcome. An operation's outcome is `ok` when it resolved, `info` when its
 * process crashed (or the store said the outcome is unknown: `INDETERMINATE_CODES`), and `fail`
 * otherwise: every other rejection claims the write left no trace, which the checker then holds the
 * store to. Errors that are not `TierVecError`s are reported separately as findings (the store
 * promises typed errors). This module never judges results.
 */

import { ErrorCode, isTierVecError } from '../errors.ts';
import type { Collection } from '../storage/collection.ts';
import type { Store } from '../storage/store.ts';
import { isSimulatedCrash } from './crash-switch.ts';
import {
  type History,
  type HistoryDoc,
  historyDoc,
  type Invocation,
  type OperationValue,
} from './history.ts';

/**
 * Error codes with which the store says a write's outcome is unknown (it may or may not have
 * happened). A rejection with any other code must have left no trace.
 */
export const INDETERMINATE_CODES: ReadonlySet<string> = new Set([ErrorCode.WRITE_INDETERMINATE]);

/** An operation started by a client; `settled` fills in when its promise settles. */
export interface StartedOperation {
  invocation: Invocation;
  slot: number;
  promise: Promise<Record<string, unknown>>;
  settled: { value: Record<string, unknown> } | { error: unknown } | undefined;
}

export type Target = { tenant: string; collection: string };

export function start(
  history: History,
  process: number,
  slot: number,
  f: string,
  value: OperationValue,
  run: () => Promise<Record<string, unknown>>,
): StartedOperation {
  const invocation = history.invoke(process, f, value);
  let promise: Promise<Record<string, unknown>>;
  try {
    promise = run();
  } catch (error) {
    // A synchronous throw is still an outcome (and a finding: async methods should reject).
    promise = Promise.reject(error);
  }
  const op: StartedOperation = { invocation, slot, promise, settled: undefined };
  promise.then(
    (result) => {
      op.settled = { value: result };
    },
    (error: unknown) => {
      op.settled = { error };
    },
  );
  return op;
}

/** How one settled (or abandoned) operation ends in the history. */
export function finish(history: History, op: StartedOperation, crashed: boolean): 'ok' | 'fail' | 'info' {
  const settled = op.settled;
  if (settled === undefined) {
    history.end(op.invocation, 'info', { code: 'CRASH', message: 'the process crashed while it ran' });
    return 'info';
  }
  if ('value' in settled) {
    history.ok(op.invocation, settled.value);
    return 'ok';
  }
  const error = settled.error;
  const code = isTierVecError(error) ? error.code : error instanceof Error ? error.name : 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  if (crashed || isSimulatedCrash(error) || INDETERMINATE_CODES.has(code)) {
    history.end(op.invocation, 'info', { code: isSimulatedCrash(error) ? 'CRASH' : code, message });
    return 'info';
  }
  history.end(op.invocation, 'fail', { code, message });
  return 'fail';
}

export function writeDocs(collection: Collection, kind: 'insert' | 'upsert', docs: HistoryDoc[]) {
  const input = docs.map((doc) => ({ id: doc.id, vector: doc.vector, metadata: doc.metadata }));
  return async () => {
    const result = kind === 'insert' ? await collection.insert(input) : await collection.upsert(input);
    return { result };
  };
}

export function deleteIds(collection: Collection, ids: string[]) {
  return async () => ({ result: await collection.delete(ids) });
}

export function getDoc(collection: Collection, id: string) {
  return async () => {
    const doc = await collection.get(id);
    return { doc: doc === undefined ? null : historyDoc(doc.id, doc.vector, doc.metadata) };
  };
}

export function searchExact(collection: Collection, vector: number[], k: number) {
  return async () => {
    const hits = await collection.search(vector, { k, exact: true });
    return { hits: hits.map((hit) => ({ id: hit.id, distance: hit.distance, metadata: hit.metadata })) };
  };
}

/** Flush, compact, publish, setTier and replayDeadLetters: their results are recorded, not checked. */
export function maintenance(store: Store, collection: Collection, f: string, tier: 'hot' | 'warm' | 'cold') {
  return async (): Promise<Record<string, unknown>> => {
    if (f === 'flush') await collection.flush();
    else if (f === 'compact') {
      // Eager thresholds: with the defaults, the few rows of a simulated collection rarely qualify.
      return { result: await collection.compact({ smallSegmentRatio: 1, deletedRatioMin: 0.01 }) };
    } else if (f === 'publish') return { result: await collection.publish() };
    else if (f === 'set-tier') {
      const { moved, held } = await collection.setTier(tier);
      return { result: { tier, moved, held } };
    } else if (f === 'replay-dead-letters') {
      const outcomes = await store.replayDeadLetters();
      return { result: outcomes.map((outcome) => outcome.state) };
    }
    return {};
  };
}
