import { beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlTable } from '../../../src/loadtest/report/html-table.ts';
import { renderMarkdown } from '../../../src/loadtest/report/markdown.ts';
import { buildOperationReport, operationPart } from '../../../src/loadtest/report/operation-report.ts';
import { criteriaTable, criterionUnit, reportTables } from '../../../src/loadtest/report/report-tables.ts';
import type { LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import { renderTextTable } from '../../../src/loadtest/report/text-table.ts';
import { manualRun } from './fixtures.ts';

let report: LoadTestReport;

beforeAll(async () => {
  report = structuredClone((await manualRun({ seed: 5, failEvery: 25 })).report);
  report.criteria = [
    {
      name: 'latency_ms_p95_max',
      description: 'p95 latency ≤ 25 ms',
      operation: 'search',
      window: null,
      limit: 25,
      actual: 31.5,
      passed: false,
    },
    {
      name: 'error_rate_max',
      description: 'error rate ≤ 0.01',
      operation: null,
      window: null,
      limit: 0.01,
      actual: 0.001,
      passed: true,
    },
  ];
});

describe('report table model', () => {
  it('gives each criterion its unit and marks the failed rows', () => {
    const table = criteriaTable(report);
    expect(table.failedRows).toEqual([0]);
    expect(table.rows[0]?.[0]).toMatchObject({ text: 'FAIL', status: 'fail' });
    expect(table.rows[0]?.[4]).toMatchObject({ text: '31.5', unit: 'ms' });
    expect(criterionUnit('memory_growth_mb_per_min_max')).toBe('MB/min');
    expect(criterionUnit('throughput_ops_per_s_min')).toBe('ops/s');
    expect(criterionUnit('cpu_percent_avg_max')).toBe('%');
  });

  it('renders the same figures in Markdown, HTML and text', () => {
    const latency = reportTables(report).find((t) => t.id === 'latency');
    if (latency === undefined) throw new Error('no latency table');
    const p99 = latency.rows[0]?.[6]?.text as string;
    expect(renderMarkdown(report)).toContain(p99);
    expect(renderHtmlTable(latency)).toContain(`<td>${p99}</td>`);
    expect(renderTextTable(latency)).toContain(p99);
    const criteria = criteriaTable(report);
    expect(renderHtmlTable(criteria)).toContain('<tr class="failed-row"><td class="status fail">FAIL</td>');
    expect(renderHtmlTable(criteria)).toContain('31.5&nbsp;ms');
    expect(renderTextTable(criteria)).toMatch(
      /✗ +p95 latency ≤ 25 ms \(latency_ms_p95_max\) +search +25 ms +31\.5 ms/,
    );
  });

  it('builds an operation report from encoded parts exactly as from the parts it was made of', () => {
    const search = report.operations.search;
    if (search === undefined) throw new Error('no search operation');
    const part = operationPart(search);
    const twice = buildOperationReport([part, part]);
    expect(twice.count).toBe(2 * search.count);
    expect(twice.errorsByCode.ECONNRESET).toBe(2 * (search.errorsByCode.ECONNRESET ?? 0));
    expect(twice.latencyMs.p99).toBe(search.latencyMs.p99);
    expect(buildOperationReport([part]).histogram).toBe(search.histogram);
  });
});
