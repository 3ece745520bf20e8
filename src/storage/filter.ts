/**
 * Metadata filters: `{ field: value }` equality and `{ field: { $op: operand } }` conditions, several
 * fields meaning all must hold. A filter is validated once and compiled into a predicate over a
 * document's metadata, which the search calls inside the HNSW traversal (hnswlib's filter callback)
 * or during an exact scan. Only top-level metadata fields are addressed; values are compared
 * strictly (no type coercion, no array containment).
 *
 * Operators: `$eq`, `$ne`, `$in`, `$nin` on strings, numbers, booleans and null; `$gt`, `$gte`,
 * `$lt`, `$lte` on numbers or strings (a field of another type never matches a range).
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LIMITS } from './limits.ts';
import { isPlainObject, type Metadata } from './validation.ts';

export type FilterScalar = string | number | boolean | null;

export interface FieldOperators {
  $eq?: FilterScalar;
  $ne?: FilterScalar;
  $in?: readonly FilterScalar[];
  $nin?: readonly FilterScalar[];
  $gt?: number | string;
  $gte?: number | string;
  $lt?: number | string;
  $lte?: number | string;
}

export type FieldCondition = FilterScalar | FieldOperators;
export type MetadataFilter = Readonly<Record<string, FieldCondition>>;
export type MetadataPredicate = (metadata: Metadata) => boolean;

type Test = (value: unknown) => boolean;

const RANGE_OPERATORS = ['$gt', '$gte', '$lt', '$lte'] as const;
const OPERATORS = ['$eq', '$ne', '$in', '$nin', ...RANGE_OPERATORS];

/**
 * Validates `filter` and compiles it. Returns undefined for an absent or empty filter (everything
 * matches), so callers can skip the callback entirely.
 */
export function compileFilter(filter: unknown): MetadataPredicate | undefined {
  if (filter === undefined) return undefined;
  if (!isPlainObject(filter)) {
    throw invalid('filter', `an object of field conditions, got ${describeValue(filter)}`);
  }
  const entries = Object.entries(filter);
  if (entries.length > LIMITS.filterFieldsMax) {
    throw invalid('filter', `at most ${LIMITS.filterFieldsMax} fields, got ${entries.length}`);
  }
  if (entries.length === 0) return undefined;
  const tests: [string, Test][] = entries.map(([field, condition]) => {
    if (field.length === 0 || field.startsWith('$')) {
      throw invalid(
        `filter field ${describeValue(field)}`,
        'a metadata field name (operators such as $and are not supported)',
      );
    }
    return [field, compileCondition(`filter.${field}`, condition)];
  });
  if (tests.length === 1) {
    const [field, test] = tests[0] as [string, Test];
    return (metadata) => test(metadata[field]);
  }
  return (metadata) => {
    for (const [field, test] of tests) if (!test(metadata[field])) return false;
    return true;
  };
}

function compileCondition(path: string, condition: unknown): Test {
  if (isScalar(condition)) return (value) => value === condition;
  if (!isPlainObject(condition)) {
    throw invalid(
      path,
      `a string, number, boolean, null or an operator object, got ${describeValue(condition)}`,
    );
  }
  const operators = Object.entries(condition);
  if (operators.length === 0) throw invalid(path, `at least one of ${OPERATORS.join(', ')}`);
  const tests = operators.map(([operator, operand]) =>
    compileOperator(`${path}.${operator}`, operator, operand),
  );
  if (tests.length === 1) return tests[0] as Test;
  return (value) => {
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

function compileOperator(path: string, operator: string, operand: unknown): Test {
  switch (operator) {
    case '$eq': {
      const expected = checkScalar(path, operand);
      return (value) => value === expected;
    }
    case '$ne': {
      const expected = checkScalar(path, operand);
      return (value) => value !== expected;
    }
    case '$in': {
      const set = new Set(checkScalarList(path, operand));
      return (value) => set.has(value as FilterScalar);
    }
    case '$nin': {
      const set = new Set(checkScalarList(path, operand));
      return (value) => !set.has(value as FilterScalar);
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return compileRange(path, operator, operand);
    default:
      throw invalid(path, `a known operator (${OPERATORS.join(', ')}), got ${describeValue(operator)}`);
  }
}

function compileRange(path: string, operator: (typeof RANGE_OPERATORS)[number], operand: unknown): Test {
  const isNumber = typeof operand === 'number' && Number.isFinite(operand);
  if (!isNumber && typeof operand !== 'string') {
    throw invalid(path, `a finite number or a string, got ${describeValue(operand)}`);
  }
  const bound = operand as number | string;
  const type = typeof bound;
  switch (operator) {
    case '$gt':
      return (value) => typeof value === type && (value as number | string) > bound;
    case '$gte':
      return (value) => typeof value === type && (value as number | string) >= bound;
    case '$lt':
      return (value) => typeof value === type && (value as number | string) < bound;
    case '$lte':
      return (value) => typeof value === type && (value as number | string) <= bound;
  }
}

function isScalar(value: unknown): value is FilterScalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function checkScalar(path: string, operand: unknown): FilterScalar {
  if (!isScalar(operand))
    throw invalid(path, `a string, finite number, boolean or null, got ${describeValue(operand)}`);
  return operand;
}

function checkScalarList(path: string, operand: unknown): FilterScalar[] {
  if (!Array.isArray(operand)) throw invalid(path, `an array, got ${describeValue(operand)}`);
  if (operand.length > LIMITS.filterValuesMax) {
    throw invalid(path, `at most ${LIMITS.filterValuesMax} values, got ${operand.length}`);
  }
  return operand.map((item, i) => checkScalar(`${path}[${i}]`, item));
}

function invalid(path: string, expected: string): TierVecError {
  return new TierVecError(ErrorCode.INVALID_ARGUMENT, `Expected ${path} to be ${expected}`, {
    details: { path },
  });
}
