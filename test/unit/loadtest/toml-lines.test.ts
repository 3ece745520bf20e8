import { describe, expect, it } from 'vitest';
import { indexTomlLines, lineOf } from '../../../src/loadtest/toml-lines.ts';

const text = `# a scenario
name = "baseline"   # trailing comment with = sign
seed = 42

[duration]
short_s = 20
"quoted key" = 1

[load.profile]
kind = "spike"
spike.rate = 500

[[group]]
name = "readers"
[group.profile]
rate = 10

[[group]]
name = "writers"
description = """
rate = 99
"""
[group.profile]
rate = 20
`;

describe('indexTomlLines', () => {
  const index = indexTomlLines(text);

  it('finds top-level, table, quoted and dotted keys on their lines', () => {
    expect(index.get('name')).toBe(2);
    expect(index.get('seed')).toBe(3);
    expect(index.get('duration')).toBe(5);
    expect(index.get('duration.short_s')).toBe(6);
    expect(index.get('duration.quoted key')).toBe(7);
    expect(index.get('load.profile.kind')).toBe(10);
    expect(index.get('load.profile.spike.rate')).toBe(11);
  });

  it('numbers arrays of tables and resolves sub-tables to the latest element', () => {
    expect(index.get('group.0.name')).toBe(14);
    expect(index.get('group.0.profile.rate')).toBe(16);
    expect(index.get('group.1.name')).toBe(19);
    expect(index.get('group.1.profile.rate')).toBe(24);
  });

  it('skips keys inside multi-line strings', () => {
    expect(index.get('group.1.rate')).toBeUndefined();
  });

  it('falls back to the nearest ancestor for paths without a line of their own', () => {
    expect(lineOf(index, ['load', 'profile', 'nothing'])).toBe(9);
    expect(lineOf(index, ['absent'])).toBeUndefined();
  });
});
