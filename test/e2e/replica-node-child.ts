/**
 * One tiervec process of the replica end-to-end tests: a writer (`writer`) or a read replica
 * (`replica`) over s3rver. It reads one JSON command per line on stdin and answers one JSON line per
 * command on stdout: `{ "id": n, "ok": true, "result": … }` or `{ "id": n, "ok": false, "code": … }`.
 * A writer started with `auto` inserts documents on its own and prints `ack {id} {ms}` for each
 * acknowledged one (so the test can SIGKILL or SIGSTOP it mid-stream).
 */

import { createInterface } from 'node:readline';
import { systemClock } from '../../src/clock.ts';
import { S3ObjectStore } from '../../src/object-store/s3.ts';
import { Rng } from '../../src/random.ts';
import { openStore } from '../../src/storage/store.ts';

const [role, s3OptionsJson, dir, optionsJson] = process.argv.slice(2) as [string, string, string, string];
const options = JSON.parse(optionsJson) as {
  dimension: number;
  leaseMs?: number;
  pollMs?: number;
  auto?: { from: number; count: number };
};
const objectStore = new S3ObjectStore(JSON.parse(s3OptionsJson));

function vectorOf(seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: options.dimension }, () => rng.nextFloat(-1, 1));
}

function print(line: unknown): void {
  process.stdout.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  let store: { stats(): unknown; refresh?: () => Promise<unknown>; close(): Promise<void> };
  let collection: AnyCollection;
  if (role === 'replica') {
    const replica = await openStore({
      readOnly: true,
      objectStore,
      dir,
      replicaPollIntervalMs: options.pollMs ?? 200,
      onWarning: () => undefined,
    });
    store = replica;
    collection = replica.collection('docs') as unknown as AnyCollection;
  } else {
    const writer = await openStore({
      dir,
      objectStore,
      durability: 'object-store',
      segmentVectorsMax: 150,
      lease: { durationMs: options.leaseMs ?? 10_000 },
      onWarning: () => undefined,
    });
    store = writer;
    collection = (await writer.getOrCreateCollection({
      name: 'docs',
      dimension: options.dimension,
    })) as unknown as AnyCollection;
  }
  print({ id: 0, ok: true, result: 'ready' });
  if (options.auto !== undefined) void autoInsert(collection, options.auto);
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { id: number; op: string; args?: Record<string, unknown> };
    try {
      print({ id: command.id, ok: true, result: await run(store, collection, command) });
    } catch (error) {
      const failure = error as { code?: string; message?: string };
      print({ id: command.id, ok: false, code: failure.code ?? 'UNKNOWN', message: failure.message });
    }
  }
  await store.close();
}

type AnyCollection = {
  insert(docs: unknown[]): Promise<unknown>;
  delete(ids: string[]): Promise<unknown>;
  get(id: string): Promise<{ id: string } | undefined>;
  search(vector: number[], options: unknown): Promise<unknown>;
  count(): number | Promise<number>;
  publish(): Promise<unknown>;
  flush(): Promise<unknown>;
};

async function run(
  store: { stats(): unknown; refresh?: () => Promise<unknown> },
  collection: AnyCollection,
  command: { op: string; args?: Record<string, unknown> },
): Promise<unknown> {
  const args = command.args ?? {};
  switch (command.op) {
    case 'insert': {
      const ids = args.ids as number[];
      await collection.insert(ids.map((i) => ({ id: `d${i}`, vector: vectorOf(i), metadata: { i } })));
      return systemClock.now();
    }
    case 'delete':
      await collection.delete(args.ids as string[]);
      return systemClock.now();
    case 'present': {
      const found: string[] = [];
      for (const id of args.ids as string[]) if ((await collection.get(id)) !== undefined) found.push(id);
      return found;
    }
    case 'search':
      return collection.search(vectorOf(args.seed as number), { k: 10, exact: true });
    case 'count':
      return collection.count();
    case 'publish':
      return collection.publish();
    case 'flush':
      return collection.flush();
    case 'stats':
      return store.stats();
    case 'refresh':
      return store.refresh?.();
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

async function autoInsert(collection: AnyCollection, auto: { from: number; count: number }): Promise<void> {
  for (let i = auto.from; i < auto.from + auto.count; i++) {
    try {
      await collection.insert([{ id: `d${i}`, vector: vectorOf(i), metadata: { i } }]);
      print(`ack d${i} ${systemClock.now()}`);
    } catch (error) {
      print(`fail d${i} ${(error as { code?: string }).code}`);
    }
  }
}

main().catch((error) => {
  // The code first: the test reads it (a TierVecError's stack names the class, not the code).
  const failure = error as { code?: string; details?: unknown; stack?: string };
  process.stderr.write(
    `${failure.code ?? 'UNKNOWN'} ${JSON.stringify(failure.details ?? {})}\n${failure.stack ?? error}\n`,
  );
  process.exit(1);
});
