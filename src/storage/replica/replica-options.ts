/**
 * `openStore({ readOnly: true, … })` options: a read replica's defaults (one frozen object) and the
 * rule of each option (`REPLICA_LIMITS`, checked by `options.ts`; any other key is rejected).
 */

import { CLOCK_OPTION, type Clock, systemClock } from '../../clock.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import {
  callback,
  checkOptions,
  custom,
  integer,
  matching,
  oneOf,
  optional,
  withMethods,
} from '../../options.ts';
import { defaultWarningListener, type WarningListener } from '../store-warning.ts';
import {
  type ResolvedTieringOptions,
  resolveTieringOptions,
  type TieringOptions,
} from '../tiering/tiering-options.ts';

export interface ReplicaStoreOptions {
  /** Opens a read replica instead of a writer. */
  readOnly: true;
  /** Where the writer publishes; the replica only reads it. */
  objectStore: ObjectStore;
  /** Local cache of manifests, segment files and WAL records; only a cache. @default a new temporary directory */
  dir?: string;
  /** How often the replica looks for new manifests and WAL batches, in ms. @default 1_000 */
  replicaPollIntervalMs?: number;
  /** Bytes of object bodies kept in memory across refreshes (all immutable). @default 268_435_456 (256 MiB) */
  replicaCacheBytesMax?: number;
  /** Tier budgets of the cache (see TIERING_DEFAULTS). */
  tiering?: TieringOptions;
  /** @default real time */
  clock?: Clock;
  /** Receives warnings (a refresh that failed, …). @default process.emitWarning */
  onWarning?: WarningListener;
}

export const REPLICA_DEFAULTS = Object.freeze({
  replicaPollIntervalMs: 1_000,
  replicaCacheBytesMax: 256 * 2 ** 20,
});

export interface ResolvedReplicaOptions {
  readonly objectStore: ObjectStore;
  readonly dir: string | undefined;
  readonly replicaPollIntervalMs: number;
  readonly replicaCacheBytesMax: number;
  readonly tiering: ResolvedTieringOptions;
  readonly tieringInput: TieringOptions | undefined;
  readonly clock: Clock;
  readonly onWarning: WarningListener;
}

export const REPLICA_LIMITS = Object.freeze({
  readOnly: oneOf([true]),
  objectStore: withMethods<ObjectStore>('an object with methods put, get, head, delete, list', [
    'put',
    'get',
    'head',
    'delete',
    'list',
  ]),
  dir: optional(
    matching<string>('a non-empty path', (value) => typeof value === 'string' && value.length > 0),
  ),
  replicaPollIntervalMs: integer(10, 3_600_000),
  replicaCacheBytesMax: integer(0, Number.MAX_SAFE_INTEGER),
  tiering: custom((value) => resolveTieringOptions(value)),
  clock: CLOCK_OPTION,
  onWarning: callback<WarningListener>(),
});

/** True when `options` asks for a read replica (`readOnly: true`). */
export function isReplicaOptions(options: unknown): options is ReplicaStoreOptions {
  return (
    typeof options === 'object' && options !== null && (options as { readOnly?: unknown }).readOnly === true
  );
}

export function resolveReplicaOptions(input: ReplicaStoreOptions): ResolvedReplicaOptions {
  const checked = checkOptions(input, REPLICA_LIMITS, {
    ...REPLICA_DEFAULTS,
    clock: systemClock,
    onWarning: defaultWarningListener,
  });
  return { ...checked, tieringInput: input.tiering };
}
