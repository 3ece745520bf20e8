import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../../bench/runner/cli-options.ts';
import { DEFAULTS } from '../../../bench/runner/defaults.ts';
import { ErrorCode } from '../../../src/errors.ts';

const invalid = expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT });

describe('parseBenchArgs', () => {
  it('defaults to full mode, every suite, the default tolerance and results directory', () => {
    expect(parseBenchArgs([])).toEqual({
      mode: 'full',
      filters: [],
      comparePath: undefined,
      tolerancePct: DEFAULTS.tolerancePct,
      saveBaselinePath: undefined,
      resultsDir: 'bench/results',
      markdownPath: undefined,
      list: false,
      help: false,
    });
  });

  it('reads filters, quick mode, compare and tolerance', () => {
    const options = parseBenchArgs([
      'uploads',
      '--quick',
      '--compare',
      'bench/baseline.json',
      '--tolerance-pct',
      '20',
      'store',
    ]);
    expect(options).toMatchObject({
      mode: 'quick',
      filters: ['uploads', 'store'],
      comparePath: 'bench/baseline.json',
      tolerancePct: 20,
    });
  });

  it('takes --save-baseline with or without a path', () => {
    expect(parseBenchArgs(['--save-baseline']).saveBaselinePath).toBe('bench/baseline.json');
    expect(parseBenchArgs(['--save-baseline', 'x/b.json', 'uploads'])).toMatchObject({
      saveBaselinePath: 'x/b.json',
      filters: ['uploads'],
    });
    expect(parseBenchArgs(['--save-baseline=y.json']).saveBaselinePath).toBe('y.json');
    expect(parseBenchArgs(['--save-baseline', 'uploads']).filters).toEqual(['uploads']);
  });

  it('rejects a tolerance that is not a percentage', () => {
    expect(() => parseBenchArgs(['--tolerance-pct', 'ten'])).toThrow(invalid);
    expect(() => parseBenchArgs(['--tolerance-pct', '-1'])).toThrow(invalid);
    expect(() => parseBenchArgs(['--tolerance-pct', ''])).toThrow(invalid);
  });

  it('rejects unknown options, both modes at once and empty filters', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(invalid);
    expect(() => parseBenchArgs(['--quick', '--full'])).toThrow(invalid);
    expect(() => parseBenchArgs([' '])).toThrow(invalid);
    expect(() => parseBenchArgs(['--compare'])).toThrow(invalid);
  });
});
