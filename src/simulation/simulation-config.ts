/**
 * What one seed simulates: the durability mode, the object store's latency and fault rules, the
 * uploader's limits (a small dead-letter queue), the number of steps and how often each kind of
 * step is chosen. Everything is drawn from the seed (an option given on the command line overrides
 * its draw), so `seed` plus the options reproduce the run exactly. This module only decides; it
 * never runs anything.
 */

import { checkInteger, ErrorCode, TierVecError } from '../errors.ts';
import type { S3ErrorCode } from '../object-store/object-store-error.ts';
import type { MockFailureRule } from '../object-store/testing/mock-s3-faults.ts';
import { Rng } from '../random.ts';
import type { Durability } from './durability-windows.ts';

export const DURABILITIES: readonly Durability[] = Object.freeze(['fsync', 'buffered', 'object-store']);

/** Options a caller may fix; everything not given is drawn from the seed. */
export interface SimulationOptions {
  /** Client steps per run (before the final recovery and read-back). @default drawn in 8..24 */
  steps?: number;
  durability?: Durability;
}

export interface SimulationConfig {
  seed: number;
  steps: number;
  durability: Durability;
  latency: { fixedMs: number; jitterMs: number };
  failures: MockFailureRule[];
  deadLettersMax: number;
  segmentVectorsMax: number;
  dimension: number;
  /** Targets: tenant and collection names with their metric. */
  targets: { tenant: string; collection: string; metric: 'l2' | 'ip' }[];
  /** Ids each target draws from (small, so ids collide and are overwritten and deleted often). */
  ids: string[];
}

export const STEPS_MAX = 10_000;
const TRANSIENT: readonly S3ErrorCode[] = [
  'InternalError',
  'SlowDown',
  'ServiceUnavailable',
  'RequestTimeout',
];

export function validateSimulationOptions(input: SimulationOptions): SimulationOptions {
  const steps = input.steps === undefined ? undefined : checkInteger('steps', input.steps, 1, STEPS_MAX);
  if (input.durability !== undefined && !DURABILITIES.includes(input.durability)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`durability\` to be 'fsync', 'buffered' or 'object-store', got ${JSON.stringify(input.durability)}`,
      { details: { option: 'durability', value: input.durability } },
    );
  }
  return { steps, durability: input.durability };
}

export function simulationConfig(seed: number, options: SimulationOptions = {}): SimulationConfig {
  const rng = new Rng(seed).fork('config');
  const durability = DURABILITIES[rng.nextInt(DURABILITIES.length)] as Durability;
  const steps = 8 + rng.nextInt(17);
  // Two tenants with a collection of the same name (so a leak between them would be visible) and a
  // second collection; few, because every segment costs an HNSW index (~17 ms to create in hnswlib).
  const targets = [
    { tenant: 't0', collection: 'a', metric: 'l2' as const },
    { tenant: 't1', collection: 'a', metric: 'ip' as const },
  ];
  if (rng.next() < 0.25) targets.push({ tenant: 't0', collection: 'b', metric: 'l2' as const });
  return {
    seed,
    steps: options.steps ?? steps,
    durability: options.durability ?? durability,
    latency: { fixedMs: rng.nextInt(4), jitterMs: rng.next() < 0.3 ? 20 + rng.nextInt(200) : rng.nextInt(5) },
    failures: failureRules(rng, targets),
    deadLettersMax: 1 + rng.nextInt(4),
    segmentVectorsMax: 2 + rng.nextInt(5),
    dimension: 4,
    targets,
    ids: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'],
  };
}

/** Seeded flaky 5xx/SlowDown/timeouts, lost answers, and 412s on manifests' conditional puts. */
function failureRules(rng: Rng, targets: SimulationConfig['targets']): MockFailureRule[] {
  const rules: MockFailureRule[] = [];
  if (rng.next() < 0.7) {
    const code = TRANSIENT[rng.nextInt(TRANSIENT.length)] as S3ErrorCode;
    rules.push({ rate: round(rng.next() * 0.25), code });
  }
  if (rng.next() < 0.4) {
    const code = TRANSIENT[rng.nextInt(TRANSIENT.length)] as S3ErrorCode;
    rules.push({ rate: round(rng.next() * 0.2), code, operations: ['put', 'delete'], answerLost: true });
  }
  if (rng.next() < 0.3) {
    const target = targets[rng.nextInt(targets.length)] as SimulationConfig['targets'][number];
    rules.push({
      rate: round(rng.next() * 0.3),
      code: 'PreconditionFailed',
      operations: ['put'],
      keyPrefix: `tenants/${target.tenant}/collections/${target.collection}/manifest/`,
    });
  }
  return rules;
}

function round(rate: number): number {
  return Math.round(rate * 1000) / 1000;
}
