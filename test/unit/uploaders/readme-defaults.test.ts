import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BATCH_UPLOADER_DEFAULTS,
  CIRCUIT_BREAKER_DEFAULTS,
  PARALLEL_UPLOADER_DEFAULTS,
  RETRY_DEFAULTS,
} from '../../../src/uploaders/defaults.ts';

const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');

/** The rows `| \`option\` | default | meaning |` of the table under `heading` in the Uploaders section. */
function table(heading: string): Map<string, string> {
  const section = readme.slice(
    readme.indexOf('## Uploaders'),
    readme.indexOf('\n## ', readme.indexOf('## Uploaders') + 1),
  );
  const start = section.indexOf(heading);
  expect(start, `README has "${heading}" in its Uploaders section`).toBeGreaterThan(0);
  const rows = new Map<string, string>();
  for (const line of section.slice(start).split('\n').slice(1)) {
    if (line.startsWith('### ')) break;
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`([\w.]+)`$/.exec(cells[1] ?? '');
    if (name !== null) rows.set(name[1] as string, cells[2] as string);
  }
  return rows;
}

/** A default cell holding one code literal (`10`, `'wait'`, `null`), parsed; undefined for prose. */
function literal(cell: string): unknown {
  const code = /^`([^`]*)`$/.exec(cell)?.[1];
  if (code === undefined) return undefined;
  if (code === 'null') return null;
  if (/^'[^']*'$/.test(code)) return code.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(code)) return Number(code);
  return undefined;
}

function expectTableMatches(
  rows: Map<string, string>,
  defaults: Record<string, unknown>,
  prefix: string,
): void {
  for (const [option, value] of Object.entries(defaults)) {
    const cell = rows.get(`${prefix}${option}`);
    expect(cell, `README row for ${prefix}${option}`).toBeDefined();
    expect(literal(cell as string), `README default of ${prefix}${option}`).toEqual(value);
  }
}

describe('README uploader defaults', () => {
  it('lists every ParallelUploader, retry and circuit-breaker default with the value in the code', () => {
    const rows = table('### ParallelUploader options');
    expectTableMatches(rows, PARALLEL_UPLOADER_DEFAULTS, '');
    expectTableMatches(rows, RETRY_DEFAULTS, 'retry.');
    expectTableMatches(rows, CIRCUIT_BREAKER_DEFAULTS, 'circuitBreaker.');
    // And no literal default in the table that the code does not have.
    for (const [option, cell] of rows) {
      if (literal(cell) === undefined) continue;
      const [group, name] = option.includes('.') ? option.split('.') : ['', option];
      const defaults: Record<string, unknown> =
        group === 'retry'
          ? RETRY_DEFAULTS
          : group === 'circuitBreaker'
            ? CIRCUIT_BREAKER_DEFAULTS
            : PARALLEL_UPLOADER_DEFAULTS;
      expect(Object.hasOwn(defaults, name as string), `${option} is a default in the code`).toBe(true);
    }
  });

  it('lists every BatchUploader default with the value in the code', () => {
    const rows = table('### BatchUploader options');
    expectTableMatches(rows, BATCH_UPLOADER_DEFAULTS, '');
    for (const [option, cell] of rows) {
      if (literal(cell) !== undefined)
        expect(Object.hasOwn(BATCH_UPLOADER_DEFAULTS, option), option).toBe(true);
    }
  });
});
