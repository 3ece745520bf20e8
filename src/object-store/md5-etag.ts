/**
 * The entity tag S3 gives an object written in one part: the hex MD5 of its body, without the quotes
 * S3 puts around it. `LocalObjectStore` and `MockS3ObjectStore` use it so that their etags match what
 * S3 returns for the same bytes.
 */

import { createHash } from 'node:crypto';

export function md5Etag(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex');
}

/** Removes the double quotes S3 wraps around an ETag header value. */
export function unquoteEtag(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}
