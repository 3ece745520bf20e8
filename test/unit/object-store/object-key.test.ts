import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { compareKeys, validateKey, validatePrefix } from '../../../src/object-store/object-key.ts';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isTierVecError(error) ? error.code : 'not a TierVecError';
  }
}

describe('validateKey', () => {
  it('accepts ordinary keys, including tiervec’s layout, and returns their segments', () => {
    expect(validateKey('tenants/default/collections/docs/manifest/00000000000000000001.json')).toHaveLength(
      6,
    );
    for (const key of [
      'a',
      'a.b',
      '..a',
      'a..',
      '.hidden',
      'sp ace/ünï/😀',
      'x'.repeat(255),
      `${'y/'.repeat(511)}y`,
    ]) {
      expect(
        codeOf(() => validateKey(key)),
        key.slice(0, 20),
      ).toBeUndefined();
    }
  });

  it('rejects a non-string with INVALID_KEY', () => {
    for (const key of [undefined, null, 42, ['a']])
      expect(codeOf(() => validateKey(key))).toBe(ErrorCode.INVALID_KEY);
  });

  it('accepts exactly 1,024 bytes of UTF-8 and rejects 1,025', () => {
    const segment = 'z'.repeat(255);
    const exact = `${segment}/${segment}/${segment}/${'z'.repeat(254)}/z`;
    expect(Buffer.byteLength(exact)).toBe(1024);
    expect(codeOf(() => validateKey(exact))).toBeUndefined();
    expect(codeOf(() => validateKey(`${exact}z`))).toBe(ErrorCode.INVALID_KEY);
  });

  it('names the key and the rule in its message', () => {
    expect(() => validateKey('a/../b')).toThrow(/"a\/\.\.\/b".*|`\.` and `\.\.`/);
  });
});

describe('validatePrefix', () => {
  it('accepts the empty prefix, whole segments and a partial last segment', () => {
    for (const prefix of ['', 'a/', 'a/b', 'a/.', 'a/..x', 'tenants/acme/coll']) {
      expect(
        codeOf(() => validatePrefix(prefix)),
        prefix,
      ).toBeUndefined();
    }
  });

  it('rejects prefixes with absolute paths, dot segments, backslashes or control characters', () => {
    for (const prefix of ['/', '/a', '../', 'a/../', 'a//', 'a\\b', 'a\u0001', 42]) {
      expect(
        codeOf(() => validatePrefix(prefix)),
        String(prefix),
      ).toBe(ErrorCode.INVALID_KEY);
    }
  });
});

describe('compareKeys', () => {
  it('orders keys by their UTF-8 bytes, like S3 listings (checked against Buffer.compare)', () => {
    const unit = fc.constantFrom('a', '/', '-', 'é', '\uffff', '\ue000', '😀', '\u{10ffff}', 'Z');
    const key = fc.array(unit, { maxLength: 6 }).map((units) => units.join(''));
    fc.assert(
      fc.property(key, key, (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(Math.sign(compareKeys(a, b))).toBe(expected);
      }),
      { seed: 20_240_601, numRuns: 2000 },
    );
  });

  it('puts characters beyond U+FFFF after U+FFFF, unlike JavaScript’s < on strings', () => {
    expect('😀' < '\uffff').toBe(true);
    expect(compareKeys('😀', '\uffff')).toBeGreaterThan(0);
  });
});
