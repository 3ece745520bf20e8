/**
 * The body of a WAL frame: one write call (all of an insert's or upsert's documents, or all of a
 * delete's ids), so a call is all-or-nothing on replay. Layout, little-endian:
 *
 *   u8 format version (1), u8 kind (1 insert, 2 upsert, 3 delete), u32 count
 *   insert/upsert, per document: u16 id bytes, id UTF-8, u32 metadata bytes, metadata JSON UTF-8,
 *                                dimension × f32 vector
 *   delete, per id:              u16 id bytes, id UTF-8
 */

import { endianness } from 'node:os';
import { ErrorCode, TierVecError } from '../../errors.ts';
import type { ValidDocument } from '../validation.ts';

// Vectors are copied as raw float32 bytes; the format is little-endian, and so must the host be.
if (endianness() !== 'LE') throw new Error('tiervec requires a little-endian host');

const FORMAT_VERSION = 1;
const KIND_CODES = { insert: 1, upsert: 2, delete: 3 } as const;

export type WalOperation =
  | { readonly kind: 'insert' | 'upsert'; readonly docs: readonly ValidDocument[] }
  | { readonly kind: 'delete'; readonly ids: readonly string[] };

export function encodeOperation(op: WalOperation): Buffer {
  if (op.kind === 'delete') {
    let size = 6;
    for (const id of op.ids) size += 2 + Buffer.byteLength(id);
    const body = Buffer.allocUnsafe(size);
    body.writeUInt8(FORMAT_VERSION, 0);
    body.writeUInt8(KIND_CODES.delete, 1);
    body.writeUInt32LE(op.ids.length, 2);
    let offset = 6;
    for (const id of op.ids) offset = writeString16(body, offset, id);
    return body;
  }
  let size = 6;
  for (const doc of op.docs) size += 2 + 4 + doc.bytes;
  const body = Buffer.allocUnsafe(size);
  body.writeUInt8(FORMAT_VERSION, 0);
  body.writeUInt8(KIND_CODES[op.kind], 1);
  body.writeUInt32LE(op.docs.length, 2);
  let offset = 6;
  for (const doc of op.docs) {
    offset = writeString16(body, offset, doc.id);
    const metadataBytes = body.write(doc.metadataJson, offset + 4, 'utf8');
    body.writeUInt32LE(metadataBytes, offset);
    offset += 4 + metadataBytes;
    const vectorBytes = new Uint8Array(doc.vector.buffer, doc.vector.byteOffset, doc.vector.byteLength);
    body.set(vectorBytes, offset);
    offset += vectorBytes.length;
  }
  if (offset !== size) throw new Error(`encodeOperation: wrote ${offset} bytes, expected ${size}`);
  return body;
}

function writeString16(buffer: Buffer, offset: number, value: string): number {
  const bytes = buffer.write(value, offset + 2, 'utf8');
  buffer.writeUInt16LE(bytes, offset);
  return offset + 2 + bytes;
}

function corrupt(detail: string): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `WAL record is malformed: ${detail}`);
}

/** Decodes a body whose CRC already matched; a malformed one means a bug or an incompatible file. */
export function decodeOperation(body: Buffer, dimension: number): WalOperation {
  if (body.length < 6) throw corrupt('shorter than its header');
  if (body.readUInt8(0) !== FORMAT_VERSION) throw corrupt(`format version ${body.readUInt8(0)}`);
  const kindCode = body.readUInt8(1);
  const count = body.readUInt32LE(2);
  const reader = { offset: 6 };
  const need = (bytes: number) => {
    if (reader.offset + bytes > body.length) throw corrupt('truncated inside an entry');
  };
  const readString16 = (): string => {
    need(2);
    const length = body.readUInt16LE(reader.offset);
    need(2 + length);
    const value = body.toString('utf8', reader.offset + 2, reader.offset + 2 + length);
    reader.offset += 2 + length;
    return value;
  };
  if (kindCode === KIND_CODES.delete) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(readString16());
    return { kind: 'delete', ids };
  }
  if (kindCode !== KIND_CODES.insert && kindCode !== KIND_CODES.upsert)
    throw corrupt(`unknown kind ${kindCode}`);
  const docs: ValidDocument[] = [];
  const vectorBytes = dimension * 4;
  for (let i = 0; i < count; i++) {
    const idStart = reader.offset;
    const id = readString16();
    need(4);
    const metadataBytes = body.readUInt32LE(reader.offset);
    need(4 + metadataBytes + vectorBytes);
    const metadataJson = body.toString('utf8', reader.offset + 4, reader.offset + 4 + metadataBytes);
    reader.offset += 4 + metadataBytes;
    const vector = new Float32Array(dimension);
    new Uint8Array(vector.buffer).set(body.subarray(reader.offset, reader.offset + vectorBytes));
    reader.offset += vectorBytes;
    const idBytes = reader.offset - idStart - 2 - 4 - metadataBytes - vectorBytes;
    docs.push({ id, vector, metadataJson, bytes: idBytes + vectorBytes + metadataBytes });
  }
  if (reader.offset !== body.length) throw corrupt('trailing bytes after the last entry');
  return { kind: kindCode === KIND_CODES.insert ? 'insert' : 'upsert', docs };
}
