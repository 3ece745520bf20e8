/**
 * Child process of the crash-recovery test: opens the store (recovering it), then writes until it is
 * killed, with several writes in flight at once. Before issuing a write it appends an intent line to
 * the journal with a synchronous write; once the write is acknowledged it appends an ack line and
 * prints `ack <seq>` on stdout. It only ever has one write in flight per id.
 *
 * With durability `fsync-repartition` it writes with `fsync` durability while compaction runs in a loop
 * with low partition thresholds, so kills land in the middle of training, assignment and merges.
 *
 * With `fsync-rebalance` compaction's target partition size alternates between 25 rows (partitions
 * past 50 split) and 1,000 (partitions under 250 merge), and once its first compaction has completed
 * the child kills itself (SIGKILL) at a seeded write of a split or merge (see inRebalanceStep): in
 * even rounds inside a merge, in odd rounds inside a split. Before the kill it prints
 * `kill-point <split|merge> call <n>: <operation> <file>`; after each compaction that split or
 * merged, `rebalanced <splits> <merges>`.
 *
 * Usage: node --import tsx crash-recovery-child.ts <dir> <durability> <seed> <round> <journal>, then
 * any line on stdin to start (the harness runs it bundled: test/helpers/bundled-child.ts).
 */

import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Rng } from '../../src/random.ts';
import { type FileSystem, installFileSystem, nodeFileSystem } from '../../src/storage/file-system.ts';
import { nextRebalanceStep } from '../../src/storage/partition/partition-rebalance.ts';
import { openStore } from '../../src/storage/store.ts';
import {
  CRASH_COLLECTION,
  type JournalLine,
  metadataFor,
  parseJournal,
  vectorFor,
} from '../helpers/crash-workload.ts';

const [dir, durability, seedText, roundText, journalPath] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const round = Number(roundText);
const rng = new Rng(Number(seedText)).fork(`round-${round}`);
const journal = openSync(journalPath, 'a');
const rebalance = durability === 'fsync-rebalance';
const repartition = durability === 'fsync-repartition' || rebalance;
const WRITERS = 4;

function record(line: JournalLine): void {
  writeSync(journal, `${JSON.stringify(line)}\n`);
}

// The harness starts a round's child while it still checks the previous round: the child opens the
// store (recovering it) only once the harness writes `go` on its stdin.
await new Promise<void>((resolveGo) => process.stdin.once('data', () => resolveGo()));
process.stdin.pause();

const store = await openStore({
  dir,
  durability: repartition ? 'fsync' : (durability as 'fsync' | 'buffered'),
  segmentVectorsMax: 25,
  bufferedFlushIntervalMs: 60_000,
  onWarning: () => undefined,
});
const collection = store.collection(CRASH_COLLECTION);
record({ t: 'ready', round });

const versions = new Map<string, number>();
const live = new Set<string>();
const busy = new Set<string>();
let seq = 0;
let created = 0;

/**
 * Rebalancing rounds also update and delete the documents of earlier rounds (those present now, read
 * by id from the earlier journals), and insert less once 300 are live: the collection stays small,
 * so each compaction's splits and merges stay short and a round reaches its kill quickly.
 */
async function adoptEarlierDocuments(): Promise<void> {
  const journals = dirname(journalPath);
  const ids = new Set<string>();
  for (const name of readdirSync(journals).sort()) {
    if (!name.endsWith('.ndjson') || name === basename(journalPath)) continue;
    for (const line of parseJournal(readFileSync(join(journals, name), 'utf8'))) {
      if (line.t === 'intent' && line.op !== 'delete') for (const id of line.ids) ids.add(id);
    }
  }
  for (const id of ids) {
    const doc = await collection.get(id);
    if (doc === undefined) continue;
    live.add(id);
    versions.set(id, doc.metadata.version as number);
  }
}

if (rebalance) await adoptEarlierDocuments();

function pickLive(): string | undefined {
  const candidates = [...live].filter((id) => !busy.has(id));
  return candidates.length === 0 ? undefined : candidates[rng.nextInt(candidates.length)];
}

async function step(): Promise<void> {
  const roll = rng.next();
  const target = pickLive();
  const mySeq = ++seq;
  const insertShare = rebalance && live.size > 300 ? 0.15 : 0.6;
  if (roll < insertShare || target === undefined) {
    const count = 1 + rng.nextInt(5);
    const ids = Array.from({ length: count }, () => `r${round}-${created++}`);
    for (const id of ids) busy.add(id);
    record({ t: 'intent', seq: mySeq, op: 'insert', ids, versions: ids.map(() => 1) });
    await collection.insert(
      ids.map((id) => ({ id, vector: vectorFor(id, 1), metadata: metadataFor(id, 1) })),
    );
    for (const id of ids) {
      versions.set(id, 1);
      live.add(id);
    }
    done(mySeq, ids);
  } else if (roll < insertShare + 0.25) {
    const version = (versions.get(target) ?? 1) + 1;
    busy.add(target);
    record({ t: 'intent', seq: mySeq, op: 'upsert', ids: [target], versions: [version] });
    await collection.upsert([
      { id: target, vector: vectorFor(target, version), metadata: metadataFor(target, version) },
    ]);
    versions.set(target, version);
    done(mySeq, [target]);
  } else {
    busy.add(target);
    record({ t: 'intent', seq: mySeq, op: 'delete', ids: [target] });
    await collection.delete([target]);
    live.delete(target);
    done(mySeq, [target]);
  }
  if (rng.next() < 0.05) await collection.flush();
}

function done(mySeq: number, ids: string[]): void {
  for (const id of ids) busy.delete(id);
  record({ t: 'ack', seq: mySeq });
  process.stdout.write(`ack ${mySeq}\n`);
}

async function writer(): Promise<void> {
  for (;;) await step();
}

/** The target partition size of the compaction running now (undefined between compactions). */
let compactingTarget: number | undefined;
/** Kills are armed once a compaction of this process has completed, so that each round makes progress. */
let armed = false;

/** Compacts again and again with thresholds low enough to partition this small collection. */
async function compactor(): Promise<void> {
  for (let i = round; ; i++) {
    // Rebalancing compactions alternate: at 25 rows partitions past 50 split, at 1,000 those under 250
    // merge. Re-partitioning ones aim at 100 rows: kills land in assignments, and splits (each one more
    // rewrite and manifest) stay few, which the rebalancing mode covers.
    const targetPartitionRows = rebalance ? (i % 2 === 1 ? 1_000 : 25) : 100;
    if (rebalance) await collection.flush();
    compactingTarget = targetPartitionRows;
    const result = await collection.compact({ partitionRowsMin: 50, targetPartitionRows });
    compactingTarget = undefined;
    stepVersion = undefined;
    armed = true;
    if (rebalance && result.rebalancing !== undefined) {
      writeSync(1, `rebalanced ${result.rebalancing.splits} ${result.rebalancing.merges}\n`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 5));
  }
}

/** The split or merge due while a compaction runs with every sealed segment partitioned. */
function rebalancing(): 'split' | 'merge' | undefined {
  if (compactingTarget === undefined) return undefined;
  const stats = collection.stats();
  const sealing = stats.segments.filter((segment) => segment.state === 'sealing').length;
  if (stats.partitions.count === 0 || stats.partitions.unpartitionedSegments > sealing) return undefined;
  const liveRows = stats.partitions.partitions.map((partition) => partition.liveRows);
  return nextRebalanceStep(liveRows, compactingTarget)?.kind;
}

/** A segment file written by compaction (`{seq}-{manifest version}`), and a manifest. */
const COMPACTED_FILE = /^\d{10}-(\d{10})\.(arrow|hnsw)/;
const MANIFEST_FILE = /^(\d{20})\.json/;
/** The newest version of the segment files this compaction's splits and merges wrote. */
let stepVersion: number | undefined;

/**
 * True for a write a split or merge makes. While one is due in a compaction with every segment
 * partitioned (so the assignment of new segments is over): writing a compaction segment file (a
 * seal's files carry no version), writing the manifest of the version those files carry, and once
 * that manifest is durable, removing the compaction segment files it replaced.
 */
function inRebalanceStep(operation: string, path: string): boolean {
  if (!['open', 'writeFile', 'rename', 'rm'].includes(operation) || rebalancing() === undefined) return false;
  const file = basename(path);
  const compacted = COMPACTED_FILE.exec(file);
  if (compacted !== null && operation !== 'rm') {
    stepVersion = Math.max(stepVersion ?? 0, Number(compacted[1]));
    return true;
  }
  if (stepVersion === undefined) return false;
  const manifest = basename(dirname(path)) === 'manifest' ? MANIFEST_FILE.exec(file) : null;
  if (manifest !== null) return Number(manifest[1]) === stepVersion;
  return compacted !== null && collection.stats().manifest.version >= stepVersion;
}

/**
 * The file system with a seeded kill: the `killAtCall`-th call a split or merge makes SIGKILLs this
 * process before it happens.
 */
function killingFileSystem(killAtCall: number): FileSystem {
  let calls = 0;
  const guard =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const path = String(args[0]);
      const counted = inRebalanceStep(operation, path);
      if (counted && armed && ++calls === killAtCall) {
        writeSync(1, `kill-point ${rebalancing()} call ${calls}: ${operation} ${basename(path)}\n`);
        process.kill(process.pid, 'SIGKILL');
        return new Promise<R>(() => undefined);
      }
      return call(...args);
    };
  const fs = nodeFileSystem;
  return {
    open: guard('open', fs.open),
    readFile: guard('readFile', fs.readFile),
    readFileInto: guard('readFileInto', fs.readFileInto),
    writeFile: guard('writeFile', fs.writeFile),
    rename: guard('rename', fs.rename),
    link: guard('link', fs.link),
    rm: guard('rm', fs.rm),
    mkdir: guard('mkdir', fs.mkdir),
    readdir: guard('readdir', fs.readdir),
    access: guard('access', fs.access),
    realpath: guard('realpath', fs.realpath),
  };
}

if (rebalance) installFileSystem(killingFileSystem(1 + rng.fork('kill').nextInt(40)));

try {
  await Promise.all([
    ...Array.from({ length: WRITERS }, () => writer()),
    ...(repartition ? [compactor()] : []),
  ]);
} catch (error) {
  process.stderr.write(`child failed: ${(error as Error).stack}\n`);
  closeSync(journal);
  process.exit(1);
}
