import { describe, expect, it } from 'vitest';
import { binEntry, exportsEntry, startupCommands } from '../../../bench/cli/startup.ts';
import { startupFigures } from '../../../bench/runner/startup-suite.ts';

describe('startupCommands', () => {
  it('runs TypeScript entries through tsx and says so in the figure key and label', () => {
    const commands = startupCommands({
      name: 'tiervec',
      version: '0.1.0',
      bin: { tiervec: 'bin/tiervec.ts' },
      exports: { '.': './src/index.ts' },
    });
    expect(commands.baseline.args).toEqual(['-e', '0']);
    expect(commands.version).toMatchObject({
      key: 'tiervec-version-via-tsx',
      args: ['--import', 'tsx', 'bin/tiervec.ts', '--version'],
      stdout: '0.1.0',
    });
    expect(commands.importEntry.key).toBe('import-tiervec-via-tsx');
    expect(commands.importEntry.args).toEqual([
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "await import('tiervec')",
    ]);
    expect(commands.importEntry.label).toContain('./src/index.ts');
  });

  it('runs compiled JavaScript entries with plain node, following export conditions', () => {
    const commands = startupCommands({
      name: 'tiervec',
      bin: { tiervec: 'bin/tiervec.js' },
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    });
    expect(commands.version).toMatchObject({ key: 'tiervec-version', args: ['bin/tiervec.js', '--version'] });
    expect(commands.importEntry.key).toBe('import-tiervec');
    expect(commands.importEntry.args).toEqual(['--input-type=module', '-e', "await import('tiervec')"]);
    expect(commands.importEntry.label).toContain('./dist/index.js');
  });

  it('reads a string bin and exports nested under conditions', () => {
    expect(binEntry({ bin: 'cli.js' })).toBe('cli.js');
    expect(exportsEntry({ exports: './index.js' })).toBe('./index.js');
    expect(exportsEntry({ exports: { node: { import: { default: './esm.js' } } } })).toBe('./esm.js');
  });

  it('names what package.json lacks', () => {
    expect(() => binEntry({ bin: { other: 'x.js' } })).toThrow(/bin\.tiervec/);
    expect(() => exportsEntry({ exports: { './sub': './sub.js' } })).toThrow(/exports\['\.'\]/);
    expect(() => startupCommands({ bin: 'x.js', exports: './x.js' })).toThrow(/name/);
  });
});

describe('startupFigures', () => {
  it('reports median and minimum per command, with the baseline and the issue 14 budgets', () => {
    const commands = startupCommands({ name: 'tiervec', bin: 'bin/t.js', exports: './i.js' });
    const figures = startupFigures(commands, {
      baseline: [40, 50, 60],
      version: [200, 100, 300],
      importEntry: [450, 400, 500],
    });
    const byName = new Map(figures.map((figure) => [figure.name, figure]));
    expect(byName.get('node-e-0-median-ms')).toMatchObject({ value: 50 });
    expect(byName.get('node-e-0-median-ms')?.baseline).toBeUndefined();
    expect(byName.get('tiervec-version-median-ms')).toMatchObject({
      value: 200,
      baseline: 'node-e-0-median-ms',
      bound: { value: 300 },
      targets: [{ of: 'bound', ratioMin: 1 }],
    });
    expect(byName.get('tiervec-version-min-ms')).toMatchObject({ value: 100, compare: false });
    expect(byName.get('import-tiervec-median-ms')).toMatchObject({ value: 450, bound: { value: 500 } });
  });
});
