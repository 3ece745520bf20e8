/**
 * The workload shared by the crash-recovery test and its child process: the deterministic vector and
 * metadata of every (id, version), and the journal the child writes synchronously before each write
 * is issued (intent) and after it is acknowledged (ack), so the parent knows, after a SIGKILL, which
 * outcomes are allowed for every id.
 */

import { Rng } from '../../src/random.ts';

export const CRASH_DIMENSION = 8;
export const CRASH_COLLECTION = 'crash';

export type JournalLine =
  | { t: 'ready'; round: number }
  | { t: 'intent'; seq: number; op: 'insert' | 'upsert'; ids: string[]; versions: number[] }
  | { t: 'intent'; seq: number; op: 'delete'; ids: string[] }
  | { t: 'ack'; seq: number };

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function vectorFor(id: string, version: number): Float32Array {
  const rng = new Rng(hash(`${id}#${version}`));
  const vector = new Float32Array(CRASH_DIMENSION);
  for (let i = 0; i < CRASH_DIMENSION; i++) vector[i] = rng.nextFloat(-1, 1);
  return vector;
}

export function metadataFor(id: string, version: number): { id: string; version: number; note: string } {
  return { id, version, note: `${id} at version ${version}` };
}

/** Parses the journal, ignoring a last line cut short by the kill. */
export function parseJournal(text: string): JournalLine[] {
  // Whether or not the text ends with a newline, the last element is not a complete line.
  const complete = text.split('\n').slice(0, -1);
  return complete.filter((line) => line.length > 0).map((line) => JSON.parse(line) as JournalLine);
}
