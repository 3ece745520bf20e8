/**
 * Child process of the crash-recovery test: opens the store (recovering it), then writes until it is
 * killed, with several writes in flight at once. Before issuing a write it appends an intent line to
 * the journal with a synchronous write; once the write is acknowledged it appends an ack line and
 * prints `ack <seq>` on stdout. It only ever has one write in flight per id.
 *
 * With durability `fsync-repartition` it writes with `fsync` durability while compaction runs in a loop
 * with low partition thresholds, so kills land in the middle of training, assignment and merges.
 *
 * Usage: node --import tsx crash-recovery-child.ts <dir> <durability> <seed> <round> <journal>
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { Rng } from '../../src/random.ts';
import { openStore } from '../../src/storage/store.ts';
import { CRASH_COLLECTION, type JournalLine, metadataFor, vectorFor } from '../helpers/crash-workload.ts';

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
const repartition = durability === 'fsync-repartition';
const WRITERS = 4;

function record(line: JournalLine): void {
  writeSync(journal, `${JSON.stringify(line)}\n`);
}

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

function pickLive(): string | undefined {
  const candidates = [...live].filter((id) => !busy.has(id));
  return candidates.length === 0 ? undefined : candidates[rng.nextInt(candidates.length)];
}

async function step(): Promise<void> {
  const roll = rng.next();
  const target = pickLive();
  const mySeq = ++seq;
  if (roll < 0.6 || target === undefined) {
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
  } else if (roll < 0.85) {
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

/** Compacts again and again with thresholds low enough to partition this small collection. */
async function compactor(): Promise<void> {
  for (;;) {
    await collection.compact({ partitionRowsMin: 50, targetPartitionRows: 25 });
    await new Promise((resolveWait) => setTimeout(resolveWait, 5));
  }
}

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
