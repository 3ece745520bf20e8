/**
 * The read replicas of a load run (`[target.replicas]`): `count` processes forked from this one, each
 * a read replica of the run's bucket (tiervec-replica-process.ts). Searches are spread over them in
 * turn; writes stay with the writer in this process. Every second each replica reports its
 * freshness, and the largest lag seen after the load started is what `replica_lag_ms_max` judges.
 *
 * It owns only the processes it forked, and stops them on `close()`.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ErrorCode, TierVecError } from '../../errors.ts';
import type { S3ObjectStoreOptions } from '../../object-store/s3.ts';
import type { ReplicaReply, ReplicaRequest } from './tiervec-replica-process.ts';

export interface ReplicasConfig {
  /** Replica processes. */
  count: number;
  /** Each replica's `replicaPollIntervalMs`. */
  pollMs: number;
}

/** What a search needs of whoever answers it (a collection, or a replica through this pool). */
export interface Searcher {
  search(
    vector: Float32Array | readonly number[],
    options: Record<string, unknown>,
  ): Promise<{ id: string }[]>;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

const READY_TIMEOUT_MS = 120_000;
const SAMPLE_INTERVAL_MS = 1_000;

interface Replica {
  readonly child: ChildProcess;
  readonly waiting: Map<number, (reply: ReplicaReply) => void>;
  searches: number;
  lagMs: number;
  /** Refreshes the replica had made at the first sample of the load, and at the last. */
  refreshesFirst: number | undefined;
  refreshesLast: number;
}

export class ReplicaPool {
  readonly #replicas: Replica[];
  #next = 0;
  #nextId = 1;
  #timer: NodeJS.Timeout | undefined;
  lagMsMax = 0;

  private constructor(replicas: Replica[]) {
    this.#replicas = replicas;
  }

  /** Forks the replicas and resolves once each has opened the bucket. */
  static async start(
    config: ReplicasConfig,
    s3Options: S3ObjectStoreOptions,
    collection: string,
  ): Promise<ReplicaPool> {
    const file = import.meta.url.endsWith('.ts')
      ? './tiervec-replica-process.ts'
      : './tiervec-replica-process.js';
    const args = JSON.stringify({ s3Options, pollMs: config.pollMs, collection });
    const replicas: Replica[] = [];
    for (let i = 0; i < config.count; i++) {
      const child = fork(fileURLToPath(new URL(file, import.meta.url)), [args], {
        execArgv: process.execArgv,
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      const replica: Replica = {
        child,
        waiting: new Map(),
        searches: 0,
        lagMs: 0,
        refreshesFirst: undefined,
        refreshesLast: 0,
      };
      child.on('message', (reply: ReplicaReply) => {
        replica.waiting.get(reply.id)?.(reply);
        replica.waiting.delete(reply.id);
      });
      replicas.push(replica);
    }
    const pool = new ReplicaPool(replicas);
    await Promise.all(replicas.map((replica) => pool.#ready(replica)));
    return pool;
  }

  #ready(replica: Replica): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(failure('did not open within 120 s')), READY_TIMEOUT_MS);
      replica.child.once('exit', (code) => reject(failure(`exited with code ${code} before it opened`)));
      replica.waiting.set(0, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Starts sampling the replicas' lag (call when the load starts). */
  startSampling(): void {
    this.#timer = setInterval(() => {
      for (const replica of this.#replicas) {
        this.#ask(replica, { op: 'stats' })
          .then((stats) => {
            const { lagMs, refreshes } = stats as { lagMs: number; refreshes: number };
            replica.lagMs = lagMs;
            replica.refreshesFirst ??= refreshes;
            replica.refreshesLast = refreshes;
            this.lagMsMax = Math.max(this.lagMsMax, replica.lagMs);
          })
          .catch(() => undefined);
      }
    }, SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Searches of `tenant`, each sent to the next replica in turn. */
  searcher(tenant: string): Searcher {
    return {
      search: async (vector, options) => {
        const replica = this.#replicas[this.#next++ % this.#replicas.length] as Replica;
        replica.searches++;
        const ids = (await this.#ask(replica, {
          op: 'search',
          tenant,
          vector: Array.from(vector),
          options,
        })) as string[];
        return ids.map((id) => ({ id }));
      },
    };
  }

  /** New data loaded during the load by the replica that loaded the fewest times (0: one stopped following). */
  get refreshesMin(): number {
    return Math.min(
      ...this.#replicas.map((replica) => replica.refreshesLast - (replica.refreshesFirst ?? 0)),
    );
  }

  /** The lag each replica last reported, and the searches each answered. */
  gauges(): Record<string, number> {
    const gauges: Record<string, number> = { replica_lag_ms_max: this.lagMsMax };
    for (const [i, replica] of this.#replicas.entries()) {
      gauges[`replica_${i}_lag_ms`] = replica.lagMs;
      gauges[`replica_${i}_searches`] = replica.searches;
    }
    return gauges;
  }

  #ask(replica: Replica, request: DistributiveOmit<ReplicaRequest, 'id'>): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      replica.waiting.set(id, (reply) => {
        if (reply.ok) resolve(reply.result);
        else reject(new TierVecError(reply.code as ErrorCode, `read replica: ${reply.message}`));
      });
      replica.child.send({ ...request, id });
    });
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.all(
      this.#replicas.map(
        (replica) =>
          new Promise<void>((resolve) => {
            if (replica.child.exitCode !== null) return resolve();
            const timer = setTimeout(() => replica.child.kill('SIGKILL'), 10_000);
            replica.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            replica.child.disconnect();
          }),
      ),
    );
  }
}

function failure(what: string): TierVecError {
  return new TierVecError(ErrorCode.INVALID_ARGUMENT, `A read replica of the load run ${what}`);
}
