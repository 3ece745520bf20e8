import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { compileFilter } from '../../../src/storage/filter.ts';
import { LIMITS } from '../../../src/storage/limits.ts';
import type { Metadata } from '../../../src/storage/validation.ts';
import { expectTierVecError } from '../../helpers/storage-fixtures.ts';

const rows: Metadata[] = [
  { id: 1, lang: 'en', score: 0.9, draft: false, tags: ['a'] },
  { id: 2, lang: 'de', score: 0.4, draft: true },
  { id: 3, lang: 'en', score: 0.2, draft: null },
  { id: 4, score: '0.7' },
];

function matching(filter: unknown): number[] {
  const predicate = compileFilter(filter);
  if (predicate === undefined) return rows.map((row) => row.id as number);
  return rows.filter(predicate).map((row) => row.id as number);
}

describe('compileFilter', () => {
  it('matches everything when absent or empty', () => {
    expect(compileFilter(undefined)).toBeUndefined();
    expect(compileFilter({})).toBeUndefined();
  });

  it('compares equality strictly, including null and booleans', () => {
    expect(matching({ lang: 'en' })).toEqual([1, 3]);
    expect(matching({ draft: null })).toEqual([3]);
    expect(matching({ draft: false })).toEqual([1]);
    expect(matching({ score: 0.7 })).toEqual([]);
    expect(matching({ lang: { $eq: 'de' } })).toEqual([2]);
  });

  it('supports $ne and $nin (a missing field matches them)', () => {
    expect(matching({ lang: { $ne: 'en' } })).toEqual([2, 4]);
    expect(matching({ lang: { $nin: ['en', 'de'] } })).toEqual([4]);
  });

  it('supports $in', () => {
    expect(matching({ id: { $in: [2, 4, 9] } })).toEqual([2, 4]);
    expect(matching({ id: { $in: [] } })).toEqual([]);
  });

  it('compares ranges only between values of the same type', () => {
    expect(matching({ score: { $gt: 0.3 } })).toEqual([1, 2]);
    expect(matching({ score: { $gte: 0.4, $lt: 0.9 } })).toEqual([2]);
    expect(matching({ score: { $lte: 0.2 } })).toEqual([3]);
    expect(matching({ score: { $gt: '0.5' } })).toEqual([4]);
  });

  it('requires every field to hold', () => {
    expect(matching({ lang: 'en', score: { $gt: 0.5 } })).toEqual([1]);
  });

  it.each([
    ['a non-object filter', 'lang=en', 'filter'],
    ['an array filter', [{ lang: 'en' }], 'filter'],
    ['a top-level operator', { $and: [] }, '$and'],
    ['an empty field name', { '': 1 }, 'filter field'],
    ['an unknown operator', { lang: { $regex: 'e' } }, 'filter.lang.$regex'],
    ['an empty operator object', { lang: {} }, 'filter.lang'],
    ['a nested object value', { lang: { code: 'en' } }, 'filter.lang.code'],
    ['an array value', { tags: ['a'] }, 'filter.tags'],
    ['a non-finite number', { score: Number.NaN }, 'filter.score'],
    ['$in that is not an array', { id: { $in: 3 } }, 'filter.id.$in'],
    ['$in with an object', { id: { $in: [1, {}] } }, 'filter.id.$in[1]'],
    ['$gt on a boolean', { draft: { $gt: true } }, 'filter.draft.$gt'],
    ['$ne on an array', { draft: { $ne: [1] } }, 'filter.draft.$ne'],
  ])('refuses %s with INVALID_ARGUMENT naming the path', async (_, filter, path) => {
    await expectTierVecError(() => compileFilter(filter), ErrorCode.INVALID_ARGUMENT, path);
  });

  it('refuses more than filterFieldsMax fields and filterValuesMax values', async () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i <= LIMITS.filterFieldsMax; i++) wide[`f${i}`] = i;
    await expectTierVecError(
      () => compileFilter(wide),
      ErrorCode.INVALID_ARGUMENT,
      String(LIMITS.filterFieldsMax),
    );
    const values = Array.from({ length: LIMITS.filterValuesMax + 1 }, (_, i) => i);
    await expectTierVecError(
      () => compileFilter({ id: { $in: values } }),
      ErrorCode.INVALID_ARGUMENT,
      String(LIMITS.filterValuesMax),
    );
  });
});
