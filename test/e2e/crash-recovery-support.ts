/**
 * The crash-recovery harness shared by crash-recovery.test.ts, crash-recovery-repartition.test.ts
 * and crash-recovery-rebalance.test.ts (three files, so the test runner's two workers share them).
 * Crash recovery: a child process writes to a store with several writes in flight and is killed with
 * SIGKILL after a seeded number of acknowledgements; the parent then reopens the store and checks
 * that every acknowledged write is there with its exact vector and metadata, that every id is in a
 * state some prefix of its writes explains (a write in flight at the kill may or may not have landed),
 * and that nothing else appeared. The same store goes through every kill point in turn, so recovery
 * also runs on top of earlier recoveries, seals interrupted midway and trimmed WALs.
 */

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { Rng } from '../../src/random.ts';
import { openStore } from '../../src/storage/store.ts';
import type { StoreWarning } from '../../src/storage/store-warning.ts';
import { useBundledChild } from '../helpers/bundled-child.ts';
import {
  CRASH_COLLECTION,
  CRASH_DIMENSION,
  type JournalLine,
  metadataFor,
  parseJournal,
  vectorFor,
} from '../helpers/crash-workload.ts';
import { useTempDirs } from '../helpers/storage-fixtures.ts';

export const temp = useTempDirs('tiervec-crash-');
/** The child runs bundled: a round then spends a third of a second starting instead of a second. */
const script = useBundledChild(resolve(import.meta.dirname, 'crash-recovery-child.ts'));
const SEED = 90_125;
const REPO = resolve(import.meta.dirname, '..', '..');

type IdState = number | 'absent';

interface RoundResult {
  acks: number;
  signal: NodeJS.Signals | null;
  /** Where the child SIGKILLed itself (`fsync-rebalance`), or undefined when the parent killed it. */
  killPoint: string | undefined;
  /** Splits and merges of the child's compactions that completed. */
  splits: number;
  merges: number;
}

/** Runs one child until it has printed `killAfterAcks` acks, then SIGKILLs it (unless it killed itself first). */
async function runChild(
  dir: string,
  durability: string,
  round: number,
  killAfterAcks: number,
  journal: string,
): Promise<RoundResult> {
  const child = spawn(
    process.execPath,
    [await script.path(), dir, durability, String(SEED), String(round), journal],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let acks = 0;
  let killPoint: string | undefined;
  let splits = 0;
  let merges = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  // A child that prints nothing for 30 s is stuck: kill it (and fail the round). A slow child on a
  // busy machine keeps printing, so the guard restarts at every line.
  let guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  for await (const line of createInterface({ input: child.stdout })) {
    clearTimeout(guard);
    guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [word, a, b] = line.split(' ');
    if (word === 'kill-point') killPoint = line.slice(word.length + 1);
    if (word === 'rebalanced') {
      splits += Number(a);
      merges += Number(b);
    }
    if (word !== 'ack') continue;
    acks++;
    if (acks === killAfterAcks) child.kill('SIGKILL');
  }
  const { code, signal } = await exited;
  clearTimeout(guard);
  if (signal !== 'SIGKILL' || (acks < killAfterAcks && killPoint === undefined)) {
    throw new Error(
      `round ${round}: child exited with code ${code} signal ${signal} after ${acks} acks\n${stderr}`,
    );
  }
  return { acks, signal, killPoint, splits, merges };
}

/** For every id the child touched, the states it may be in now: those after its last acknowledged write or later. */
function allowedStates(lines: JournalLine[], truth: ReadonlyMap<string, IdState>): Map<string, Set<IdState>> {
  const acked = new Set(lines.filter((l) => l.t === 'ack').map((l) => (l as { seq: number }).seq));
  const history = new Map<string, { seq: number; state: IdState }[]>();
  for (const line of lines) {
    if (line.t !== 'intent') continue;
    line.ids.forEach((id, i) => {
      const state: IdState = line.op === 'delete' ? 'absent' : (line.versions[i] as number);
      const list = history.get(id) ?? [];
      list.push({ seq: line.seq, state });
      history.set(id, list);
    });
  }
  const allowed = new Map<string, Set<IdState>>();
  for (const [id, ops] of history) {
    let lastAcked = -1;
    ops.forEach((op, i) => {
      if (acked.has(op.seq)) lastAcked = i;
    });
    const states = ops.slice(Math.max(lastAcked, 0)).map((op) => op.state);
    if (lastAcked < 0) states.push(truth.get(id) ?? 'absent');
    allowed.set(id, new Set(states));
  }
  return allowed;
}

async function verify(
  dir: string,
  journal: string,
  truth: Map<string, IdState>,
  warnings: StoreWarning[],
): Promise<number> {
  const lines = parseJournal(await readFile(journal, 'utf8'));
  const allowed = allowedStates(lines, truth);
  const store = await openStore({ dir, onWarning: (w) => warnings.push(w) });
  const collection = store.collection(CRASH_COLLECTION);
  const ids = new Set([...truth.keys(), ...allowed.keys()]);
  for (const id of ids) {
    const doc = await collection.get(id);
    const state: IdState = doc === undefined ? 'absent' : (doc.metadata.version as number);
    const expected = allowed.get(id) ?? new Set([truth.get(id) ?? 'absent']);
    expect(expected.has(state), `${id} is ${state}; allowed: ${[...expected].join(', ')}`).toBe(true);
    if (doc !== undefined) {
      expect(doc.vector, `${id} vector`).toEqual(vectorFor(id, state as number));
      expect(doc.metadata, `${id} metadata`).toEqual(metadataFor(id, state as number));
    }
    truth.set(id, state);
  }
  const present = [...truth.values()].filter((state) => state !== 'absent').length;
  expect(collection.stats().vectors, 'no document the journal does not explain').toBe(present);
  await store.close();
  return lines.filter((l) => l.t === 'ack').length;
}

export type CrashMode = 'fsync' | 'buffered' | 'fsync-repartition' | 'fsync-rebalance';

export interface KillSummary {
  dir: string;
  /** The kill points inside splits and merges (`fsync-rebalance`), one per round that reached one. */
  killPoints: string[];
  splits: number;
  merges: number;
}

async function createStore(dir: string, mode: CrashMode): Promise<void> {
  const store = await openStore({ dir, durability: mode === 'buffered' ? 'buffered' : 'fsync' });
  await store.createCollection({ name: CRASH_COLLECTION, dimension: CRASH_DIMENSION, metric: 'l2' });
  await store.close();
}

/**
 * Runs `rounds` rounds (each a child killed with SIGKILL, then the store checked), or with
 * `killPointsMin` only as many as reach that many kill points inside splits and merges
 * (`fsync-rebalance`), `rounds` being then the most it runs.
 */
export async function killRepeatedly(
  durability: CrashMode,
  rounds: number,
  killPointsMin?: number,
): Promise<KillSummary> {
  const dir = await temp.make();
  const journals = await temp.make();
  await createStore(dir, durability);
  const rng = new Rng(SEED).fork(durability);
  const truth = new Map<string, IdState>();
  const warnings: StoreWarning[] = [];
  let ackedWrites = 0;
  const summary: KillSummary = { dir, killPoints: [], splits: 0, merges: 0 };
  let round = 0;
  for (; round < rounds && summary.killPoints.length < (killPointsMin ?? Infinity); round++) {
    // Re-partitioning needs sealed rows first: its rounds run longer so kills land inside compactions.
    // A rebalancing child kills itself at a seeded call inside a split or merge; the parent's kill
    // after many acks only ends a round that never reached one.
    const killAfterAcks =
      durability === 'fsync-rebalance'
        ? 400
        : durability === 'fsync-repartition'
          ? 20 + rng.nextInt(280)
          : 3 + rng.nextInt(45);
    const journal = join(journals, `round-${round}.ndjson`);
    const result = await runChild(dir, durability, round, killAfterAcks, journal);
    if (result.killPoint !== undefined) summary.killPoints.push(result.killPoint);
    summary.splits += result.splits;
    summary.merges += result.merges;
    ackedWrites += await verify(dir, journal, truth, warnings);
  }
  const present = [...truth.values()].filter((state) => state !== 'absent').length;
  const truncations = warnings.filter((w) => w.code === 'WAL_TRUNCATED').length;
  console.log(
    `crash recovery (${durability}, seed ${SEED}): ${round} SIGKILLs, ${ackedWrites} acknowledged writes verified, ` +
      `${present} documents present, ${truncations} torn WAL tails truncated` +
      (durability === 'fsync-rebalance'
        ? `; ${summary.splits} splits and ${summary.merges} merges completed, killed inside one at: ${summary.killPoints.join('; ')}`
        : ''),
  );
  return summary;
}
