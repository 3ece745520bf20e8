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

import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
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

const CHILD = resolve(import.meta.dirname, 'crash-recovery-child.ts');
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

/** A child started for a round: it has loaded its modules and waits for `go` to open the store. */
interface StartedChild {
  readonly process: ChildProcess;
  readonly round: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: { text: string };
}

/**
 * Starts the child of `round`. It loads its modules and then waits: the harness starts the next
 * round's child while it still checks the last round, and lets it open the store (recovering it)
 * only after that check has closed the store.
 */
async function startChild(
  harness: Harness,
  dir: string,
  durability: string,
  round: number,
  journal: string,
): Promise<StartedChild> {
  const child = spawn(
    process.execPath,
    [await harness.script.path(), dir, durability, String(SEED), String(round), journal],
    {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const stderr = { text: '' };
  child.stderr.on('data', (chunk) => {
    stderr.text += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return { process: child, round, exited, stderr };
}

/** Lets a started child run until it has printed `killAfterAcks` acks, then SIGKILLs it (unless it killed itself first). */
async function runChild(started: StartedChild, killAfterAcks: number): Promise<RoundResult> {
  const { process: child, round } = started;
  child.stdin?.end('go\n');
  let acks = 0;
  let killPoint: string | undefined;
  let splits = 0;
  let merges = 0;
  // A child that prints nothing for 30 s is stuck: kill it (and fail the round). A slow child on a
  // busy machine keeps printing, so the guard restarts at every line.
  let guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  for await (const line of createInterface({ input: child.stdout as Readable })) {
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
  const { code, signal } = await started.exited;
  clearTimeout(guard);
  if (signal !== 'SIGKILL' || (acks < killAfterAcks && killPoint === undefined)) {
    throw new Error(
      `round ${round}: child exited with code ${code} signal ${signal} after ${acks} acks\n${started.stderr.text}`,
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
async function killRepeatedly(
  harness: Harness,
  durability: CrashMode,
  rounds: number,
  killPointsMin?: number,
): Promise<KillSummary> {
  const dir = await harness.temp.make();
  const journals = await harness.temp.make();
  await createStore(dir, durability);
  const rng = new Rng(SEED).fork(durability);
  const truth = new Map<string, IdState>();
  const warnings: StoreWarning[] = [];
  let ackedWrites = 0;
  const summary: KillSummary = { dir, killPoints: [], splits: 0, merges: 0 };
  const journalOf = (n: number) => join(journals, `round-${n}.ndjson`);
  const goesOn = (n: number) => n < rounds && summary.killPoints.length < (killPointsMin ?? Infinity);
  let round = 0;
  let next: StartedChild | undefined = await startChild(harness, dir, durability, 0, journalOf(0));
  try {
    for (; goesOn(round); round++) {
      // Re-partitioning needs sealed rows first: its rounds run longer so kills land inside compactions.
      // A rebalancing child kills itself at a seeded call inside a split or merge; the parent's kill
      // after many acks only ends a round that never reached one.
      const killAfterAcks =
        durability === 'fsync-rebalance'
          ? 400
          : durability === 'fsync-repartition'
            ? 20 + rng.nextInt(280)
            : 3 + rng.nextInt(45);
      const result = await runChild(next as StartedChild, killAfterAcks);
      next = undefined;
      if (result.killPoint !== undefined) summary.killPoints.push(result.killPoint);
      summary.splits += result.splits;
      summary.merges += result.merges;
      // The next round's child starts (loads its modules) while this round is checked.
      if (goesOn(round + 1))
        next = await startChild(harness, dir, durability, round + 1, journalOf(round + 1));
      ackedWrites += await verify(dir, journalOf(round), truth, warnings);
    }
  } finally {
    next?.process.kill('SIGKILL');
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

/** The temporary directories and the bundled child of one test file. */
interface Harness {
  readonly temp: { make(): Promise<string> };
  readonly script: { path(): Promise<string> };
}

/**
 * Registers the harness in the calling test file: its temporary directories are removed after each
 * test and its bundled child after the file, by hooks of that file (so also when test files share
 * modules). The child runs bundled: a round then spends a third of a second starting, not a second.
 */
export function useCrashHarness(): {
  killRepeatedly(durability: CrashMode, rounds: number, killPointsMin?: number): Promise<KillSummary>;
} {
  const harness: Harness = { temp: useTempDirs('tiervec-crash-'), script: useBundledChild(CHILD) };
  return {
    killRepeatedly: (durability, rounds, killPointsMin) =>
      killRepeatedly(harness, durability, rounds, killPointsMin),
  };
}
