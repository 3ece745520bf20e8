import { Field, FixedSizeList, Float64, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { decodeBatch, encodeBatch } from '../../../src/uploaders/batch-codec.ts';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isTierVecError(error) ? error.code : `not a TierVecError: ${String(error)}`;
  }
}

describe('encodeBatch / decodeBatch', () => {
  it('round-trips ids, float32 vectors, metadata, collection and seq', () => {
    const bytes = encodeBatch(
      [
        { id: 'a', vector: [1, 2.5, -3], metadata: { lang: 'en', n: 1 } },
        { id: 'b', vector: new Float32Array([0.1, 0, 4]) },
      ],
      { collection: 'docs', seq: 42 },
    );
    const batch = decodeBatch(bytes);
    expect(batch.collection).toBe('docs');
    expect(batch.seq).toBe(42);
    expect(batch.dimension).toBe(3);
    expect(batch.documents).toEqual([
      { id: 'a', vector: new Float32Array([1, 2.5, -3]), metadata: { lang: 'en', n: 1 } },
      { id: 'b', vector: new Float32Array([0.1, 0, 4]), metadata: {} },
    ]);
  });

  it('writes an Arrow IPC file with id Utf8, vector FixedSizeList<Float32>, metadata Utf8', async () => {
    const { tableFromIPC } = await import('apache-arrow');
    const table = tableFromIPC(encodeBatch([{ id: 'x', vector: [1, 2] }]));
    expect(table.schema.fields.map((field) => `${field.name}:${field.type}`)).toEqual([
      'id:Utf8',
      'vector:FixedSizeList[2]<Float32>',
      'metadata:Utf8',
    ]);
  });

  it('round-trips any valid batch (property)', () => {
    const doc = (dimension: number) =>
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 20 }),
        vector: fc.array(
          fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }),
          {
            minLength: dimension,
            maxLength: dimension,
          },
        ),
        metadata: fc.dictionary(
          fc.string({ maxLength: 5 }),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
      });
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 16 })
          .chain((dimension) => fc.array(doc(dimension), { minLength: 1, maxLength: 20 })),
        (docs) => {
          const decoded = decodeBatch(encodeBatch(docs)).documents;
          expect(decoded.map((d) => d.id)).toEqual(docs.map((d) => d.id));
          expect(decoded.map((d) => [...d.vector])).toEqual(docs.map((d) => [...new Float32Array(d.vector)]));
          expect(decoded.map((d) => d.metadata)).toEqual(
            docs.map((d) => JSON.parse(JSON.stringify(d.metadata))),
          );
        },
      ),
      { seed: 1234, numRuns: 60 },
    );
  });

  it('rejects bad documents with the code of each rule', () => {
    expect(codeOf(() => encodeBatch([]))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => encodeBatch([{ id: '', vector: [1] }]))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => encodeBatch([{ id: 'x'.repeat(257), vector: [1] }]))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(
      codeOf(() =>
        encodeBatch([
          { id: 'a', vector: [1, 2] },
          { id: 'b', vector: [1] },
        ]),
      ),
    ).toBe(ErrorCode.DIMENSION_MISMATCH);
    expect(codeOf(() => encodeBatch([{ id: 'a', vector: [1] }], { dimension: 2 }))).toBe(
      ErrorCode.DIMENSION_MISMATCH,
    );
    expect(codeOf(() => encodeBatch([{ id: 'a', vector: [Number.NaN] }]))).toBe(ErrorCode.INVALID_VECTOR);
    expect(codeOf(() => encodeBatch([{ id: 'a', vector: [1e39] }]))).toBe(ErrorCode.INVALID_VECTOR);
    expect(codeOf(() => encodeBatch([{ id: 'a', vector: 'abc' as never }]))).toBe(ErrorCode.INVALID_VECTOR);
    expect(codeOf(() => encodeBatch([{ id: 'a', vector: [1], metadata: [] as never }]))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(codeOf(() => encodeBatch([{ id: 'a', vector: [1], metadata: { big: 'x'.repeat(70_000) } }]))).toBe(
      ErrorCode.METADATA_TOO_LARGE,
    );
  });

  it('answers CORRUPT_DATA for bytes that are not a tiervec batch', () => {
    expect(codeOf(() => decodeBatch(new Uint8Array([1, 2, 3])))).toBe(ErrorCode.CORRUPT_DATA);
    const bytes = encodeBatch([{ id: 'a', vector: [1, 2] }]);
    expect(codeOf(() => decodeBatch(bytes.subarray(0, bytes.length - 20)))).toBe(ErrorCode.CORRUPT_DATA);
    // A well-formed Arrow file with another schema (float64 vectors, no version) is not a batch either.
    const other = new Table({
      id: vectorFromArray(['a'], new Utf8()),
      vector: vectorFromArray([[1, 2]], new FixedSizeList(2, new Field('item', new Float64()))),
      metadata: vectorFromArray(['{}'], new Utf8()),
    });
    expect(codeOf(() => decodeBatch(tableToIPC(other, 'file')))).toBe(ErrorCode.CORRUPT_DATA);
  });
});
