/**
 * One read-replica process of a load run (`[target.replicas]`): forked by ReplicaPool with the
 * run's S3 options, it opens `openStore({ readOnly: true })` on the writer's bucket and answers the
 * parent's messages: `search` (one query on a tenant's collection) and `stats` (the replica's
 * freshness). It never writes; it exits when the parent disconnects.
 */

import { S3ObjectStore, type S3ObjectStoreOptions } from '../../object-store/s3.ts';
import { openStore } from '../../storage/store.ts';

export interface ReplicaProcessArgs {
  s3Options: S3ObjectStoreOptions;
  pollMs: number;
  collection: string;
}

export type ReplicaRequest =
  | { id: number; op: 'search'; tenant: string; vector: number[]; options: Record<string, unknown> }
  | { id: number; op: 'stats' };

export type ReplicaReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; code: string; message: string };

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] as string) as ReplicaProcessArgs;
  const objectStore = new S3ObjectStore(args.s3Options);
  const replica = await openStore({
    readOnly: true,
    objectStore,
    replicaPollIntervalMs: args.pollMs,
    onWarning: (warning) => process.stderr.write(`replica warning ${warning.code}: ${warning.message}\n`),
  });
  const send = (reply: ReplicaReply) => process.send?.(reply);
  process.on('message', (message: ReplicaRequest) => {
    const answer = async (): Promise<unknown> => {
      if (message.op === 'stats') return replica.stats().replica;
      const collection = replica.collection(args.collection, { tenant: message.tenant });
      const hits = await collection.search(message.vector, message.options);
      return hits.map((hit) => hit.id);
    };
    answer().then(
      (result) => send({ id: message.id, ok: true, result }),
      (error: { code?: string; message?: string }) =>
        send({ id: message.id, ok: false, code: error.code ?? 'UNKNOWN', message: String(error.message) }),
    );
  });
  process.on('disconnect', () => {
    replica.close().finally(() => process.exit(0));
  });
  send({ id: 0, ok: true, result: 'ready' });
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
