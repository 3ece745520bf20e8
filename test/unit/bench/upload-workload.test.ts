import { describe, expect, it } from 'vitest';
import { benchDocuments, latencyBoundDocsPerS } from '../../../bench/uploaders/upload-workload.ts';

describe('latencyBoundDocsPerS', () => {
  it('is concurrency × batch size ÷ latency when the objects fill whole rounds', () => {
    // 1,000 documents in 20 objects of 50, 10 in flight: 2 rounds of 10 ms.
    expect(latencyBoundDocsPerS(1000, 50, 10, 10)).toBe((10 * 50) / 0.01);
    expect(latencyBoundDocsPerS(100, 1, 1, 10)).toBe(100);
  });

  it('counts a partial object and a partial round as a whole round of latency', () => {
    // 10 documents with batches of 20: one object, one round, 10 documents in 10 ms.
    expect(latencyBoundDocsPerS(10, 20, 1, 10)).toBe(1000);
    // 110 single-document objects, 50 in flight: 3 rounds.
    expect(latencyBoundDocsPerS(110, 1, 50, 10)).toBeCloseTo(110 / 0.03, 6);
  });
});

describe('benchDocuments', () => {
  it('produces the same seeded documents on every call', () => {
    const [a, b] = [benchDocuments(3, 4), benchDocuments(3, 4)];
    expect(a.map((doc) => doc.id)).toEqual(['doc-0', 'doc-1', 'doc-2']);
    expect(a).toEqual(b);
    expect(benchDocuments(1, 4, 8)[0]?.vector).not.toEqual(a[0]?.vector);
  });
});
