/**
 * A tiny in-memory ObjectStore for the uploaders' unit tests: each put runs a scripted behaviour
 * (succeed, fail with an S3 code, land and then fail, or hang until aborted), so a test states
 * exactly what the store does. The E2E suites use MockS3ObjectStore instead.
 */

import type {
  ObjectHead,
  ObjectStore,
  PutOptions,
  RequestOptions,
} from '../../../src/object-store/object-store.ts';
import { ObjectStoreError } from '../../../src/object-store/object-store-error.ts';

export type PutBehaviour =
  | 'ok'
  | 'hang'
  | { fail: string }
  | { landThenFail: string }
  | { until: Promise<unknown> };

export class FakeObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  readonly puts: { key: string; ifNoneMatch: boolean }[] = [];
  inFlight = 0;
  inFlightMax = 0;
  /** Decides each put from the key and the number of puts to that key so far (from 1). */
  behaviour: (key: string, attempt: number) => PutBehaviour = () => 'ok';

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    this.puts.push({ key, ifNoneMatch: options.ifNoneMatch === '*' });
    const attempt = this.puts.filter((put) => put.key === key).length;
    const behaviour = this.behaviour(key, attempt);
    this.inFlight++;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    try {
      if (behaviour === 'hang') {
        await new Promise((_, reject) => {
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
        });
      }
      if (typeof behaviour === 'object' && 'until' in behaviour) await behaviour.until;
      await Promise.resolve();
      if (typeof behaviour === 'object' && 'fail' in behaviour) {
        throw new ObjectStoreError(behaviour.fail, `injected ${behaviour.fail}`, { operation: 'put', key });
      }
      if (options.ifNoneMatch === '*' && this.objects.has(key)) {
        throw new ObjectStoreError('PreconditionFailed', `exists: ${key}`, { operation: 'put', key });
      }
      this.objects.set(key, new Uint8Array(body));
      if (typeof behaviour === 'object' && 'landThenFail' in behaviour) {
        throw new ObjectStoreError(behaviour.landThenFail, 'answer lost', { operation: 'put', key });
      }
      return { etag: `"${key}"` };
    } finally {
      this.inFlight--;
    }
  }

  async get(key: string, _options?: RequestOptions): Promise<Uint8Array> {
    const body = this.objects.get(key);
    if (body === undefined) throw new ObjectStoreError('NoSuchKey', key, { operation: 'get', key });
    return new Uint8Array(body);
  }

  async head(key: string, _options?: RequestOptions): Promise<ObjectHead | undefined> {
    const body = this.objects.get(key);
    return body === undefined ? undefined : { sizeBytes: body.byteLength, etag: `"${key}"` };
  }

  async delete(key: string, _options?: RequestOptions): Promise<void> {
    this.objects.delete(key);
  }

  async *list(prefix: string, _options?: RequestOptions): AsyncIterable<string> {
    yield* [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
