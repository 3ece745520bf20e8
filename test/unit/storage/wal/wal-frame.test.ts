import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  scanFrames,
  WAL_MAGIC,
} from '../../../../src/storage/wal/wal-frame.ts';

function file(...frames: Buffer[]): Buffer {
  return Buffer.concat([WAL_MAGIC, ...frames]);
}

describe('WAL frames', () => {
  it('round-trips LSNs (beyond 32 bits) and bodies', () => {
    const data = file(encodeFrame(1, Buffer.from('a')), encodeFrame(2 ** 40 + 3, Buffer.from('bc')));
    const scan = scanFrames(data, 0, 1024);
    expect(scan.problem).toBeUndefined();
    expect(scan.goodBytes).toBe(data.length);
    expect(scan.entries.map((e) => [e.lsn, e.body.toString()])).toEqual([
      [1, 'a'],
      [2 ** 40 + 3, 'bc'],
    ]);
  });

  it('reports a frame cut short as torn and keeps the frames before it', () => {
    const first = encodeFrame(1, Buffer.from('first'));
    const second = encodeFrame(2, Buffer.from('second'));
    const data = file(first, second).subarray(0, WAL_MAGIC.length + first.length + 10);
    const scan = scanFrames(data, 0, 1024);
    expect(scan.problem).toBe('torn');
    expect(scan.entries).toHaveLength(1);
    expect(scan.goodBytes).toBe(WAL_MAGIC.length + first.length);
  });

  it('reports a partial frame header as torn', () => {
    const data = Buffer.concat([
      file(encodeFrame(1, Buffer.from('x'))),
      Buffer.alloc(FRAME_HEADER_BYTES - 1),
    ]);
    expect(scanFrames(data, 0, 1024).problem).toBe('torn');
  });

  it('reports a flipped bit as corrupt via the CRC', () => {
    const data = file(encodeFrame(1, Buffer.from('first')), encodeFrame(2, Buffer.from('second')));
    data[data.length - 2] = (data[data.length - 2] as number) ^ 1;
    const scan = scanFrames(data, 0, 1024);
    expect(scan.problem).toBe('corrupt');
    expect(scan.detail).toContain('CRC');
    expect(scan.entries).toHaveLength(1);
  });

  it('reports an impossible length and an LSN that goes backwards as corrupt', () => {
    const huge = encodeFrame(1, Buffer.from('x'));
    huge.writeUInt32LE(10_000, 0);
    expect(scanFrames(file(huge), 0, 1024).detail).toContain('impossible length');
    const backwards = file(encodeFrame(5, Buffer.from('a')), encodeFrame(4, Buffer.from('b')));
    expect(scanFrames(backwards, 0, 1024).detail).toContain('LSN 4 after 5');
    expect(scanFrames(file(encodeFrame(3, Buffer.from('a'))), 3, 1024).problem).toBe('corrupt');
  });

  it('reports a foreign or short header', () => {
    expect(scanFrames(Buffer.from('NOTAWAL!xxxx'), 0, 1024)).toMatchObject({
      problem: 'corrupt',
      goodBytes: 0,
    });
    expect(scanFrames(WAL_MAGIC.subarray(0, 5), 0, 1024)).toMatchObject({ problem: 'torn', goodBytes: 0 });
  });
});
