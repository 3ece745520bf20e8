/**
 * The rules an object key must follow, shared by every ObjectStore implementation so that a key the
 * mock accepts is a key the local directory and S3 accept too. The rules are stricter than S3's
 * (which takes almost any UTF-8 string) because `LocalObjectStore` maps each key to a file path and
 * no key may ever name a file outside its root. tiervec builds its keys from validated names, so
 * none of its own keys comes near these limits.
 *
 * A valid key:
 * - is a non-empty, well-formed string of at most 1,024 bytes of UTF-8 (S3's limit);
 * - is a sequence of `/`-separated segments, each non-empty (no leading `/`, so no absolute keys; no
 *   trailing `/`; no `//`), none equal to `.` or `..`, each at most 255 bytes (a file-name limit);
 * - contains no backslash, no NUL and no other control character (U+0000–U+001F, U+007F);
 * - has no segment starting with `.tiervec-tmp-`, which `LocalObjectStore` reserves for its
 *   temporary files.
 *
 * A list prefix may be empty or end with `/`; otherwise it follows the same character rules.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';

/** Longest key, in bytes of UTF-8 (S3's limit). */
export const KEY_BYTES_MAX = 1024;
/** Longest segment between two `/`, in bytes of UTF-8 (the usual file-name limit). */
export const KEY_SEGMENT_BYTES_MAX = 255;
/** Segments starting with this are reserved for `LocalObjectStore`'s temporary files. */
export const RESERVED_SEGMENT_PREFIX = '.tiervec-tmp-';

// Control characters (C0 and DEL) and the backslash, which some platforms treat as a separator.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const FORBIDDEN_CHARACTERS = /[\u0000-\u001f\u007f\\]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function invalidKey(what: string, value: unknown, expectation: string): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_KEY,
    `Expected ${what} to be ${expectation}, got ${describeValue(value)}`,
    { details: { key: value } },
  );
}

function checkCharacters(what: string, value: string): void {
  if (FORBIDDEN_CHARACTERS.test(value)) {
    throw invalidKey(what, value, 'free of backslashes, NUL and control characters');
  }
  if (LONE_SURROGATE.test(value)) throw invalidKey(what, value, 'well-formed Unicode (no lone surrogates)');
  if (Buffer.byteLength(value, 'utf8') > KEY_BYTES_MAX) {
    throw invalidKey(what, value, `at most ${KEY_BYTES_MAX} bytes of UTF-8`);
  }
}

function checkSegments(what: string, value: string, segments: readonly string[]): void {
  for (const segment of segments) {
    if (segment === '') {
      throw invalidKey(what, value, 'relative, with no empty segment (no leading, trailing or double `/`)');
    }
    if (segment === '.' || segment === '..') throw invalidKey(what, value, 'free of `.` and `..` segments');
    if (Buffer.byteLength(segment, 'utf8') > KEY_SEGMENT_BYTES_MAX) {
      throw invalidKey(what, value, `made of segments of at most ${KEY_SEGMENT_BYTES_MAX} bytes each`);
    }
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) {
      throw invalidKey(what, value, `free of segments starting with the reserved ${RESERVED_SEGMENT_PREFIX}`);
    }
  }
}

/**
 * Throws `INVALID_KEY` unless `key` is a valid object key (see the rules above); returns its
 * segments.
 */
export function validateKey(key: unknown): string[] {
  if (typeof key !== 'string' || key === '') throw invalidKey('an object key', key, 'a non-empty string');
  checkCharacters('an object key', key);
  const segments = key.split('/');
  checkSegments('an object key', key, segments);
  return segments;
}

/**
 * Throws `INVALID_KEY` unless `prefix` is a valid list prefix: empty, or a string of whole key
 * segments optionally followed by `/` or by the start of a segment (`tenants/acme/coll` matches
 * `tenants/acme/collections/…`). Returns the prefix.
 */
export function validatePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw invalidKey('a list prefix', prefix, 'a string');
  if (prefix === '') return prefix;
  checkCharacters('a list prefix', prefix);
  const segments = prefix.split('/');
  // A trailing '/' leaves one empty last segment, and a partial last segment may be a prefix of '.'
  // or '..' (matching `.x` or `..y`), so only the whole segments before the last are checked.
  checkSegments('a list prefix', prefix, segments.slice(0, -1));
  const last = segments.at(-1) as string;
  if (Buffer.byteLength(last, 'utf8') > KEY_SEGMENT_BYTES_MAX) {
    throw invalidKey(
      'a list prefix',
      prefix,
      `made of segments of at most ${KEY_SEGMENT_BYTES_MAX} bytes each`,
    );
  }
  return prefix;
}

/**
 * Orders keys as S3 lists them: by their UTF-8 bytes, which is Unicode code point order. JavaScript's
 * `<` compares UTF-16 code units, which disagrees for characters beyond U+FFFF against U+E000–U+FFFF;
 * the fix-up below moves surrogates above that range.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codePointRank(ca) - codePointRank(cb);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
