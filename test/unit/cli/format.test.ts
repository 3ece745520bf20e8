import { describe, expect, it } from 'vitest';
import { formatDurationS } from '../../../src/cli/format.ts';

describe('formatDurationS', () => {
  it('writes seconds under a minute with one decimal', () => {
    expect(formatDurationS(12)).toBe('12s');
    expect(formatDurationS(8.24)).toBe('8.2s');
  });

  it('splits longer durations into hours, minutes and seconds', () => {
    expect(formatDurationS(90)).toBe('1m30s');
    expect(formatDurationS(182)).toBe('3m2s');
    expect(formatDurationS(7200)).toBe('2h');
    expect(formatDurationS(3725)).toBe('1h2m5s');
  });

  it('carries seconds that round up to a whole minute (never "2m60s", the bug this pins)', () => {
    expect(formatDurationS(179.6)).toBe('3m');
    expect(formatDurationS(59.97)).toBe('1m');
    expect(formatDurationS(3599.7)).toBe('1h');
    expect(formatDurationS(119.4)).toBe('1m59s');
  });
});
