/**
 * The `.ids.json` companion of a sealed segment: its ids, each row's document size and the rows
 * deleted when it was frozen. A store keeps, for every segment whatever its tier, the id → row map
 * and the per-row sizes and deleted flags (duplicate checks, deletes and quotas never need the
 * segment's files); this file is how it gets them for a cold segment without downloading the
 * segment. It is derived from the Arrow file, uploaded beside it, and cached on local disk.
 * No I/O here.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { SegmentDescriptor } from '../segment/segment-file.ts';
import { decodeSegmentArrow } from '../segment/segment-file.ts';
import { byteLengthAt, stringsOf } from '../segment/utf8-column.ts';

export const SEGMENT_IDS_FORMAT = 'tiervec.segment-ids';
const FORMAT_VERSION = 1;

/** What a store keeps in memory for a segment that is not loaded. */
export interface SegmentIds {
  readonly segmentId: string;
  readonly ids: readonly string[];
  /** id + vector + metadata JSON bytes of each row. */
  readonly docBytes: Uint32Array;
  /** 1 where the row was deleted before the segment was frozen. */
  readonly deleted: Uint8Array;
}

interface SegmentIdsFile {
  format: string;
  formatVersion: number;
  segmentId: string;
  /** CRC-32 of the segment's Arrow file, tying this file to exactly one segment. */
  arrowCrc32: number;
  ids: string[];
  docBytes: number[];
  deletedRows: number[];
}

/** Builds the companion from the segment's Arrow file bytes (already checked against `descriptor`). */
export function segmentIdsFromArrow(arrow: Uint8Array, descriptor: SegmentDescriptor): SegmentIds {
  const { info, columns } = decodeSegmentArrow(arrow, descriptor.arrow.name);
  const vectorBytes = info.dimension * 4;
  const docBytes = new Uint32Array(columns.rows);
  for (let row = 0; row < columns.rows; row++) {
    docBytes[row] = byteLengthAt(columns.ids, row) + vectorBytes + byteLengthAt(columns.metadataJson, row);
  }
  return { segmentId: descriptor.id, ids: stringsOf(columns.ids), docBytes, deleted: columns.deleted };
}

export function encodeSegmentIds(ids: SegmentIds, descriptor: SegmentDescriptor): Uint8Array {
  const deletedRows: number[] = [];
  ids.deleted.forEach((flag, row) => {
    if (flag === 1) deletedRows.push(row);
  });
  const file: SegmentIdsFile = {
    format: SEGMENT_IDS_FORMAT,
    formatVersion: FORMAT_VERSION,
    segmentId: descriptor.id,
    arrowCrc32: descriptor.arrow.crc32,
    ids: [...ids.ids],
    docBytes: Array.from(ids.docBytes),
    deletedRows,
  };
  return Buffer.from(JSON.stringify(file));
}

function corrupt(what: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `Segment ids file ${what}`, { cause });
}

/** Decodes and checks a companion against the segment the manifest describes; CORRUPT_DATA otherwise. */
export function decodeSegmentIds(bytes: Uint8Array, descriptor: SegmentDescriptor): SegmentIds {
  let file: SegmentIdsFile;
  try {
    file = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw corrupt(`of segment ${describeValue(descriptor.id)} is not valid JSON`, error);
  }
  if (file.format !== SEGMENT_IDS_FORMAT || file.formatVersion !== FORMAT_VERSION) {
    throw corrupt(`of segment ${describeValue(descriptor.id)} has format ${describeValue(file.format)}`);
  }
  const rows = descriptor.rows;
  if (
    file.segmentId !== descriptor.id ||
    file.arrowCrc32 !== descriptor.arrow.crc32 ||
    !Array.isArray(file.ids) ||
    file.ids.length !== rows ||
    !Array.isArray(file.docBytes) ||
    file.docBytes.length !== rows ||
    !Array.isArray(file.deletedRows)
  ) {
    throw corrupt(`of segment ${describeValue(descriptor.id)} does not match the segment in the manifest`);
  }
  const deleted = new Uint8Array(rows);
  for (const row of file.deletedRows) {
    if (!Number.isInteger(row) || row < 0 || row >= rows) throw corrupt(`names row ${describeValue(row)}`);
    deleted[row] = 1;
  }
  return {
    segmentId: descriptor.id,
    ids: file.ids,
    docBytes: Uint32Array.from(file.docBytes),
    deleted,
  };
}
