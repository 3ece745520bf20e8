/**
 * Input validation for the store: names, option objects, document ids, vectors and metadata.
 *
 * Every check runs before anything is written and throws a TierVecError whose message names the
 * input and what was expected. Validated documents come out in the one shape the write path, the WAL
 * and the segments share (`ValidDocument`), with the vector copied so a caller mutating its array
 * afterwards cannot change what was stored.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { LIMITS } from './limits.ts';
import type { Metric } from './metric.ts';

/** Tenant and collection names: lower-case letters, digits, `_` and `-`, at most 63 characters. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Metadata = { [key: string]: JsonValue };

export interface DocumentInput {
  id: string;
  vector: Float32Array | Float64Array | readonly number[];
  metadata?: Metadata;
}

/** A document that passed validation, in the form the WAL and the segments store. */
export interface ValidDocument {
  readonly id: string;
  readonly vector: Float32Array;
  readonly metadataJson: string;
  /** id bytes + vector bytes + metadata JSON bytes: what the document counts against `bytesMax`. */
  readonly bytes: number;
}

export function validateName(what: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new TierVecError(
      ErrorCode.INVALID_NAME,
      `Expected ${what} to match ${NAME_PATTERN} (lower-case letters, digits, _ and -, at most 63 characters), got ${describeValue(value)}`,
      { details: { what, value } },
    );
  }
  return value;
}

/** Throws INVALID_ARGUMENT unless `value` is a plain object whose keys are all in `allowed`. */
export function checkOptionsObject(
  what: string,
  value: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${what} to be an object, got ${describeValue(value)}`,
      {
        details: { what },
      },
    );
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Unknown option \`${key}\` in ${what}; expected one of ${allowed.map((k) => `\`${k}\``).join(', ')}`,
        { details: { what, option: key } },
      );
    }
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Returns the id's UTF-8 length after checking it is a well-formed, non-empty string of at most 256 bytes. */
export function validateId(value: unknown, where = 'id'): number {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${where} to be a non-empty string, got ${describeValue(value)}`,
      {
        details: { id: value },
      },
    );
  }
  // A lone surrogate would be replaced on its way through UTF-8 and come back as a different id.
  if (!isWellFormed(value)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${where} to be well-formed Unicode, got ${describeValue(value)}`,
      {
        details: { id: value },
      },
    );
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > LIMITS.idBytesMax) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${where} to be at most ${LIMITS.idBytesMax} bytes of UTF-8, got ${bytes} bytes (${describeValue(value)})`,
      { details: { id: value, bytes } },
    );
  }
  return bytes;
}

/**
 * Copies a vector into a new Float32Array after checking its length and that every component is a
 * finite number once stored as float32 (1e39 is finite in JS but Infinity in float32). For the cosine
 * metric the zero vector has no direction and is rejected.
 */
export function validateVector(
  value: unknown,
  dimension: number,
  metric: Metric,
  where = 'vector',
): Float32Array {
  return checkVector(value, dimension, metric, where, new Float32Array(dimension));
}

/**
 * The same checks for a search query, producing the plain array hnswlib takes (float32-rounded
 * values, so exact and HNSW search see the same query) without an intermediate typed array.
 */
export function validateQueryVector(
  value: unknown,
  dimension: number,
  metric: Metric,
  where = 'query vector',
): number[] {
  if (!(value instanceof Float32Array) || value.length !== dimension) {
    return checkVector(value, dimension, metric, where, [] as number[]);
  }
  // The common case, apart from the generic path so that this loop stays monomorphic (a search's
  // cost beside hnswlib's): float32 components need no rounding, only the finiteness check.
  const target = new Array<number>(dimension);
  let normSquared = 0;
  for (let i = 0; i < dimension; i++) {
    const component = value[i] as number;
    if (component - component !== 0) throw invalidComponent(where, i, component);
    target[i] = component;
    normSquared += component * component;
  }
  checkDirection(where, metric, normSquared);
  return target;
}

function checkVector<T extends Float32Array | number[]>(
  value: unknown,
  dimension: number,
  metric: Metric,
  where: string,
  target: T,
): T {
  const isArrayLike = Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array;
  if (!isArrayLike) {
    throw new TierVecError(
      ErrorCode.INVALID_VECTOR,
      `Expected ${where} to be a Float32Array or an array of numbers, got ${describeValue(value)}`,
      { details: { where } },
    );
  }
  const source = value as ArrayLike<unknown>;
  if (source.length !== dimension) {
    throw new TierVecError(
      ErrorCode.DIMENSION_MISMATCH,
      `Expected ${where} to have ${dimension} components (the collection's dimension), got ${source.length}`,
      { details: { where, expected: dimension, actual: source.length } },
    );
  }
  let normSquared = 0;
  for (let i = 0; i < dimension; i++) {
    const component = source[i];
    if (typeof component !== 'number') throw invalidComponent(where, i, component);
    const stored = Math.fround(component);
    if (!Number.isFinite(stored)) throw invalidComponent(where, i, component);
    target[i] = stored;
    normSquared += stored * stored;
  }
  checkDirection(where, metric, normSquared);
  return target;
}

function checkDirection(where: string, metric: Metric, normSquared: number): void {
  if (metric === 'cosine' && normSquared === 0) {
    throw new TierVecError(
      ErrorCode.INVALID_VECTOR,
      `Expected ${where} to be non-zero: the cosine metric needs a direction`,
      { details: { where } },
    );
  }
  checkNormRange(where, metric, normSquared);
}

/**
 * hnswlib computes in float32 and exact search in float64; outside these bounds float32 overflows
 * (l2 distances of two vectors of norm² up to 2^126 stay below the float32 maximum 2^128) or, for
 * cosine, loses the direction (with a norm² of at least 2^-114, squares too small to be normal
 * float32 numbers change it by at most 2^-24 even at dimension 4096), and the two searches disagree.
 */
const NORM_SQUARED_MAX = 2 ** 126;
const COSINE_NORM_SQUARED_MIN = 2 ** -114;

function checkNormRange(where: string, metric: Metric, normSquared: number): void {
  const min = metric === 'cosine' ? COSINE_NORM_SQUARED_MIN : 0;
  if (normSquared <= NORM_SQUARED_MAX && normSquared >= min) return;
  const norm = Math.sqrt(normSquared);
  throw new TierVecError(
    ErrorCode.INVALID_VECTOR,
    `Expected ${where} to have a norm ${metric === 'cosine' ? `from ${Math.sqrt(min).toPrecision(3)} ` : ''}` +
      `up to ${Math.sqrt(NORM_SQUARED_MAX).toPrecision(3)} (the ${metric} index computes in float32, which ` +
      `${normSquared > NORM_SQUARED_MAX ? 'overflows' : 'loses the direction'} beyond), got a norm of ${norm.toPrecision(3)}`,
    { details: { where, norm } },
  );
}

function invalidComponent(where: string, index: number, component: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_VECTOR,
    `Expected ${where}[${index}] to be a finite number (within float32 range), got ${describeValue(component)}`,
    { details: { where, index } },
  );
}

/**
 * Checks that metadata is a plain JSON object (no undefined, functions, class instances, non-finite
 * numbers, or nesting deeper than 32) of at most 64 KiB serialized, and returns its JSON. The walk is
 * iterative and bounded, so hostile input can neither recurse deeply nor run long.
 */
export function validateMetadata(value: unknown, where = 'metadata'): string {
  if (value === undefined) return '{}';
  if (!isPlainObject(value)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${where} to be a plain JSON object, got ${describeValue(value)}`,
      {
        details: { where },
      },
    );
  }
  checkJsonTree(value, where);
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > LIMITS.metadataBytesMax) {
    throw metadataTooLarge(where, `${bytes} bytes`);
  }
  return json;
}

function metadataTooLarge(where: string, actual: string): TierVecError {
  return new TierVecError(
    ErrorCode.METADATA_TOO_LARGE,
    `Expected ${where} to be at most ${LIMITS.metadataBytesMax} bytes as JSON, got ${actual}`,
    { details: { where, limitBytes: LIMITS.metadataBytesMax } },
  );
}

function checkJsonTree(root: Record<string, unknown>, where: string): void {
  // Every node costs at least one byte of JSON, so a tree with more nodes than the byte limit is too
  // large whatever its contents; stopping there bounds the walk.
  const nodesMax = LIMITS.metadataBytesMax;
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: root, depth: 0, path: where }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (++nodes > nodesMax) throw metadataTooLarge(where, `more than ${nodesMax} values`);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw notJson(path, value, 'a finite number');
      continue;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) throw notJson(path, value, 'a JSON value');
    if (depth >= LIMITS.metadataDepthMax) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected ${where} to nest at most ${LIMITS.metadataDepthMax} levels deep; ${path} is deeper`,
        { details: { where } },
      );
    }
    if (isArray) {
      const array = value as unknown[];
      for (let i = 0; i < array.length; i++)
        stack.push({ value: array[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        stack.push({ value: child, depth: depth + 1, path: `${path}.${key}` });
      }
    }
  }
}

function notJson(path: string, value: unknown, expected: string): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected ${path} to be ${expected}, got ${describeValue(value)}`,
    {
      details: { path },
    },
  );
}

/** `String.prototype.isWellFormed` (ES2024, present in Node 20) without the newer lib typings. */
function isWellFormed(value: string): boolean {
  return (value as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Checks the array shape and the per-call limit shared by every batch operation. */
export function checkBatch(what: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${what} to be an array, got ${describeValue(value)}`,
      {
        details: { what },
      },
    );
  }
  if (value.length > LIMITS.batchSizeMax) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected at most ${LIMITS.batchSizeMax} ${what} per call, got ${value.length}; split the batch`,
      { details: { what, limit: LIMITS.batchSizeMax, actual: value.length } },
    );
  }
  return value;
}

/**
 * Validates a batch of documents for insert or upsert: shape, ids (including duplicates within the
 * call), vectors, metadata, and the encoded size of the whole call.
 */
export function validateDocuments(input: unknown, dimension: number, metric: Metric): ValidDocument[] {
  const items = checkBatch('documents', input);
  const seen = new Set<string>();
  const documents: ValidDocument[] = [];
  let totalBytes = 0;
  for (let i = 0; i < items.length; i++) {
    const where = `documents[${i}]`;
    const item = checkOptionsObject(where, items[i], ['id', 'vector', 'metadata']);
    const idBytes = validateId(item.id, `${where}.id`);
    const id = item.id as string;
    if (seen.has(id)) {
      throw new TierVecError(
        ErrorCode.DUPLICATE_ID,
        `Document id ${describeValue(id)} appears more than once in this call (${where})`,
        {
          details: { id },
        },
      );
    }
    seen.add(id);
    const vector = validateVector(item.vector, dimension, metric, `${where}.vector`);
    const metadataJson = validateMetadata(item.metadata, `${where}.metadata`);
    const bytes = idBytes + dimension * 4 + Buffer.byteLength(metadataJson, 'utf8');
    totalBytes += bytes;
    documents.push({ id, vector, metadataJson, bytes });
  }
  checkBatchBytes(totalBytes);
  return documents;
}

/** Validates ids for delete: shape, each id, and the per-call limit. Duplicates are harmless there. */
export function validateIds(input: unknown): string[] {
  const items = checkBatch('ids', input);
  let totalBytes = 0;
  for (let i = 0; i < items.length; i++) totalBytes += validateId(items[i], `ids[${i}]`);
  checkBatchBytes(totalBytes);
  return items as string[];
}

function checkBatchBytes(totalBytes: number): void {
  if (totalBytes > LIMITS.batchBytesMax) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected one call to carry at most ${LIMITS.batchBytesMax} bytes of ids, vectors and metadata, got ${totalBytes}; split the batch`,
      { details: { limit: LIMITS.batchBytesMax, actual: totalBytes } },
    );
  }
}
