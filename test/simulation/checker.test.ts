import { describe, expect, it } from 'vitest';
import { checkHistory, type ViolationKind } from '../../src/simulation/checker.ts';
import type { Durability } from '../../src/simulation/durability-windows.ts';
import { History, type HistoryDoc, PROCESS_STRIDE } from '../../src/simulation/history.ts';

/** Hand-built histories: a tiny DSL over `History` with a clock that ticks once per event. */
function build() {
  let nowMs = 0;
  const history = new History(() => nowMs++);
  const at = { tenant: 't0', collection: 'a' };
  let w = 0;
  const doc = (id: string, x: number, tenant = 't0'): HistoryDoc => ({
    id,
    vector: [x, 0, 0, 0],
    metadata: { t: tenant, c: 'a', w: ++w },
  });
  const op = (
    f: string,
    value: Record<string, unknown>,
    outcome: 'ok' | 'fail' | 'info',
    result: Record<string, unknown> = {},
    process = 0,
  ) => {
    const invocation = history.invoke(process, f, { ...at, ...value });
    if (outcome === 'ok') history.ok(invocation, result);
    else
      history.end(invocation, outcome, { code: outcome === 'fail' ? 'OBJECT_STORE' : 'CRASH', message: 'x' });
  };
  history.ok(history.invoke(0, 'create-collection', { ...at, metric: 'l2', dimension: 4 }));
  return {
    history,
    doc,
    write: (f: 'insert' | 'upsert', d: HistoryDoc, outcome: 'ok' | 'fail' | 'info' = 'ok') =>
      op(f, { docs: [d] }, outcome),
    del: (id: string, outcome: 'ok' | 'fail' | 'info' = 'ok') => op('delete', { ids: [id] }, outcome),
    get: (id: string, found: HistoryDoc | null, tenant = 't0') =>
      op('get', { id, tenant }, 'ok', { doc: found }),
    search: (vector: number[], k: number, hits: { id: string; distance: number; metadata: object }[]) =>
      op('search', { vector, k }, 'ok', { hits }),
    flush: () => op('flush', {}, 'ok'),
    publish: () => op('publish', {}, 'ok'),
    crash: (source: 'local' | 'object-store') => {
      history.nemesis('crash');
      history.nemesis('recover', { source });
    },
    check: (durability: Durability = 'fsync') => checkHistory(history.events, { durability }),
  };
}

const kinds = (result: { violations: { kind: ViolationKind }[] }) => result.violations.map((v) => v.kind);

describe('checkHistory', () => {
  it('accepts a history where every read sees the last acknowledged write', () => {
    const h = build();
    const a1 = h.doc('x', 1);
    const a2 = h.doc('x', 2);
    h.write('insert', a1);
    h.get('x', a1);
    h.write('upsert', a2);
    h.crash('local');
    h.get('x', a2);
    h.search([0, 0, 0, 0], 5, [{ id: 'x', distance: 4, metadata: a2.metadata }]);
    const result = h.check();
    expect(result.violations).toEqual([]);
    expect(result).toMatchObject({ valid: true, reads: 3, writes: 2 });
  });

  it('flags an acknowledged write that is gone after recovery as lost-write', () => {
    const h = build();
    h.write('insert', h.doc('x', 1));
    h.crash('local');
    h.get('x', null);
    expect(kinds(h.check())).toEqual(['lost-write']);
  });

  it('flags a failed write whose value is read as failed-write-visible', () => {
    const h = build();
    const rejected = h.doc('x', 1);
    h.write('insert', rejected, 'fail');
    h.get('x', rejected);
    expect(kinds(h.check())).toEqual(['failed-write-visible']);
  });

  it('flags a failed delete that took effect as failed-write-visible', () => {
    const h = build();
    h.write('insert', h.doc('x', 1));
    h.del('x', 'fail');
    h.get('x', null);
    expect(kinds(h.check())).toEqual(['failed-write-visible']);
  });

  it('lets an info write be there or not', () => {
    const h = build();
    const maybe = h.doc('x', 1);
    h.write('insert', maybe, 'info');
    h.get('x', maybe);
    h.get('x', null);
    expect(h.check().violations).toEqual([]);
  });

  it('flags a deleted id that returns as deleted-id-returned', () => {
    const h = build();
    const a = h.doc('x', 1);
    h.write('insert', a);
    h.del('x');
    h.crash('local');
    h.get('x', a);
    expect(kinds(h.check())).toEqual(['deleted-id-returned']);
  });

  it('flags an older value than the last acknowledged one as stale-value', () => {
    const h = build();
    const a1 = h.doc('x', 1);
    h.write('insert', a1);
    h.write('upsert', h.doc('x', 2));
    h.get('x', a1);
    expect(kinds(h.check())).toEqual(['stale-value']);
  });

  it('flags a changed vector or metadata as corrupt-value', () => {
    const h = build();
    const a = h.doc('x', 1);
    h.write('insert', a);
    h.get('x', { ...a, vector: [1, 0, 0, 0.5] });
    h.get('x', { ...a, metadata: { ...a.metadata, extra: 1 } });
    expect(kinds(h.check())).toEqual(['corrupt-value', 'corrupt-value']);
  });

  it("flags another tenant's value as tenant-leak", () => {
    const h = build();
    const theirs = h.doc('x', 1, 't1');
    h.get('x', theirs);
    expect(kinds(h.check())).toEqual(['tenant-leak']);
  });

  it('flags an exact search that misses a present document or reports a wrong distance', () => {
    const h = build();
    const near = h.doc('n', 1);
    const far = h.doc('f', 3);
    h.write('insert', near);
    h.write('insert', far);
    h.search([0, 0, 0, 0], 5, [{ id: 'f', distance: 9, metadata: far.metadata }]);
    h.search([0, 0, 0, 0], 1, [{ id: 'n', distance: 2, metadata: near.metadata }]);
    const result = h.check();
    expect(kinds(result)).toEqual(['search-disagrees-with-get', 'search-disagrees-with-get']);
    expect(result.violations[0]?.message).toContain('missed');
    expect(result.violations[1]?.message).toContain('distance 2, expected 1');
  });

  it('flags a deleted id among exact search hits', () => {
    const h = build();
    const a = h.doc('x', 1);
    h.write('insert', a);
    h.del('x');
    h.search([0, 0, 0, 0], 3, [{ id: 'x', distance: 1, metadata: a.metadata }]);
    expect(kinds(h.check())).toEqual(['deleted-id-returned']);
  });

  it('lets a buffered store lose writes acknowledged after its last flush, and not before', () => {
    const h = build();
    const before = h.doc('x', 1);
    const after = h.doc('y', 2);
    h.write('insert', before);
    h.flush();
    h.write('insert', after);
    h.crash('local');
    h.get('y', null);
    expect(h.check('buffered').violations).toEqual([]);
    h.get('x', null);
    expect(kinds(h.check('buffered'))).toEqual(['lost-write']);
    expect(kinds(h.check('fsync'))).toEqual(['lost-write', 'lost-write']);
  });

  it('lets a recovery from the object store lose what was not flushed and published, except in object-store durability', () => {
    const h = build();
    const published = h.doc('x', 1);
    h.write('insert', published);
    h.flush();
    h.publish();
    h.write('insert', h.doc('y', 2));
    h.crash('object-store');
    h.get('y', null);
    expect(h.check('fsync').violations).toEqual([]);
    expect(kinds(h.check('object-store'))).toEqual(['lost-write']);
    h.get('x', null);
    expect(kinds(h.check('fsync'))).toEqual(['lost-write']);
  });

  it('records completions with the invocation value and moves a crashed client to a new process', () => {
    const h = build();
    h.write('insert', h.doc('x', 1), 'info');
    const [invoke, info] = h.history.events.slice(-2);
    expect(invoke).toMatchObject({ type: 'invoke', process: 0, f: 'insert' });
    expect(info).toMatchObject({ type: 'info', f: 'insert', value: invoke?.value, error: { code: 'CRASH' } });
    expect(PROCESS_STRIDE).toBeGreaterThan(0);
    const json = JSON.parse(JSON.stringify(h.history.toJSON(7, { durability: 'fsync' })));
    expect(json).toMatchObject({ format: 'tiervec-history', version: 1, seed: 7 });
    expect(json.events[2]).toEqual(invoke);
  });
});
