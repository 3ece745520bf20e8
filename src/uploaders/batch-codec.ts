/**
 * The object format of one document batch: an Arrow IPC file with three non-null columns, `id`
 * (Utf8), `vector` (FixedSizeList<Float32> of the batch's dimension) and `metadata` (Utf8 JSON), and
 * schema metadata `tiervec.batch.version` = `1` plus, when known, the collection and the batch's
 * sequence number. The BatchUploader writes it; recovery (the object-store durability mode) reads it
 * back with `decodeBatch`. Decoding checks the schema and every value and answers CORRUPT_DATA for
 * anything else, so a damaged or foreign object is never half-applied. No I/O here.
 */

import type { Data, Table, Utf8 } from 'apache-arrow';
import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { lazyRequire } from '../lazy-require.ts';
import { type BatchDocument, type BatchRecord, DIMENSION_MAX, toBatchRecord } from './batch-document.ts';

/** Arrow loads with the first batch encoded or decoded, not with tiervec (see lazy-require.ts). */
const arrow = lazyRequire<typeof import('apache-arrow')>('apache-arrow');

export const BATCH_FORMAT_VERSION = '1';

/** Facts about a batch stored in its schema metadata. */
export interface BatchInfo {
  collection?: string;
  seq?: number;
}

export interface DecodedDocument {
  id: string;
  vector: Float32Array;
  metadata: Record<string, unknown>;
}

export interface DecodedBatch extends BatchInfo {
  dimension: number;
  documents: DecodedDocument[];
}

/**
 * One Utf8 column built directly from its bytes and offsets: every text written once into one
 * buffer, rather than through an Arrow builder, which grows and copies its buffers as it goes.
 * `Buffer#write` replaces a lone surrogate with U+FFFD, as TextEncoder does.
 */
function utf8Data(records: readonly BatchRecord[], text: (record: BatchRecord) => string): Data<Utf8> {
  const { makeData, Utf8 } = arrow();
  let sizeBytes = 0;
  for (const record of records) sizeBytes += Buffer.byteLength(text(record), 'utf8');
  const values = Buffer.allocUnsafeSlow(sizeBytes);
  const valueOffsets = new Int32Array(records.length + 1);
  let offset = 0;
  records.forEach((record, row) => {
    offset += values.write(text(record), offset, 'utf8');
    valueOffsets[row + 1] = offset;
  });
  return makeData({ type: new Utf8(), length: records.length, nullCount: 0, valueOffsets, data: values });
}

/**
 * Encodes checked records (all of one dimension) as an Arrow IPC file. The BatchUploader calls this
 * with records it already checked; `encodeBatch` is the checking entry point for everyone else.
 */
export function encodeBatchRecords(records: readonly BatchRecord[], info: BatchInfo = {}): Uint8Array {
  const first = records[0];
  if (first === undefined) {
    throw new TierVecError(ErrorCode.INVALID_ARGUMENT, 'Expected a batch of at least 1 document, got 0', {
      details: { documents: 0 },
    });
  }
  const dimension = first.vector.length;
  const flat = new Float32Array(records.length * dimension);
  records.forEach((record, row) => {
    if (record.vector.length !== dimension) {
      throw new TierVecError(
        ErrorCode.DIMENSION_MISMATCH,
        `Expected every vector of a batch to have ${dimension} numbers, got ${record.vector.length} for ${describeValue(record.id)}`,
        { details: { id: record.id, expected: dimension, actual: record.vector.length } },
      );
    }
    flat.set(record.vector, row * dimension);
  });
  const { Field, FixedSizeList, Float32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8 } =
    arrow();
  const vectorType = new FixedSizeList(dimension, new Field('item', new Float32(), false));
  const schemaMetadata = new Map([['tiervec.batch.version', BATCH_FORMAT_VERSION]]);
  if (info.collection !== undefined) schemaMetadata.set('tiervec.batch.collection', info.collection);
  if (info.seq !== undefined) schemaMetadata.set('tiervec.batch.seq', String(info.seq));
  const schema = new Schema(
    [
      new Field('id', new Utf8(), false),
      new Field('vector', vectorType, false),
      new Field('metadata', new Utf8(), false),
    ],
    schemaMetadata,
  );
  const ids = utf8Data(records, (record) => record.id);
  const metadata = utf8Data(records, (record) => record.metadataJson);
  const values = makeData({ type: new Float32(), length: flat.length, data: flat });
  const vectors = makeData({ type: vectorType, length: records.length, nullCount: 0, child: values });
  const batch = new RecordBatch(
    schema,
    makeData({
      type: new Struct(schema.fields),
      length: records.length,
      nullCount: 0,
      children: [ids, vectors, metadata],
    }),
  );
  return tableToIPC(new Table([batch]), 'file');
}

/**
 * Checks `documents` (same rules as `BatchUploader.add`; the first document's vector length is the
 * batch's dimension unless `dimension` is given) and encodes them as one Arrow IPC file.
 */
export function encodeBatch(
  documents: readonly BatchDocument[],
  options: BatchInfo & { dimension?: number } = {},
): Uint8Array {
  let dimension = options.dimension;
  const records = documents.map((doc) => {
    const record = toBatchRecord(doc, dimension);
    dimension ??= record.vector.length;
    return record;
  });
  return encodeBatchRecords(records, options);
}

function corrupt(reason: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `Batch object is not a valid tiervec batch: ${reason}`, {
    cause,
  });
}

function checkSchema(table: Table): number {
  const { DataType, Precision } = arrow();
  const fields = table.schema.fields;
  const [id, vector, metadata] = fields;
  if (
    fields.length !== 3 ||
    id?.name !== 'id' ||
    vector?.name !== 'vector' ||
    metadata?.name !== 'metadata'
  ) {
    throw corrupt(
      `expected columns id, vector, metadata, got ${fields.map((field) => field.name).join(', ')}`,
    );
  }
  if (!DataType.isUtf8(id.type) || !DataType.isUtf8(metadata.type)) {
    throw corrupt('expected `id` and `metadata` to be Utf8');
  }
  const vectorType = vector.type;
  const item = DataType.isFixedSizeList(vectorType) ? vectorType.children[0]?.type : undefined;
  if (
    !DataType.isFixedSizeList(vectorType) ||
    item === undefined ||
    !DataType.isFloat(item) ||
    item.precision !== Precision.SINGLE ||
    vectorType.listSize < 1 ||
    vectorType.listSize > DIMENSION_MAX
  ) {
    throw corrupt(
      `expected \`vector\` to be FixedSizeList<Float32> of 1 to ${DIMENSION_MAX}, got ${vectorType}`,
    );
  }
  const version = table.schema.metadata.get('tiervec.batch.version');
  if (version !== BATCH_FORMAT_VERSION) {
    throw corrupt(`expected tiervec.batch.version ${BATCH_FORMAT_VERSION}, got ${describeValue(version)}`);
  }
  return vectorType.listSize;
}

function parseMetadata(row: number, text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') throw corrupt(`row ${row} has no metadata`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(`row ${row} metadata is not JSON`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corrupt(`row ${row} metadata is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function readInfo(table: Table): BatchInfo {
  const info: BatchInfo = {};
  const collection = table.schema.metadata.get('tiervec.batch.collection');
  const seq = table.schema.metadata.get('tiervec.batch.seq');
  if (collection !== undefined) info.collection = collection;
  if (seq !== undefined) {
    if (!/^\d{1,16}$/.test(seq)) throw corrupt(`tiervec.batch.seq is ${describeValue(seq)}`);
    info.seq = Number(seq);
  }
  return info;
}

/** Decodes a batch object written by `encodeBatch` or the BatchUploader; CORRUPT_DATA otherwise. */
export function decodeBatch(bytes: Uint8Array): DecodedBatch {
  if (!(bytes instanceof Uint8Array)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected batch bytes as a Uint8Array, got ${describeValue(bytes)}`,
    );
  }
  let table: Table;
  try {
    table = arrow().tableFromIPC(bytes);
  } catch (error) {
    throw corrupt(`not an Arrow IPC file (${(error as Error).message})`, error);
  }
  const dimension = checkSchema(table);
  const ids = table.getChild('id')!;
  const vectors = table.getChild('vector')!;
  const metadata = table.getChild('metadata')!;
  if (ids.nullCount > 0 || vectors.nullCount > 0 || metadata.nullCount > 0)
    throw corrupt('a column holds nulls');
  const documents: DecodedDocument[] = [];
  for (let row = 0; row < table.numRows; row++) {
    const id = ids.get(row);
    if (typeof id !== 'string' || id.length === 0) throw corrupt(`row ${row} has no id`);
    const values = vectors.get(row)?.toArray() as Float32Array | undefined;
    if (values === undefined || values.length !== dimension)
      throw corrupt(`row ${row} vector has the wrong length`);
    // Copied so the documents do not keep the whole IPC buffer alive.
    documents.push({
      id,
      vector: Float32Array.from(values),
      metadata: parseMetadata(row, metadata.get(row)),
    });
  }
  return { ...readInfo(table), dimension, documents };
}
