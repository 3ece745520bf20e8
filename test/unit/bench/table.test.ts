import { describe, expect, it } from 'vitest';
import { compareResults } from '../../../bench/runner/compare.ts';
import {
  formatCompareReport,
  formatConsoleTable,
  formatMarkdownReport,
  formatNumber,
  formatTargets,
} from '../../../bench/runner/table.ts';
import { entry, results } from './fixtures.ts';

const batched = entry({
  suite: 'uploads',
  name: '10ms-batch-parallel-b50-c10',
  value: 40_000,
  unit: 'docs/s',
  baseline: { id: 'uploads/10ms-sequential-n100', ratio: 421.5, rmePct: 3 },
  bound: { value: 50_000, description: '10 × 50 ÷ 10 ms', ratio: 0.8 },
});
const target = {
  id: batched.id,
  description: '≥ 80% of the bound',
  of: 'bound' as const,
  ratioMin: 0.8,
  ratio: 0.8,
  met: true,
};

describe('bench tables', () => {
  it('format numbers with three significant digits below 1,000 and separators above', () => {
    expect(formatNumber(1_234_567.8)).toBe('1,234,568');
    expect(formatNumber(123.456)).toBe('123');
    expect(formatNumber(0.0123456)).toBe('0.0123');
    expect(formatNumber(0)).toBe('0');
  });

  it('print the rate with its unit, the ratio to the baseline and the share of the bound', () => {
    const table = formatConsoleTable([batched]);
    const row = table.split('\n')[1] ?? '';
    expect(row).toContain('40,000 docs/s');
    expect(row).toContain('×422');
    expect(row).toContain('80.0%');
  });

  it('print each target as met or NOT MET with its ratio', () => {
    expect(formatTargets([target])).toContain('met     uploads/10ms-batch-parallel-b50-c10');
    expect(formatTargets([{ ...target, ratio: 0.5, met: false }])).toContain('NOT MET');
    expect(formatTargets([{ ...target, ratio: null, met: false }])).toContain('not measured');
  });

  it('write Markdown with the machine, a table per suite and the targets', () => {
    const markdown = formatMarkdownReport(results([batched], { targets: [target] }));
    expect(markdown).toContain('quick mode on Test CPU × 2, Node v20.20.2');
    expect(markdown).toContain('### uploads');
    expect(markdown).toContain('| task | rate / value |');
    expect(markdown).toContain('|---|---:|');
    expect(markdown).toContain('- met     uploads/10ms-batch-parallel-b50-c10');
  });

  it('end the compare report with the verdict and the tasks that regressed', () => {
    const saved = results([entry({ suite: 'uploads', name: 'put', value: 1000 })]);
    const slower = results([entry({ suite: 'uploads', name: 'put', value: 500 })]);
    const text = formatCompareReport(compareResults(saved, slower, { tolerancePct: 15 }));
    expect(text).toContain('REGRESSION');
    expect(text.split('\n').at(-1)).toBe(
      'compare: 1 task(s) fell more than 15% beyond their noise: uploads/put',
    );
  });
});
