/**
 * The check every ObjectStore runs on a put's conditions before sending anything: `ifNoneMatch` is
 * `'*'` or absent, `ifMatch` is a non-empty etag or absent, and the two are never given together.
 * It must never touch the store: a bad condition is a programmer's input error (INVALID_ARGUMENT).
 */

import { invalidOption } from '../options.ts';
import type { PutOptions } from './object-store.ts';

export function checkPutConditions(options: PutOptions): void {
  if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== '*') {
    throw invalidOption('ifNoneMatch', "'*' or undefined", options.ifNoneMatch);
  }
  if (options.ifMatch !== undefined && (typeof options.ifMatch !== 'string' || options.ifMatch === '')) {
    throw invalidOption('ifMatch', 'a non-empty etag or undefined', options.ifMatch);
  }
  if (options.ifMatch !== undefined && options.ifNoneMatch !== undefined) {
    throw invalidOption(
      'ifMatch',
      'undefined when `ifNoneMatch` is given (S3 takes one of them)',
      options.ifMatch,
    );
  }
}
