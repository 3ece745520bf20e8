/**
 * A writer process and two read-replica processes over s3rver (real S3 over HTTP), and a writer
 * SIGKILLed while it holds the lease. Replicas poll every POLL_MS; the documented lag is one poll
 * interval plus one refresh, so each acknowledged write is checked against the replica's own
 * freshness (`freshAsOfMs` at or after the acknowledgement means the write must be visible) and
 * against a generous wall-clock bound for a busy shared machine.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { useBundledChild } from '../helpers/bundled-child.ts';
import { useS3rver } from '../helpers/s3rver.ts';

const REPO = resolve(import.meta.dirname, '../..');
/** The node process runs bundled (a third of tsx's start-up): test/helpers/bundled-child.ts. */
const CHILD = useBundledChild(join(REPO, 'test/e2e/replica-node-child.ts'));
let childScript = '';
beforeAll(async () => {
  childScript = await CHILD.path();
});
const DIM = 8;
const POLL_MS = 200;
/** Generous: one poll plus one refresh of a few hundred documents, on a shared 2-core machine. */
const VISIBLE_WITHIN_MS = 20_000;

const s3 = useS3rver();
const tempDirs: string[] = [];
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tiervec-replica-e2e-'));
  tempDirs.push(dir);
  return dir;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
}

class Node {
  readonly acks: { id: string; ms: number }[] = [];
  readonly #child;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #nextId = 1;
  stderr = '';
  readonly ready: Promise<Reply>;
  readonly exited: Promise<number | null>;

  constructor(role: 'writer' | 'replica', s3Options: object, dir: string, options: object) {
    this.#child = spawn(
      process.execPath,
      [childScript, role, JSON.stringify(s3Options), dir, JSON.stringify({ dimension: DIM, ...options })],
      {
        cwd: REPO,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Node 20: the AWS SDK's seven-line version warning says nothing about the test.
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    this.#child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((done) => this.#child.once('exit', (code) => done(code)));
    this.ready = new Promise((done, fail) => {
      this.#waiting.set(0, done);
      this.exited.then((code) => fail(new Error(`child exited ${code}: ${this.stderr.slice(-2000)}`)));
    });
    const lines = createInterface({ input: this.#child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith('ack ')) {
        const [, id, ms] = line.split(' ');
        this.acks.push({ id: id as string, ms: Number(ms) });
      } else if (line.startsWith('{')) {
        const reply = JSON.parse(line) as Reply;
        this.#waiting.get(reply.id)?.(reply);
        this.#waiting.delete(reply.id);
      }
    });
  }

  async call(op: string, args?: object): Promise<unknown> {
    const reply = await this.reply(op, args);
    if (!reply.ok) throw new Error(`${op}: ${reply.code} ${reply.message}`);
    return reply.result;
  }

  reply(op: string, args?: object): Promise<Reply> {
    const id = this.#nextId++;
    const answer = new Promise<Reply>((done) => this.#waiting.set(id, done));
    this.#child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    return answer;
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  async stop(): Promise<void> {
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}

type ReplicaStatsReply = { replica: { freshAsOfMs: number; lagMs: number; generation: number } };

async function s3Options(): Promise<object> {
  const store = await s3.newStore();
  const options = { ...s3.server.s3Options, bucket: store.bucket };
  await store.close();
  return options;
}

/** Polls until `ids` are all visible on `replica`; checks the freshness rule on every look. */
async function waitVisible(replica: Node, ids: string[], ackMs: number): Promise<number> {
  for (;;) {
    const stats = (await replica.call('stats')) as ReplicaStatsReply;
    const present = (await replica.call('present', { ids })) as string[];
    // Fresh as of a time after the acknowledgement: every acknowledged write must be there.
    if (stats.replica.freshAsOfMs >= ackMs) expect(present.sort()).toEqual([...ids].sort());
    const waitedMs = systemClock.now() - ackMs;
    if (present.length === ids.length) return waitedMs;
    expect(waitedMs, `${ids[0]}… not visible after ${waitedMs} ms`).toBeLessThan(VISIBLE_WITHIN_MS);
    await systemClock.sleep(50);
  }
}

describe('a writer and two read replicas, each in its own process, over s3rver', () => {
  it('shows every acknowledged write on both replicas within the documented lag, with the writer exact answers', async () => {
    const options = await s3Options();
    const writer = new Node('writer', options, await newDir(), {});
    await writer.ready;
    await writer.call('insert', { ids: [0] });
    const replicas = [0, 1].map(async () => {
      const node = new Node('replica', options, await newDir(), { pollMs: POLL_MS });
      await node.ready;
      return node;
    });
    const [r1, r2] = (await Promise.all(replicas)) as [Node, Node];
    const waits: number[] = [];
    let next = 1;
    for (let batch = 0; batch < 8; batch++) {
      const ids = Array.from({ length: 20 }, () => next++);
      const ackMs = (await writer.call('insert', { ids })) as number;
      const names = ids.map((i) => `d${i}`);
      waits.push(...(await Promise.all([waitVisible(r1, names, ackMs), waitVisible(r2, names, ackMs)])));
      if (batch % 4 === 3) {
        const deletedAtMs = (await writer.call('delete', { ids: [`d${ids[0]}`] })) as number;
        for (const replica of [r1, r2]) {
          await waitVisible(replica, [], deletedAtMs);
          await expectGone(replica, `d${ids[0]}`, deletedAtMs);
        }
      }
    }
    const count = await writer.call('count');
    for (const replica of [r1, r2]) {
      expect(await replica.call('count')).toBe(count);
      for (const seed of [9001, 9002, 9003, 9004, 9005]) {
        expect(await replica.call('search', { seed })).toEqual(await writer.call('search', { seed }));
      }
      const stats = (await replica.call('stats')) as ReplicaStatsReply;
      expect(stats.replica.generation).toBeGreaterThan(1);
    }
    expect(Math.max(...waits)).toBeLessThan(VISIBLE_WITHIN_MS);
    await Promise.all([writer.stop(), r1.stop(), r2.stop()]);
  }, 180_000);

  it('lets a new writer take over once a SIGKILLed holder lease expires, with every acknowledged write', async () => {
    const options = await s3Options();
    // Long enough that a busy machine never delays a renewal past it (the rival below must be refused).
    const leaseMs = 5_000;
    const old = new Node('writer', options, await newDir(), { leaseMs, auto: { from: 0, count: 100_000 } });
    await old.ready;
    // While the holder lives and renews, a second writer is refused, whatever the machine's speed.
    const rival = new Node('writer', options, await newDir(), { leaseMs });
    await expect(rival.ready).rejects.toThrow(/LEASE_HELD/);
    while (old.acks.length < 40) await systemClock.sleep(20);
    old.kill('SIGKILL');
    const killedAtMs = systemClock.now();
    await old.exited;
    let successor: Node | undefined;
    /** The latest expiry a refused candidate was shown: the successor may start only after it. */
    let refusedUntilMs = 0;
    while (successor === undefined) {
      const candidate = new Node('writer', options, await newDir(), { leaseMs });
      try {
        await candidate.ready;
        successor = candidate;
      } catch {
        const refusal = /^LEASE_HELD (.*)$/m.exec(candidate.stderr);
        expect(refusal, candidate.stderr).not.toBeNull();
        const details = JSON.parse(refusal?.[1] ?? '{}') as { expiresAtMs: number; term: number };
        expect(details.term).toBe(1);
        refusedUntilMs = Math.max(refusedUntilMs, details.expiresAtMs);
      }
      expect(systemClock.now() - killedAtMs).toBeLessThan(120_000);
    }
    // 50 ms: two processes derive their clocks from the wall clock at their own start.
    expect(systemClock.now()).toBeGreaterThanOrEqual(refusedUntilMs - 50);
    const acknowledged = old.acks.map((ack) => ack.id);
    expect((await successor.call('present', { ids: acknowledged })) as string[]).toEqual(acknowledged);
    const stats = (await successor.call('stats')) as { lease: { term: number } };
    expect(stats.lease.term).toBe(2);
    await successor.call('insert', { ids: [1_000_000] });
    await successor.stop();
  }, 180_000);
});

async function expectGone(replica: Node, id: string, deletedAtMs: number): Promise<void> {
  for (;;) {
    const present = (await replica.call('present', { ids: [id] })) as string[];
    if (present.length === 0) return;
    expect(systemClock.now() - deletedAtMs).toBeLessThan(VISIBLE_WITHIN_MS);
    await systemClock.sleep(50);
  }
}
