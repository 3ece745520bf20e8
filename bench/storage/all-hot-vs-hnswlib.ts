/**
 * Everything hot against raw hnswlib-node: the same vectors in one hnswlib index, searched for the
 * same queries at equal recall, timed in the same process in alternating rounds (in pairs, the second
 * reversed, each ratio the median over pairs; see alternating-rounds.ts) so that machine load hits
 * both sides alike. The raw side's ef is the smallest of a ladder whose recall@10 reaches
 * tiervec's recall with everything hot (pinned), at its default search options (or the ladder's top). It only measures; the partitioned
 * bench owns the collection.
 */

import hnswlib from 'hnswlib-node';
import { VectorGenerator } from '../../src/datasets/vector-generator.ts';
import type { Collection } from '../../src/storage/collection.ts';
import { median } from './alternating-rounds.ts';

const { HierarchicalNSW } = hnswlib;
const EF_LADDER = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512] as const;
/**
 * Alternating rounds (each: every query once per side) until each side ran this long, within the
 * bounds below (even counts: rounds go in pairs).
 */
const SIDE_MS_MIN = 6_000;
const ROUNDS_MIN = 10;
const ROUNDS_MAX = 400;

export interface AllHotResult {
  tiervecQps: number;
  rawQps: number;
  /**
   * tiervec QPS ÷ raw hnswlib's QPS at tiervec's recall (interpolated linearly in recall between the
   * ladder's step below and `rawEf`, which reaches it): the median over pairs of rounds.
   */
  ratio: number;
  /** tiervec QPS ÷ raw hnswlib's at `rawEf` (whose recall may be well above tiervec's), median over pairs. */
  ratioAtRawEf: number;
  tiervecRecall: number;
  rawRecall: number;
  rawEf: number;
  rawBuildS: number;
  /** Alternating rounds timed (each runs every query once on each side), in pairs. */
  rounds: number;
  /**
   * Raw hnswlib at the ladder's ef below `rawEf` (recall under tiervec's): tiervec QPS ÷ its QPS
   * (median over pairs).
   * Undefined when `rawEf` is the ladder's first step.
   */
  belowRaw: { ef: number; recall: number; ratio: number } | undefined;
}

export interface AllHotInput {
  docs: Collection;
  vectors: number;
  dimension: number;
  seed: number;
  queries: readonly Float32Array[];
  /** Exact top-10 ids per query. */
  truth: readonly (readonly string[])[];
}

function recallOf(found: readonly (readonly string[])[], truth: readonly (readonly string[])[]): number {
  let hits = 0;
  found.forEach((ids, q) => {
    const expected = new Set(truth[q]);
    hits += ids.filter((id) => expected.has(id)).length;
  });
  return hits / (truth.length * 10);
}

export async function compareAllHot(input: AllHotInput, log: (line: string) => void): Promise<AllHotResult> {
  const { docs, dimension, vectors } = input;
  log('all hot: building one raw hnswlib index over the same vectors…');
  const started = performance.now();
  const raw = new HierarchicalNSW('cosine', dimension);
  raw.initIndex(vectors, 16, 200, input.seed, false);
  const generator = new VectorGenerator({ seed: input.seed, dimension });
  for (let i = 0; i < vectors; i++) raw.addPoint(Array.from(generator.next()), i);
  const rawBuildS = (performance.now() - started) / 1_000;
  const plain = input.queries.map((q) => Array.from(q));
  const rawSearch = (ef: number) => {
    raw.setEf(ef);
    return plain.map((q) => raw.searchKnn(q, 10).neighbors.map((label) => `v${label}`));
  };
  await docs.pin();
  // tiervec's recall as it searches everything hot (pinned: one graph over the partitions), which the
  // raw side must reach.
  const pinnedFound: string[][] = [];
  for (const q of input.queries) pinnedFound.push((await docs.search(q, { k: 10 })).map((h) => h.id));
  const tiervecRecall = recallOf(pinnedFound, input.truth);
  let rawEf: number = EF_LADDER[EF_LADDER.length - 1] as number;
  let rawRecall = 0;
  // The ladder's step below rawEf: raw hnswlib there is faster but misses tiervec's recall, so the
  // ratio against it is a bound that favours raw hnswlib.
  let below: { ef: number; recall: number } | undefined;
  for (const ef of EF_LADDER) {
    const recall = recallOf(rawSearch(ef), input.truth);
    rawEf = ef;
    rawRecall = recall;
    if (recall >= tiervecRecall) break;
    below = { ef, recall };
  }
  // Rounds in pairs, the second of a pair in the reverse order (tiervec, raw, raw one step lower;
  // then raw one step lower, raw, tiervec), so a machine that speeds up or slows down within a pair
  // weighs on every side alike; each ratio is the median of the pairs' ratios, so a pair that a
  // burst of another tenant hit on one side moves it less than a sum over all rounds would.
  const sides: { tiervec: number[]; raw: number[]; below: number[] } = { tiervec: [], raw: [], below: [] };
  const timeTiervec = async () => {
    const started = performance.now();
    for (const q of input.queries) await docs.search(q, { k: 10 });
    sides.tiervec.push(performance.now() - started);
  };
  const timeRaw = (ef: number, into: number[]) => {
    const started = performance.now();
    rawSearch(ef);
    into.push(performance.now() - started);
  };
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  let rounds = 0;
  for (; rounds < ROUNDS_MAX; rounds += 2) {
    if (rounds >= ROUNDS_MIN && sum(sides.tiervec) >= SIDE_MS_MIN && sum(sides.raw) >= SIDE_MS_MIN) break;
    await timeTiervec();
    timeRaw(rawEf, sides.raw);
    if (below !== undefined) {
      timeRaw(below.ef, sides.below);
      timeRaw(below.ef, sides.below);
    }
    timeRaw(rawEf, sides.raw);
    await timeTiervec();
  }
  docs.unpin();
  const searches = rounds * input.queries.length;
  const qps = (ms: number) => (1_000 * searches) / ms;
  const tiervecQps = qps(sum(sides.tiervec));
  const rawQps = qps(sum(sides.raw));
  // The ladder is coarse: raw hnswlib's time at exactly tiervec's recall, interpolated linearly in
  // recall (on QPS) between the step below it and the step that reaches it.
  const equalRecallMs = (rawMs: number, belowMs: number) => {
    if (below === undefined || rawRecall === below.recall) return rawMs;
    const fraction = (tiervecRecall - below.recall) / (rawRecall - below.recall);
    return 1 / (1 / belowMs + fraction * (1 / rawMs - 1 / belowMs));
  };
  const pairs = Array.from({ length: rounds / 2 }, (_, pair) => {
    const at = (values: readonly number[]) => (values[2 * pair] as number) + (values[2 * pair + 1] as number);
    const tiervecMs = at(sides.tiervec);
    return {
      equalRecall: equalRecallMs(at(sides.raw), below === undefined ? 0 : at(sides.below)) / tiervecMs,
      atRawEf: at(sides.raw) / tiervecMs,
      below: below === undefined ? 0 : at(sides.below) / tiervecMs,
    };
  });
  return {
    tiervecQps,
    rawQps,
    ratio: median(pairs.map((pair) => pair.equalRecall)),
    ratioAtRawEf: median(pairs.map((pair) => pair.atRawEf)),
    tiervecRecall,
    rawRecall,
    rawEf,
    rawBuildS,
    rounds,
    belowRaw:
      below === undefined
        ? undefined
        : { ef: below.ef, recall: below.recall, ratio: median(pairs.map((pair) => pair.below)) },
  };
}
