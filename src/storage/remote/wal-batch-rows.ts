/**
 * How a collection's WAL records travel in the BatchUploader's batch objects (durability
 * 'object-store'). The batch codec carries rows of (id, vector, metadata), so one WAL record becomes
 * a header row followed by its rows:
 *
 *   header   id `wal`, a zero vector, metadata {"walLsn": lsn, "walOp": "insert"|"upsert"|"delete", "walRows": n,
 *            "walEpoch": e, "walBase": b}  (the writer's epoch and first LSN: wal-epochs.ts; absent before epochs)
 *   insert/upsert, per document: the document itself (id, vector, metadata unchanged)
 *   delete, per id: id = the deleted id, a zero vector, metadata {}
 *
 * A record's rows are always in one batch object, in order (the writer never splits a record across
 * batches), so a reader walks a batch header by header. A record whose rows are not all there (its
 * upload was refused part-way, so it was never acknowledged) is skipped; anything else that does not
 * parse is CORRUPT_DATA. No I/O here.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { DecodedBatch } from '../../uploaders/batch-codec.ts';
import type { BatchDocument } from '../../uploaders/batch-document.ts';
import type { ValidDocument } from '../validation.ts';
import type { WalOperation } from '../wal/wal-record.ts';

export const WAL_HEADER_ID = 'wal';

export interface RemoteWalEntry {
  readonly lsn: number;
  readonly op: WalOperation;
  /** The writer's epoch and the first LSN it numbered (0 in records written before epochs). */
  readonly epoch?: number;
  readonly base?: number;
}

/** Who wrote a record: the epoch its writer claimed and the first LSN that writer numbered. */
export interface WalWriter {
  epoch: number;
  base: number;
}

/** The rows of one WAL record: its header, then one row per document or deleted id. */
export function walRecordRows(
  lsn: number,
  op: WalOperation,
  dimension: number,
  writer?: WalWriter,
): BatchDocument[] {
  const zero = new Float32Array(dimension);
  const count = op.kind === 'delete' ? op.ids.length : op.docs.length;
  const stamp =
    writer === undefined || writer.epoch === 0 ? {} : { walEpoch: writer.epoch, walBase: writer.base };
  const rows: BatchDocument[] = [
    { id: WAL_HEADER_ID, vector: zero, metadata: { walLsn: lsn, walOp: op.kind, walRows: count, ...stamp } },
  ];
  if (op.kind === 'delete') {
    for (const id of op.ids) rows.push({ id, vector: zero, metadata: {} });
  } else {
    for (const doc of op.docs) {
      rows.push({ id: doc.id, vector: doc.vector, metadata: JSON.parse(doc.metadataJson) });
    }
  }
  return rows;
}

function corrupt(key: string, reason: string): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `WAL batch ${describeValue(key)} ${reason}`, {
    details: { key },
  });
}

/** The complete WAL records of a decoded batch object, in order. */
export function walEntriesOf(batch: DecodedBatch, key: string, dimension: number): RemoteWalEntry[] {
  if (batch.dimension !== dimension) {
    throw corrupt(key, `has dimension ${batch.dimension}; the collection's is ${dimension}`);
  }
  const rows = batch.documents;
  const entries: RemoteWalEntry[] = [];
  let index = 0;
  while (index < rows.length) {
    const header = rows[index]?.metadata as {
      walLsn?: unknown;
      walOp?: unknown;
      walRows?: unknown;
      walEpoch?: unknown;
      walBase?: unknown;
    };
    const { walLsn: lsn, walOp: kind, walRows: count, walEpoch: epoch = 0, walBase: base = 0 } = header;
    if (
      rows[index]?.id !== WAL_HEADER_ID ||
      !Number.isSafeInteger(epoch) ||
      (epoch as number) < 0 ||
      !Number.isSafeInteger(base) ||
      (base as number) < 0 ||
      !Number.isSafeInteger(lsn) ||
      (lsn as number) < 1 ||
      !Number.isSafeInteger(count) ||
      (count as number) < 0 ||
      (kind !== 'insert' && kind !== 'upsert' && kind !== 'delete')
    ) {
      throw corrupt(key, `has no valid WAL header at row ${index}`);
    }
    const body = rows.slice(index + 1, index + 1 + (count as number));
    index += 1 + (count as number);
    // A record cut short was refused part-way and never acknowledged.
    if (body.length < (count as number)) break;
    const writer = { epoch: epoch as number, base: base as number };
    if (kind === 'delete') {
      entries.push({ lsn: lsn as number, op: { kind, ids: body.map((row) => row.id) }, ...writer });
    } else {
      entries.push({
        lsn: lsn as number,
        op: { kind, docs: body.map((row) => toValidDocument(row, dimension)) },
        ...writer,
      });
    }
  }
  return entries;
}

function toValidDocument(
  row: { id: string; vector: Float32Array; metadata: Record<string, unknown> },
  dimension: number,
): ValidDocument {
  const metadataJson = JSON.stringify(row.metadata);
  return {
    id: row.id,
    vector: row.vector,
    metadataJson,
    bytes: Buffer.byteLength(row.id) + dimension * 4 + Buffer.byteLength(metadataJson),
  };
}
