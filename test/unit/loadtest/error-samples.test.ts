import { describe, expect, it } from 'vitest';
import { ERROR_SAMPLE_CHARS_MAX, ERROR_SAMPLES_MAX, Recorder } from '../../../src/loadtest/recorder.ts';
import { buildOperationReport, operationPart } from '../../../src/loadtest/report/operation-report.ts';

describe('Recorder error samples and errors over time', () => {
  it('keeps at most ERROR_SAMPLES_MAX distinct messages per code, cut to ERROR_SAMPLE_CHARS_MAX', () => {
    const recorder = new Recorder({ warmupMs: 1_000, windowEndMs: 10_000, windows: [] });
    try {
      const slot = recorder.slot('default', 'search');
      // One failure in the warm-up: counted over time, not in the measured figures.
      recorder.complete(slot, 10, 10, 20, true, Object.assign(new Error('early'), { code: 'EARLY' }));
      for (let i = 0; i < 50; i++) {
        const error = Object.assign(new Error(`reset ${i % 5} ${'x'.repeat(i === 0 ? 1_000 : 0)}`), {
          code: 'ECONNRESET',
        });
        recorder.complete(slot, 2_000 + i, 2_000 + i, 2_010 + i, true, error);
      }
      recorder.complete(slot, 3_000, 3_000, 3_001, true, new TypeError('x is not a function'));
      const samples = slot.errorSamples.get('ECONNRESET') ?? [];
      expect(samples).toHaveLength(ERROR_SAMPLES_MAX);
      expect(samples[0]?.length).toBe(ERROR_SAMPLE_CHARS_MAX);
      expect(samples[1]).toBe('Error: reset 1 ');
      expect(slot.errorSamples.get('TypeError')).toEqual(['TypeError: x is not a function']);
      expect(slot.errorSamples.has('EARLY')).toBe(false);
      expect(recorder.takeInterval().errorsByCode).toEqual({ EARLY: 1, ECONNRESET: 50, TypeError: 1 });
      expect(recorder.takeInterval().errorsByCode).toEqual({});

      const report = buildOperationReport([slot]);
      expect(report.errorSamples?.ECONNRESET).toEqual(samples);
      // Merging keeps the bound: the same messages twice are kept once.
      const merged = buildOperationReport([operationPart(report), operationPart(report)]);
      expect(merged.errorSamples?.ECONNRESET).toEqual(samples);
      expect(merged.errorsByCode.ECONNRESET).toBe(100);
    } finally {
      recorder.destroy();
    }
  });
});
