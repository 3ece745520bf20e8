/**
 * The documents a BatchUploader accepts and how one is checked before anything of it is queued: the
 * id, the vector (length equal to the collection's dimension, every number finite as a float32), and
 * the metadata (a JSON object of at most 64 KiB). Checking produces a `BatchRecord`, an owned copy
 * (Float32Array vector, metadata already serialized), so a caller that reuses its arrays after `add`
 * cannot change what is uploaded. This module has no I/O and no state.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';

export interface BatchDocument {
  /** Non-empty, at most 256 bytes of UTF-8. */
  id: string;
  /** Exactly `dimension` finite numbers. */
  vector: Float32Array | readonly number[];
  /** A JSON object, at most 64 KiB serialized. @default {} */
  metadata?: Record<string, unknown>;
}

/** A checked document, owned by the uploader. */
export interface BatchRecord {
  id: string;
  vector: Float32Array;
  /** The metadata as JSON text. */
  metadataJson: string;
}

export const ID_BYTES_MAX = 256;
export const METADATA_BYTES_MAX = 65_536;
export const DIMENSION_MAX = 4_096;

/**
 * The UTF-8 length of `text` without encoding it. A UTF-16 code unit never takes more than 3 bytes
 * of UTF-8 (a surrogate pair, two units, takes 4; a lone surrogate becomes U+FFFD, 3), so text of at
 * most `limitBytes / 3` units is within the limit and its exact length is not needed; the caller
 * gets `text.length`, which is then a lower bound that is also within the limit.
 */
function utf8BytesUpTo(text: string, limitBytes: number): number {
  return text.length * 3 <= limitBytes ? text.length : Buffer.byteLength(text, 'utf8');
}

function invalid(
  code: TierVecError['code'],
  message: string,
  details: Record<string, unknown>,
): TierVecError {
  return new TierVecError(code, message, { details });
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || utf8BytesUpTo(id, ID_BYTES_MAX) > ID_BYTES_MAX) {
    throw invalid(
      ErrorCode.INVALID_ARGUMENT,
      `Expected document \`id\` to be a non-empty string of at most ${ID_BYTES_MAX} bytes, got ${describeValue(id)}`,
      { id },
    );
  }
  return id;
}

function checkVector(id: string, vector: unknown, dimension: number | undefined): Float32Array {
  if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
    throw invalid(
      ErrorCode.INVALID_VECTOR,
      `Expected the \`vector\` of document ${describeValue(id)} to be a Float32Array or an array of numbers, got ${describeValue(vector)}`,
      { id },
    );
  }
  const expected = dimension ?? vector.length;
  if (vector.length !== expected || expected < 1 || expected > DIMENSION_MAX) {
    throw invalid(
      ErrorCode.DIMENSION_MISMATCH,
      dimension === undefined
        ? `Expected the \`vector\` of document ${describeValue(id)} to have 1 to ${DIMENSION_MAX} numbers, got ${vector.length}`
        : `Expected the \`vector\` of document ${describeValue(id)} to have ${dimension} numbers (the collection's dimension), got ${vector.length}`,
      { id, expected: dimension, actual: vector.length },
    );
  }
  const copy = new Float32Array(expected);
  if (vector instanceof Float32Array) {
    // Every element is already a float32: one block copy, then only the finiteness check.
    copy.set(vector);
    for (let i = 0; i < expected; i++) {
      if (!Number.isFinite(copy[i] as number)) throw notFinite(id, vector[i], i);
    }
    return copy;
  }
  for (let i = 0; i < expected; i++) {
    const value = (vector as ArrayLike<unknown>)[i];
    // Checked after the float32 conversion too: 1e39 is finite as a double and Infinity as a float32.
    copy[i] = typeof value === 'number' ? value : Number.NaN;
    if (!Number.isFinite(copy[i] as number)) throw notFinite(id, value, i);
  }
  return copy;
}

function notFinite(id: string, value: unknown, index: number): TierVecError {
  return invalid(
    ErrorCode.INVALID_VECTOR,
    `Expected the \`vector\` of document ${describeValue(id)} to hold finite float32 numbers, got ${describeValue(value)} at index ${index}`,
    { id, index },
  );
}

function checkMetadata(id: string, metadata: unknown): string {
  if (metadata === undefined) return '{}';
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalid(
      ErrorCode.INVALID_ARGUMENT,
      `Expected the \`metadata\` of document ${describeValue(id)} to be a JSON object, got ${describeValue(metadata)}`,
      { id },
    );
  }
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch (error) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected the \`metadata\` of document ${describeValue(id)} to be serializable as JSON: ${(error as Error).message}`,
      { cause: error, details: { id } },
    );
  }
  const sizeBytes = utf8BytesUpTo(json, METADATA_BYTES_MAX);
  if (sizeBytes > METADATA_BYTES_MAX) {
    throw invalid(
      ErrorCode.METADATA_TOO_LARGE,
      `Expected the \`metadata\` of document ${describeValue(id)} to be at most ${METADATA_BYTES_MAX} bytes as JSON, got ${sizeBytes}`,
      { id, sizeBytes, sizeBytesMax: METADATA_BYTES_MAX },
    );
  }
  return json;
}

/**
 * Checks one document against `dimension` (or, when undefined, only the 1..4096 range) and returns
 * an owned copy. Throws INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_VECTOR or METADATA_TOO_LARGE.
 */
export function toBatchRecord(doc: unknown, dimension: number | undefined): BatchRecord {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(ErrorCode.INVALID_ARGUMENT, `Expected a document object, got ${describeValue(doc)}`, {});
  }
  const { id, vector, metadata } = doc as Partial<BatchDocument>;
  const checkedId = checkId(id);
  return {
    id: checkedId,
    vector: checkVector(checkedId, vector, dimension),
    metadataJson: checkMetadata(checkedId, metadata),
  };
}
