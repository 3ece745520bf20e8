import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOADTEST_DEFAULTS } from '../../../src/loadtest/config.ts';
import { CRITERIA_PRESETS } from '../../../src/loadtest/criteria.ts';

const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
const start = readme.indexOf('## Load testing');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));

/** Table rows of the section as arrays of trimmed cells, keyed by their first cell without backticks. */
function rows(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    const key = (cells[0] ?? '').replace(/`/g, '').replace(' (default)', '');
    found.set(key, cells.slice(1));
  }
  return found;
}

/** `10` → 10, `'open'` → 'open', empty → undefined. */
function literal(cell: string | undefined): unknown {
  const code = /^`([^`]*)`$/.exec(cell ?? '')?.[1];
  if (code === undefined) return undefined;
  if (/^'[^']*'$/.test(code)) return code.slice(1, -1);
  return Number(code);
}

describe('README "Load testing" section', () => {
  it('lists every engine default with its value from LOADTEST_DEFAULTS', () => {
    const table = rows();
    for (const [option, value] of Object.entries(LOADTEST_DEFAULTS)) {
      if (option === 'groupName') continue;
      const row = table.get(option) ?? table.get(`load.${option}`) ?? table.get(`scheduler.${option}`);
      expect(row, `README row for ${option}`).toBeDefined();
      expect(literal(row?.[0]), `README default of ${option}`).toEqual(value);
    }
  });

  it('lists the criteria presets with the values of CRITERIA_PRESETS', () => {
    const table = rows();
    const header = table.get('preset') ?? [];
    for (const name of ['production', 'development'] as const) {
      const row = table.get(name);
      expect(row, `README row for preset ${name}`).toBeDefined();
      const shown = Object.fromEntries(header.map((key, i) => [key.replace(/`/g, ''), literal(row?.[i])]));
      expect(shown).toEqual(CRITERIA_PRESETS[name]);
    }
  });
});
