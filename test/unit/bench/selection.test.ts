import { describe, expect, it } from 'vitest';
import type { PlanItem } from '../../../bench/runner/bench-suite.ts';
import { isSelected, selectItems } from '../../../bench/runner/selection.ts';

const timed = (name: string, baseline?: string): PlanItem => ({
  kind: 'timed',
  name,
  fn: () => undefined,
  ...(baseline === undefined ? {} : { baseline }),
});
const items: PlanItem[] = [
  timed('sequential-10'),
  timed('batch-10-size-5', 'sequential-10'),
  timed('parallel-100-c10'),
  { kind: 'figures', name: 'bound', figureNames: ['bound-c10-b50'], measure: async () => [] },
];
const names = (filters: string[]) =>
  selectItems('uploads', items, filters).map((s) => `${s.item.name}:${s.reason}`);

describe('bench filters', () => {
  it('select everything when there is no filter', () => {
    expect(names([])).toEqual([
      'sequential-10:filter',
      'batch-10-size-5:filter',
      'parallel-100-c10:filter',
      'bound:filter',
    ]);
  });

  it('select a whole suite by its name, in any case', () => {
    expect(names(['UPLOADS'])).toHaveLength(4);
    expect(names(['object-store'])).toEqual([]);
  });

  it('select tasks whose id contains the filter and bring their in-run baseline along', () => {
    expect(names(['batch'])).toEqual(['sequential-10:baseline', 'batch-10-size-5:filter']);
    expect(names(['uploads/parallel'])).toEqual(['parallel-100-c10:filter']);
  });

  it('match a figure group by any of the figures it declares', () => {
    expect(names(['c10-b50'])).toEqual(['bound:filter']);
  });

  it('unite several filters', () => {
    expect(names(['parallel', 'sequential'])).toEqual(['sequential-10:filter', 'parallel-100-c10:filter']);
  });

  it('decide entries for compare by suite or id', () => {
    expect(isSelected(['store'], 'object-store', ['put-1kib'])).toBe(true);
    expect(isSelected(['uploads/batch'], 'uploads', ['sequential-10'])).toBe(false);
  });

  it('refuse a task that names a baseline the suite does not plan', () => {
    expect(() => selectItems('uploads', [timed('x', 'nowhere')], [])).toThrow(/nowhere/);
  });
});
