/**
 * The on-disk form of a sealed segment: one Arrow IPC file (columns `id` Utf8, `vector`
 * FixedSizeList<Float32>, `metadata` Utf8 JSON, `deleted` Bool) and one hnswlib index file, named
 * `{segmentId}.arrow` and `{segmentId}.hnsw`. The Arrow schema's metadata carries everything needed
 * to interpret both files without the manifest (format, dimension, metric, HNSW parameters, row
 * counts, and the index file's size and CRC-32), so the pair can be copied to an object store and
 * opened anywhere. Both files are immutable once written.
 */

import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { ErrorCode, TierVecError } from '../../errors.ts';
import { lazyRequire } from '../../lazy-require.ts';
import { crc32 } from '../crc32.ts';
import { syncAndRename, TEMP_SUFFIX, writeFileDurable } from '../durable-file.ts';
import { readFile, readFileInto } from '../file-system.ts';
import type { Metric } from '../metric.ts';
import { fileBuffers } from './file-buffers.ts';
import type { HnswBuildParams } from './hnsw-index.ts';
import { HnswIndex } from './hnsw-index.ts';
import { type FileColumns, type SegmentColumns, SegmentMemory } from './segment-memory.ts';
import { type StringColumn, Utf8Column } from './utf8-column.ts';

/** Arrow loads with the first segment written or read, not with tiervec (see lazy-require.ts). */
const arrow = lazyRequire<typeof import('apache-arrow')>('apache-arrow');

export const SEGMENT_FORMAT = 'tiervec.segment';
export const SEGMENT_FORMAT_VERSION = 1;
const INFO_KEY = 'tiervec.segment';

export interface FileRef {
  readonly name: string;
  readonly bytes: number;
  readonly crc32: number;
}

/** Describes one sealed segment; kept in the manifest and, minus `arrow`, in the Arrow file itself. */
export interface SegmentDescriptor {
  readonly format: typeof SEGMENT_FORMAT;
  readonly formatVersion: number;
  readonly id: string;
  readonly seq: number;
  readonly dimension: number;
  readonly metric: Metric;
  readonly m: number;
  readonly efConstruction: number;
  readonly seed: number;
  readonly rows: number;
  /** Rows already deleted when the segment was frozen (the Arrow `deleted` column). */
  readonly deletedRows: number;
  readonly createdAtMs: number;
  readonly hnsw: FileRef;
  readonly arrow: FileRef;
}

export type SegmentFileInfo = Omit<SegmentDescriptor, 'arrow'>;

export function segmentIdFor(seq: number): string {
  return String(seq).padStart(10, '0');
}

export function buildParamsOf(descriptor: SegmentFileInfo): HnswBuildParams {
  return {
    metric: descriptor.metric,
    dimension: descriptor.dimension,
    m: descriptor.m,
    efConstruction: descriptor.efConstruction,
    seed: descriptor.seed,
  };
}

export function encodeSegmentArrow(columns: SegmentColumns, info: SegmentFileInfo): Uint8Array {
  const { Bool, Field, FixedSizeList, Float32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC } =
    arrow();
  const { Utf8, vectorFromArray } = arrow();
  const vectorType = new FixedSizeList(info.dimension, new Field('item', new Float32(), false));
  const fields = [
    new Field('id', new Utf8(), false),
    new Field('vector', vectorType, false),
    new Field('metadata', new Utf8(), false),
    new Field('deleted', new Bool(), false),
  ];
  const schema = new Schema(fields, new Map([[INFO_KEY, JSON.stringify(info)]]));
  const vectorChild = makeData({
    type: new Float32(),
    length: columns.rows * info.dimension,
    data: columns.vectors,
  });
  const vectors = makeData({ type: vectorType, length: columns.rows, nullCount: 0, child: vectorChild });
  const ids = vectorFromArray(columns.ids as string[], new Utf8());
  const metadata = vectorFromArray(columns.metadataJson as string[], new Utf8());
  const deleted = vectorFromArray(
    Array.from(columns.deleted, (flag) => flag === 1),
    new Bool(),
  );
  const struct = makeData({
    type: new Struct(fields),
    length: columns.rows,
    nullCount: 0,
    children: [ids.data[0], vectors, metadata.data[0], deleted.data[0]] as never,
  });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'file');
}

function corrupt(what: string, cause?: unknown): TierVecError {
  return new TierVecError(ErrorCode.CORRUPT_DATA, `Segment file ${what}`, { cause });
}

export function decodeSegmentArrow(
  bytes: Uint8Array,
  name: string,
): { info: SegmentFileInfo; columns: FileColumns } {
  let table: Table;
  try {
    table = arrow().tableFromIPC(bytes);
  } catch (error) {
    throw corrupt(`${name} is not a readable Arrow IPC file`, error);
  }
  const rawInfo = table.schema.metadata.get(INFO_KEY);
  if (rawInfo === undefined) throw corrupt(`${name} has no ${INFO_KEY} schema metadata`);
  const info = JSON.parse(rawInfo) as SegmentFileInfo;
  if (info.format !== SEGMENT_FORMAT || info.formatVersion !== SEGMENT_FORMAT_VERSION) {
    throw corrupt(
      `${name} has format ${info.format} v${info.formatVersion}; expected ${SEGMENT_FORMAT} v${SEGMENT_FORMAT_VERSION}`,
    );
  }
  if (table.numRows !== info.rows)
    throw corrupt(`${name} holds ${table.numRows} rows; its header says ${info.rows}`);
  const idColumn = table.getChild('id');
  const vectorColumn = table.getChild('vector');
  const metadataColumn = table.getChild('metadata');
  const deletedColumn = table.getChild('deleted');
  if (!idColumn || !vectorColumn || !metadataColumn || !deletedColumn) {
    throw corrupt(`${name} lacks one of the columns id, vector, metadata, deleted`);
  }
  const chunks = vectorColumn.data.map((data) => {
    const child = data.children[0];
    const values = child?.values;
    if (!(values instanceof Float32Array)) throw corrupt(`${name} has a vector column that is not float32`);
    const start = (child?.offset ?? 0) + data.offset * info.dimension;
    return values.subarray(start, start + data.length * info.dimension);
  });
  // One chunk (what tiervec writes) is used in place, a view into the file's bytes: a search that
  // loads warm partitions would otherwise allocate and copy every partition's vectors once more.
  const values = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (values !== info.rows * info.dimension) {
    throw corrupt(`${name} holds ${values} vector values; its header says ${info.rows} × ${info.dimension}`);
  }
  let vectors: Float32Array;
  if (chunks.length === 1) {
    vectors = chunks[0] as Float32Array;
  } else {
    vectors = new Float32Array(info.rows * info.dimension);
    let offset = 0;
    for (const chunk of chunks) {
      vectors.set(chunk, offset);
      offset += chunk.length;
    }
  }
  const columns: FileColumns = {
    rows: info.rows,
    ids: stringColumn(idColumn, info.rows),
    vectors,
    metadataJson: stringColumn(metadataColumn, info.rows),
    deleted: decodeFlags(deletedColumn, info.rows),
  };
  return { info, columns };
}

/** The chunks of an Arrow column, as far as the fast decoders below read them. */
interface ColumnChunks {
  readonly data: readonly {
    readonly length: number;
    readonly offset: number;
    readonly nullCount: number;
    readonly values: unknown;
    readonly valueOffsets?: unknown;
  }[];
  toArray(): unknown;
  [Symbol.iterator](): Iterator<unknown>;
}

/**
 * A Utf8 column as its bytes and offsets, decoded per row when asked (see Utf8Column): one chunk
 * without nulls, what tiervec writes. Anything else is decoded row by row by Arrow.
 */
function stringColumn(column: ColumnChunks, rows: number): StringColumn {
  const data = column.data[0];
  if (column.data.length === 1 && data !== undefined && data.offset === 0 && data.nullCount === 0) {
    const { values, valueOffsets } = data;
    if (values instanceof Uint8Array && valueOffsets instanceof Int32Array && valueOffsets.length > rows) {
      return new Utf8Column(values, valueOffsets, rows);
    }
  }
  return column.toArray() as string[];
}

/** A Bool column as 0/1 bytes, read from its bitmaps. */
function decodeFlags(column: ColumnChunks, rows: number): Uint8Array {
  const flags = new Uint8Array(rows);
  let row = 0;
  for (const data of column.data) {
    const bits = data.values;
    if (data.nullCount > 0 || !(bits instanceof Uint8Array)) {
      row = 0;
      for (const flag of column) flags[row++] = flag ? 1 : 0;
      return flags;
    }
    for (let i = 0; i < data.length; i++) {
      const bit = data.offset + i;
      flags[row++] = ((bits[bit >> 3] as number) >> (bit & 7)) & 1;
    }
  }
  return flags;
}

/**
 * Writes a frozen segment's two files durably: the index first (hnswlib writes a temporary path that
 * is then fsynced and renamed), then the Arrow file, whose header records the index's size and CRC.
 */
export async function writeSegmentFiles(
  dir: string,
  memory: Pick<SegmentMemory, 'writeIndex'>,
  columns: SegmentColumns,
  info: Omit<SegmentFileInfo, 'hnsw' | 'format' | 'formatVersion'>,
): Promise<SegmentDescriptor> {
  const indexName = `${info.id}.hnsw`;
  const indexPath = join(dir, indexName);
  await memory.writeIndex(`${indexPath}${TEMP_SUFFIX}`);
  await syncAndRename(`${indexPath}${TEMP_SUFFIX}`, indexPath);
  const indexBytes = await readFile(indexPath);
  const hnsw: FileRef = { name: indexName, bytes: indexBytes.length, crc32: crc32(indexBytes) };
  const fileInfo: SegmentFileInfo = {
    format: SEGMENT_FORMAT,
    formatVersion: SEGMENT_FORMAT_VERSION,
    ...info,
    hnsw,
  };
  const arrowName = `${info.id}.arrow`;
  const arrowBytes = encodeSegmentArrow(columns, fileInfo);
  await writeFileDurable(join(dir, arrowName), arrowBytes);
  return { ...fileInfo, arrow: { name: arrowName, bytes: arrowBytes.length, crc32: crc32(arrowBytes) } };
}

async function readChecked(dir: string, ref: FileRef): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, ref.name));
  } catch (error) {
    throw corrupt(`${ref.name} cannot be read`, error);
  }
  if (bytes.length !== ref.bytes || crc32(bytes) !== ref.crc32) {
    throw corrupt(
      `${ref.name} does not match its recorded size and CRC-32 (${ref.bytes} bytes, ${ref.crc32})`,
    );
  }
  return bytes;
}

/**
 * Flat partition files up to this size are read on the calling thread. From the page cache that is
 * ~0.2–1 ms per MB, less than the thread pool's three hand-offs (open, read, close) cost a loaded
 * machine: measured on a 1M store on 2 cores, a warm search's reads waited 10–25 ms for a pool
 * thread in 2–5 % of searches, and the FileHandles left garbage for the young generation.
 */
export const BLOCKING_READ_BYTES_MAX = 4 * 1024 * 1024;

/** `readChecked` into a pooled buffer (see file-buffers.ts), which goes back to the pool if the check fails. */
async function readCheckedPooled(dir: string, ref: FileRef): Promise<Uint8Array> {
  const bytes = fileBuffers.take(ref.bytes);
  let size: number;
  try {
    // One byte of room more than the file should have: a longer file reads ref.bytes + 1.
    size = await readFileInto(join(dir, ref.name), new Uint8Array(bytes.buffer, 0, ref.bytes + 1), {
      blocking: ref.bytes <= BLOCKING_READ_BYTES_MAX,
    });
  } catch (error) {
    fileBuffers.give(bytes);
    throw corrupt(`${ref.name} cannot be read`, error);
  }
  if (size !== ref.bytes || crc32(bytes) !== ref.crc32) {
    fileBuffers.give(bytes);
    throw corrupt(
      `${ref.name} does not match its recorded size and CRC-32 (${ref.bytes} bytes, ${ref.crc32})`,
    );
  }
  return bytes;
}

/**
 * A segment's files just downloaded and checked against the descriptor's sizes and CRC-32s: the
 * Arrow file's bytes are still in memory, and the index file on disk is the checked bytes.
 */
export interface VerifiedSegmentFiles {
  readonly arrow: Uint8Array;
}

/**
 * Reads and verifies a sealed segment's files and builds its in-memory form (no tombstones applied).
 * The index file is checked before hnswlib reads it (native code must never parse unchecked bytes),
 * and hnswlib reads it on its own thread while the Arrow file is decoded here. `verified` skips what
 * a download already did: reading the Arrow file back and checking both files again.
 */
export async function readSegmentFiles(
  dir: string,
  descriptor: SegmentDescriptor,
  verified?: VerifiedSegmentFiles,
  options: { index: boolean } = { index: true },
): Promise<SegmentMemory> {
  // A flat load never reads the index file: no native index, searched by exact scan. Its Arrow file
  // is read into a pooled buffer that the memory gives back once unloaded and unpinned.
  if (!options.index && verified === undefined) {
    const pooled = await readCheckedPooled(dir, descriptor.arrow);
    try {
      const columns = decodeChecked(pooled, descriptor);
      return SegmentMemory.fromColumns(
        buildParamsOf(descriptor),
        undefined,
        columns,
        descriptor.hnsw.bytes,
        pooled,
      );
    } catch (error) {
      fileBuffers.give(pooled);
      throw error;
    }
  }
  if (verified === undefined && options.index) await readChecked(dir, descriptor.hnsw);
  const indexRead = options.index
    ? HnswIndex.read(join(dir, descriptor.hnsw.name), descriptor.metric, descriptor.dimension)
    : Promise.resolve(undefined);
  // Awaited below; a failure of the Arrow side first must not leave it unhandled.
  indexRead.catch(() => undefined);
  const columns = decodeChecked(verified?.arrow ?? (await readChecked(dir, descriptor.arrow)), descriptor);
  const index = await indexRead;
  if (index !== undefined && index.count !== descriptor.rows) {
    throw corrupt(`${descriptor.hnsw.name} holds ${index.count} rows; expected ${descriptor.rows}`);
  }
  return SegmentMemory.fromColumns(buildParamsOf(descriptor), index, columns, descriptor.hnsw.bytes);
}

/** Decodes a segment's Arrow file and checks that it describes the segment the manifest names. */
function decodeChecked(arrowBytes: Uint8Array, descriptor: SegmentDescriptor): FileColumns {
  const { info, columns } = decodeSegmentArrow(arrowBytes, descriptor.arrow.name);
  if (
    info.id !== descriptor.id ||
    info.rows !== descriptor.rows ||
    info.hnsw.crc32 !== descriptor.hnsw.crc32
  ) {
    throw corrupt(`${descriptor.arrow.name} describes a different segment than the manifest`);
  }
  return columns;
}
