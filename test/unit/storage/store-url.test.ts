import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { LocalObjectStore } from '../../../src/object-store/local.ts';
import { PrefixedObjectStore } from '../../../src/object-store/prefixed.ts';
import { S3ObjectStore } from '../../../src/object-store/s3.ts';
import { openStore } from '../../../src/storage/store.ts';
import {
  defaultDirForUrl,
  locateStore,
  parseStoreUrl,
  s3OptionsForUrl,
} from '../../../src/storage/store-url.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-store-url-');

describe('parseStoreUrl', () => {
  it('reads the bucket and the prefix of an s3:// URL, the prefix ending with /', () => {
    expect(parseStoreUrl('s3://my-bucket')).toEqual({ scheme: 's3', bucket: 'my-bucket', prefix: '' });
    expect(parseStoreUrl('s3://my-bucket/')).toEqual({ scheme: 's3', bucket: 'my-bucket', prefix: '' });
    expect(parseStoreUrl('s3://my-bucket/prod/vectors')).toEqual({
      scheme: 's3',
      bucket: 'my-bucket',
      prefix: 'prod/vectors/',
    });
    expect(parseStoreUrl('s3://b.example/a%20b/')).toEqual({
      scheme: 's3',
      bucket: 'b.example',
      prefix: 'a b/',
    });
  });

  it('reads the path of a file:// URL', () => {
    expect(parseStoreUrl('file:///srv/tiervec')).toEqual({ scheme: 'file', path: '/srv/tiervec' });
    expect(parseStoreUrl('file://localhost/srv/tiervec')).toEqual({ scheme: 'file', path: '/srv/tiervec' });
  });

  it('refuses what is not an s3:// or file:// URL with INVALID_ARGUMENT', async () => {
    for (const url of [
      42,
      '',
      '/srv/tiervec',
      'relative/path',
      'http://example.com/x',
      'gs://bucket/x',
      's3://AKIA:secret@bucket/x',
      's3://bucket/x?region=eu-west-1',
      's3://bucket/x#frag',
      's3://bucket:9000/x',
      'file://otherhost/srv/x',
    ]) {
      await expectTierVecError(() => parseStoreUrl(url), ErrorCode.INVALID_ARGUMENT, '`url`');
    }
  });

  it('refuses a bad bucket name with INVALID_NAME and a bad prefix with INVALID_KEY', async () => {
    await expectTierVecError(() => parseStoreUrl('s3://ab/x'), ErrorCode.INVALID_NAME, 'bucket');
    await expectTierVecError(() => parseStoreUrl('s3://My_Bucket/x'), ErrorCode.INVALID_NAME, 'bucket');
    await expectTierVecError(() => parseStoreUrl('s3://bucket/a//b'), ErrorCode.INVALID_KEY);
    await expectTierVecError(() => parseStoreUrl('s3://bucket/a%00b'), ErrorCode.INVALID_KEY);
  });
});

describe('openStore url defaults', () => {
  it('puts dir under $XDG_CACHE_HOME/tiervec, else ~/.cache/tiervec, one directory per URL', () => {
    const env = { XDG_CACHE_HOME: '/var/cache/me' };
    expect(defaultDirForUrl(parseStoreUrl('s3://bkt/prod/v1'), env)).toBe(
      '/var/cache/me/tiervec/s3/bkt/prod/v1',
    );
    expect(defaultDirForUrl(parseStoreUrl('file:///srv/x'), env)).toBe('/var/cache/me/tiervec/file/srv/x');
    expect(defaultDirForUrl(parseStoreUrl('s3://bkt'), {})).toMatch(/\.cache\/tiervec\/s3\/bkt$/);
  });

  it('takes endpoint and region from the AWS environment, path-style with an endpoint, `s3` first', () => {
    const location = parseStoreUrl('s3://bkt/p') as Extract<
      ReturnType<typeof parseStoreUrl>,
      { scheme: 's3' }
    >;
    expect(s3OptionsForUrl(location, {}, {})).toEqual({ bucket: 'bkt' });
    expect(
      s3OptionsForUrl(
        location,
        {},
        { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_DEFAULT_REGION: 'eu-west-1' },
      ),
    ).toEqual({
      bucket: 'bkt',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      region: 'eu-west-1',
    });
    expect(
      s3OptionsForUrl(
        location,
        { endpoint: 'http://minio:9000', forcePathStyle: false, region: 'us-west-2' },
        { AWS_ENDPOINT_URL_S3: 'http://other:1', AWS_REGION: 'ap-south-1' },
      ),
    ).toEqual({ bucket: 'bkt', endpoint: 'http://minio:9000', forcePathStyle: false, region: 'us-west-2' });
  });

  it('builds a prefixed S3ObjectStore for s3:// and a LocalObjectStore for file://', () => {
    const s3 = locateStore({ url: 's3://bkt/p', dir: '/tmp/x' }, {});
    const { objectStore } = s3.options as { objectStore: PrefixedObjectStore };
    expect(objectStore).toBeInstanceOf(PrefixedObjectStore);
    expect(objectStore.prefix).toBe('p/');
    expect(objectStore.inner).toBeInstanceOf(S3ObjectStore);
    s3.close();
    const file = locateStore({ url: 'file:///srv/x', dir: '/tmp/x' }, {});
    expect((file.options as { objectStore: unknown }).objectStore).toBeInstanceOf(LocalObjectStore);
  });

  it('refuses url with objectStore, s3 without an s3:// url, and s3 naming a bucket, with INVALID_ARGUMENT', async () => {
    const dir = await temp.make();
    const objectStore = new LocalObjectStore({ dir: join(dir, 'o') });
    await expectTierVecError(
      () => openStore({ url: 'file:///srv/x', objectStore, dir }),
      ErrorCode.INVALID_ARGUMENT,
      'not both',
    );
    await expectTierVecError(
      () => openStore({ dir, s3: { region: 'x' } }),
      ErrorCode.INVALID_ARGUMENT,
      '`s3`',
    );
    await expectTierVecError(
      () => openStore({ dir, url: 'file:///srv/x', s3: { region: 'x' } }),
      ErrorCode.INVALID_ARGUMENT,
      '`s3`',
    );
    await expectTierVecError(
      () => openStore({ dir, url: 's3://bkt/x', s3: { bucket: 'other' } as never }),
      ErrorCode.INVALID_ARGUMENT,
      'bucket',
    );
    await expectTierVecError(() => openStore({} as never), ErrorCode.INVALID_ARGUMENT, '`url`');
    await expectTierVecError(() => openStore({ url: 'ftp://x/y', dir }), ErrorCode.INVALID_ARGUMENT, '`url`');
  });
});

describe('openStore({ url: file:// })', () => {
  it('publishes to the directory the URL names, and a new machine opens the collection from it', async () => {
    const bucketDir = await temp.make();
    const url = pathToFileURL(bucketDir).href;
    const store = await openStore({ url, dir: await temp.make() });
    const docs = await store.createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
    await docs.insert([{ id: 'a', vector: seededVector(1, 4) }]);
    await docs.flush();
    await docs.publish();
    await store.close();
    expect(await readdir(bucketDir)).toEqual(['tenants']);

    const elsewhere = await openStore({ url, dir: await temp.make() });
    const [hit] = await elsewhere.collection('docs').search(seededVector(1, 4), { k: 1 });
    expect(hit?.id).toBe('a');
    await elsewhere.close();
  });
});
