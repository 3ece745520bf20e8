/**
 * The WAL's byte format. A file starts with an 8-byte magic (`TVWAL`, two zero bytes, format version
 * 1) and holds frames back to back:
 *
 *   u32 LE length of what follows the CRC (8 + body bytes)
 *   u32 LE CRC-32 of the LSN and body
 *   u32 LE low, u32 LE high half of the LSN (log sequence number, strictly increasing)
 *   body (opaque here; see wal-record.ts)
 *
 * `scanFrames` returns every intact frame up to the first one that is torn (cut short by a crash) or
 * corrupt (bad length, CRC or LSN order); the caller truncates the file there.
 */

import { crc32 } from '../crc32.ts';

export const WAL_MAGIC = Buffer.from([0x54, 0x56, 0x57, 0x41, 0x4c, 0x00, 0x00, 0x01]);
export const FRAME_HEADER_BYTES = 16;
const LSN_BYTES = 8;
const TWO_POW_32 = 2 ** 32;

export interface WalEntry {
  readonly lsn: number;
  readonly body: Buffer;
}

export type ScanProblem = 'torn' | 'corrupt';

export interface ScanResult {
  readonly entries: WalEntry[];
  /** Bytes from the start of the file through the last intact frame (0 when the magic is bad). */
  readonly goodBytes: number;
  readonly problem: ScanProblem | undefined;
  readonly detail: string | undefined;
}

export function encodeFrame(lsn: number, body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(LSN_BYTES + body.length, 0);
  frame.writeUInt32LE(lsn % TWO_POW_32, 8);
  frame.writeUInt32LE(Math.floor(lsn / TWO_POW_32), 12);
  frame.set(body, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

/**
 * Reads frames from a whole WAL file. `previousLsn` is the last LSN of the files before this one, so
 * LSN order is checked across files too.
 */
export function scanFrames(file: Buffer, previousLsn: number, bodyBytesMax: number): ScanResult {
  const entries: WalEntry[] = [];
  if (file.length < WAL_MAGIC.length) {
    return { entries, goodBytes: 0, problem: 'torn', detail: 'the file header is incomplete' };
  }
  if (!file.subarray(0, WAL_MAGIC.length).equals(WAL_MAGIC)) {
    return {
      entries,
      goodBytes: 0,
      problem: 'corrupt',
      detail: 'the file header is not a tiervec WAL header',
    };
  }
  let offset = WAL_MAGIC.length;
  let lastLsn = previousLsn;
  const result = (problem: ScanProblem | undefined, detail: string | undefined): ScanResult => ({
    entries,
    goodBytes: offset,
    problem,
    detail,
  });
  while (offset < file.length) {
    if (file.length - offset < FRAME_HEADER_BYTES)
      return result('torn', `a frame header is cut short at byte ${offset}`);
    const length = file.readUInt32LE(offset);
    if (length < LSN_BYTES || length - LSN_BYTES > bodyBytesMax) {
      return result('corrupt', `the frame at byte ${offset} declares an impossible length ${length}`);
    }
    const end = offset + 8 + length;
    if (end > file.length) return result('torn', `the frame at byte ${offset} is cut short`);
    if (crc32(file.subarray(offset + 8, end)) !== file.readUInt32LE(offset + 4)) {
      return result('corrupt', `the frame at byte ${offset} fails its CRC-32`);
    }
    const lsn = file.readUInt32LE(offset + 8) + file.readUInt32LE(offset + 12) * TWO_POW_32;
    if (lsn <= lastLsn)
      return result('corrupt', `the frame at byte ${offset} has LSN ${lsn} after ${lastLsn}`);
    entries.push({ lsn, body: file.subarray(offset + FRAME_HEADER_BYTES, end) });
    lastLsn = lsn;
    offset = end;
  }
  return result(undefined, undefined);
}
