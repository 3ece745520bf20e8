/**
 * `openStore({ url })`: where the cold tier lives, as a URL, the way database clients take a
 * connection string. Two schemes:
 *
 * - `s3://bucket/prefix`: an `S3ObjectStore` on `bucket`, every key under `prefix/` (optional). The
 *   endpoint, region and credentials come from the `s3` option, else from the usual AWS environment
 *   (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, `AWS_REGION` or `AWS_DEFAULT_REGION`, and the SDK's
 *   own credential chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles).
 *   With a custom endpoint, path-style requests are the default (MinIO, s3rver and most
 *   S3-compatible servers need them).
 * - `file:///absolute/path`: a `LocalObjectStore` on that directory (a bucket on local disk or a
 *   mounted share; handy for tests and for moving a store between machines).
 *
 * `dir` (the local working directory: WAL, warm segments, dead letters) defaults to a directory per
 * URL under the user's cache (`$XDG_CACHE_HOME/tiervec/…`, else `~/.cache/tiervec/…`). A URL never
 * carries credentials, a query or a fragment: they would end up in logs. This module only parses and
 * builds; it must never read or write the object store or the disk.
 */

import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LocalObjectStore } from '../object-store/local.ts';
import { validatePrefix } from '../object-store/object-key.ts';
import type { ObjectStore } from '../object-store/object-store.ts';
import { PrefixedObjectStore } from '../object-store/prefixed.ts';
import { S3_BUCKET_NAME, S3ObjectStore, type S3ObjectStoreOptions } from '../object-store/s3.ts';

export type StoreUrl =
  | { readonly scheme: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly scheme: 'file'; readonly path: string };

/** S3 settings for an `s3://` URL: everything an S3ObjectStore takes except the bucket and a client. */
export type StoreUrlS3Options = Omit<S3ObjectStoreOptions, 'bucket' | 'client'>;

const EXPECTED = 'a URL such as s3://bucket/prefix or file:///absolute/path';

function invalidUrl(url: unknown, expected: string): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected \`url\` to be ${expected}, got ${describeValue(url)}`,
    { details: { option: 'url', value: url } },
  );
}

/** Parses and checks a store URL: INVALID_ARGUMENT, INVALID_NAME (bucket) or INVALID_KEY (prefix). */
export function parseStoreUrl(url: unknown): StoreUrl {
  if (typeof url !== 'string' || !URL.canParse(url)) throw invalidUrl(url, EXPECTED);
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidUrl(url, `${EXPECTED} without credentials (give them in \`s3\` or the AWS environment)`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw invalidUrl(url, `${EXPECTED} without a query or fragment (settings go in \`s3\`)`);
  }
  if (parsed.protocol === 's3:') return parseS3Url(url, parsed);
  if (parsed.protocol === 'file:') {
    if (parsed.host !== '' && parsed.host !== 'localhost') {
      throw invalidUrl(url, 'a file URL on this machine (file:///absolute/path)');
    }
    return { scheme: 'file', path: fileURLToPath(parsed) };
  }
  throw invalidUrl(url, `${EXPECTED} (scheme s3: or file:)`);
}

function parseS3Url(url: string, parsed: URL): StoreUrl {
  if (parsed.port !== '') throw invalidUrl(url, `${EXPECTED} without a port (the endpoint goes in \`s3\`)`);
  const bucket = parsed.hostname;
  if (!S3_BUCKET_NAME.test(bucket)) {
    throw new TierVecError(
      ErrorCode.INVALID_NAME,
      `Expected the bucket of \`url\` to be an S3 bucket name (3 to 63 of a-z, 0-9, \`.\`, \`-\`), got ${describeValue(bucket)} in ${describeValue(url)}`,
      { details: { option: 'url', value: url } },
    );
  }
  const path = decodeURIComponent(parsed.pathname).replace(/^\//, '');
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  validatePrefix(prefix);
  if (
    prefix
      .split('/')
      .slice(0, -1)
      .some((segment) => segment === '')
  ) {
    throw new TierVecError(
      ErrorCode.INVALID_KEY,
      `Expected the prefix of \`url\` to have no empty segment (no \`//\`), got ${describeValue(url)}`,
      { details: { option: 'url', value: url } },
    );
  }
  return { scheme: 's3', bucket, prefix };
}

/** The default `dir` for a URL: one directory per URL under the user's cache directory. */
export function defaultDirForUrl(location: StoreUrl, env: NodeJS.ProcessEnv = process.env): string {
  const cache =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(homedir(), '.cache');
  if (location.scheme === 's3')
    return join(cache, 'tiervec', 's3', location.bucket, ...location.prefix.split('/'));
  return join(cache, 'tiervec', 'file', location.path);
}

/** The S3ObjectStore options for an `s3://` URL: `s3` first, then the AWS environment. */
export function s3OptionsForUrl(
  location: Extract<StoreUrl, { scheme: 's3' }>,
  s3: StoreUrlS3Options = {},
  env: NodeJS.ProcessEnv = process.env,
): S3ObjectStoreOptions {
  const endpoint = s3.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const region = s3.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  return {
    ...s3,
    bucket: location.bucket,
    ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: s3.forcePathStyle ?? true }),
    ...(region === undefined ? {} : { region }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The object store a URL names; `close()` releases what it holds (the S3 client's sockets). */
export function objectStoreForUrl(
  location: StoreUrl,
  s3: StoreUrlS3Options | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { objectStore: ObjectStore; close: () => void } {
  if (location.scheme === 'file') {
    return { objectStore: new LocalObjectStore({ dir: location.path }), close: () => undefined };
  }
  const s3Store = new S3ObjectStore(s3OptionsForUrl(location, s3, env));
  const objectStore = location.prefix === '' ? s3Store : new PrefixedObjectStore(s3Store, location.prefix);
  return { objectStore, close: () => s3Store.close() };
}

function invalidCombination(message: string): TierVecError {
  return new TierVecError(ErrorCode.INVALID_ARGUMENT, message, { details: { option: 'url' } });
}

/**
 * `openStore`'s options with `url` and `s3` turned into `objectStore` and a default `dir`, and what
 * to call when the store closes (or fails to open). Other options pass through unchecked: the
 * store's own option check sees them next.
 */
export function locateStore(
  input: unknown,
  env: NodeJS.ProcessEnv = process.env,
): { options: unknown; close: () => void } {
  const none = () => undefined;
  if (typeof input !== 'object' || input === null) return { options: input, close: none };
  const { url, s3, ...rest } = input as Record<string, unknown>;
  if (url === undefined) {
    if (s3 !== undefined) {
      throw invalidCombination(
        '`s3` applies only with an s3:// `url`; otherwise pass `objectStore: new S3ObjectStore({ … })`',
      );
    }
    return { options: rest, close: none };
  }
  const location = parseStoreUrl(url);
  if (rest.objectStore !== undefined) {
    throw invalidCombination(`Give either \`url\` or \`objectStore\`, not both (url ${describeValue(url)})`);
  }
  if (s3 !== undefined) {
    if (location.scheme !== 's3')
      throw invalidCombination(`\`s3\` applies only with an s3:// \`url\`, got ${describeValue(url)}`);
    if (typeof s3 !== 'object' || s3 === null || 'bucket' in s3 || 'client' in s3) {
      throw invalidCombination(
        `Expected \`s3\` to be an object of S3ObjectStore options other than bucket and client (the bucket comes from \`url\`), got ${describeValue(s3)}`,
      );
    }
  }
  const { objectStore, close } = objectStoreForUrl(location, s3 as StoreUrlS3Options | undefined, env);
  return { options: { ...rest, dir: rest.dir ?? defaultDirForUrl(location, env), objectStore }, close };
}
