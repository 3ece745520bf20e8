/**
 * Starts s3rver (a real S3 server over HTTP, storing objects in a directory) in a child process on
 * 127.0.0.1 with an ephemeral port, for the end-to-end tests, the benchmarks and `tiervec loadtest
 * --object-store s3rver`. The child gets `--openssl-legacy-provider` (s3rver encrypts ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 hides behind that provider; without it every listing
 * of more than 1,000 keys fails), the only credentials s3rver accepts (`S3RVER`/`S3RVER`), and a
 * temporary directory removed on `stop()`. The child exits on its own when its parent goes away (its
 * stdin closes), so a crashed test run leaves no server behind.
 *
 * s3rver 3.7.1 ignores `If-None-Match` on writes. S3 (since 2024) and MinIO honour `If-None-Match: *`
 * on PutObject and CompleteMultipartUpload, and tiervec's manifests rely on it, so the child adds a
 * small middleware in front of s3rver's router that gives those two requests S3's behaviour: 412
 * `PreconditionFailed` when the object exists, with conditional writes to one key serialized so that
 * of two concurrent ones exactly one wins. It does the same for `If-Match: "etag"` on PutObject (S3
 * since 2024: 412 unless the object exists with that etag), which the writer lease relies on. Nothing
 * else about s3rver is changed.
 *
 * s3rver is a development dependency: starting it where it is not installed fails with a message
 * that says so.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import { checkOptions, integer, matching, optional } from '../../options.ts';

export interface S3rverProcessOptions {
  /** Bucket created before the server answers. @default 'tiervec' */
  bucket?: string;
  /** Directory for the objects; kept on `stop()` when given. @default a new temporary directory */
  dir?: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** How long the child may take to listen, in milliseconds. @default 20000 */
  startTimeoutMs?: number;
}

export const S3RVER_DEFAULTS = Object.freeze({
  bucket: 'tiervec',
  port: 0,
  startTimeoutMs: 20_000,
  /** How long `stop()` waits after SIGTERM before SIGKILL, in milliseconds. */
  stopTimeoutMs: 5_000,
});

/** The only credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

export interface S3rverProcess {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  readonly dir: string;
  readonly pid: number;
  /** Options for `new S3ObjectStore(...)` that reach this server (path style, s3rver's credentials). */
  readonly s3Options: {
    bucket: string;
    endpoint: string;
    region: string;
    forcePathStyle: true;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Stops the server (SIGTERM, then SIGKILL) and removes the directory unless the caller gave it. */
  stop(): Promise<void>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Bytes of the child's stderr kept for the error message when it fails to start. */
const STDERR_BYTES_MAX = 8192;

/** Runs in the child (CommonJS, via `node -e`): argv[1] is s3rver's path, argv[2] the JSON config. */
const CHILD_SOURCE = String.raw`
'use strict';
const S3rver = require(process.argv[1]);
const S3Error = require(require('node:path').join(require('node:path').dirname(process.argv[1]), 'models', 'error.js'));
const { bucket, dir, port } = JSON.parse(process.argv[2]);
const server = new S3rver({
  address: '127.0.0.1', port, directory: dir, silent: true, configureBuckets: [{ name: bucket }],
});
const locks = new Map();
async function ifNoneMatch(ctx, next) {
  const ifMatch = ctx.method === 'PUT' && !('partNumber' in ctx.query) && !ctx.get('x-amz-copy-source')
    ? ctx.get('if-match') : '';
  const conditional = ifMatch !== '' || ctx.get('if-none-match') === '*' &&
    ((ctx.method === 'PUT' && !('partNumber' in ctx.query) && !ctx.get('x-amz-copy-source')) ||
      (ctx.method === 'POST' && 'uploadId' in ctx.query));
  if (!conditional) return next();
  const slash = ctx.path.indexOf('/', 1);
  if (slash < 0) return next();
  const target = decodeURIComponent(ctx.path.slice(1, slash));
  const key = decodeURIComponent(ctx.path.slice(slash + 1));
  const id = target + '/' + key;
  const previous = locks.get(id) || Promise.resolve();
  let release;
  const mine = new Promise((resolve) => { release = resolve; });
  const chained = previous.then(() => mine);
  locks.set(id, chained);
  await previous;
  try {
    if (ifMatch !== '') {
      const found = (await ctx.store.existsObject(target, key)) ? await ctx.store.getMetadata(target, key) : {};
      if (found.etag !== ifMatch) {
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
          Condition: 'If-Match',
        });
      }
    } else if (await ctx.store.existsObject(target, key)) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-None-Match',
      });
    }
    await next();
  } finally {
    release();
    if (locks.get(id) === chained) locks.delete(id);
  }
}
// s3rver's router is the last middleware; the condition check must run just before it.
server.middleware.splice(server.middleware.length - 1, 0, ifNoneMatch);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\n'),
  (error) => { process.stderr.write(String(error && error.stack || error) + '\n'); process.exit(1); },
);
`;

/** What each `startS3rver` option may be; any other key is rejected. */
export const S3RVER_LIMITS = Object.freeze({
  bucket: matching<string>(
    "an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')",
    (value) => typeof value === 'string' && BUCKET_NAME.test(value),
  ),
  dir: optional(matching<string>('a directory path', (value) => typeof value === 'string' && value !== '')),
  port: integer(0, 65_535),
  startTimeoutMs: integer(1, 600_000),
});

function resolveS3rver(): string {
  try {
    return createRequire(import.meta.url).resolve('s3rver');
  } catch (error) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      's3rver is not installed (it is a development dependency of tiervec); install s3rver@3.7.1 to use it',
      { cause: error },
    );
  }
}

/** Resolves with the port the child printed, or rejects with its exit status and stderr. */
function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`s3rver did not start: ${why}${stderr === '' ? '' : `\n${stderr}`}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_BYTES_MAX);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0] as string;
      if (!stdout.includes('\n')) return;
      clearTimeout(timer);
      const port = (JSON.parse(line) as { port?: unknown }).port;
      if (typeof port === 'number') resolve(port);
      else fail(`unexpected output ${describeValue(line)}`);
    });
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? code}`));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), S3RVER_DEFAULTS.stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Starts s3rver on 127.0.0.1 in a child process; see the module comment. Always `stop()` it. */
export async function startS3rver(options: S3rverProcessOptions = {}): Promise<S3rverProcess> {
  const { bucket, port, startTimeoutMs, ...checked } = checkOptions(options, S3RVER_LIMITS, S3RVER_DEFAULTS);
  const modulePath = resolveS3rver();
  const ownDir = checked.dir === undefined;
  const dir = checked.dir ?? (await mkdtemp(join(tmpdir(), 'tiervec-s3rver-')));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SOURCE, modulePath, JSON.stringify({ bucket, dir, port })],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanup = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  let boundPort: number;
  try {
    boundPort = await waitForPort(child, startTimeoutMs);
  } catch (error) {
    await cleanup();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${boundPort}`;
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    dir,
    pid: child.pid as number,
    s3Options: {
      bucket,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...S3RVER_CREDENTIALS },
    },
    stop: () => {
      stopping ??= cleanup();
      return stopping;
    },
  };
}
