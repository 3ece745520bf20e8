import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { validateCollectionSpec } from '../../../src/storage/collection-spec.ts';
import { LIMITS } from '../../../src/storage/limits.ts';
import {
  validateDocuments,
  validateIds,
  validateMetadata,
  validateName,
  validateQueryVector,
  validateVector,
} from '../../../src/storage/validation.ts';
import { expectTierVecError } from '../../helpers/storage-fixtures.ts';

describe('validateName', () => {
  it('accepts lower-case names of 1 to 63 characters', () => {
    expect(validateName('collection name', 'a')).toBe('a');
    expect(validateName('collection name', `a${'b'.repeat(62)}`)).toHaveLength(63);
    expect(validateName('collection name', 'docs_v2-en')).toBe('docs_v2-en');
  });

  it.each([
    ['empty', ''],
    ['upper case', 'Docs'],
    ['leading dash', '-docs'],
    ['a slash', 'a/b'],
    ['dots', '..'],
    ['64 characters', 'a'.repeat(64)],
    ['a number', 42],
  ])('refuses %s with INVALID_NAME', async (_, value) => {
    await expectTierVecError(
      () => validateName('collection name', value),
      ErrorCode.INVALID_NAME,
      'collection name',
    );
  });
});

describe('validateCollectionSpec', () => {
  it('fills in the defaults', () => {
    const spec = validateCollectionSpec({ name: 'docs', dimension: 3 });
    expect(spec).toEqual({
      name: 'docs',
      tenant: 'default',
      dimension: 3,
      metric: 'cosine',
      hnsw: { m: 16, efConstruction: 200, efSearch: 64 },
      quota: {},
    });
  });

  it('refuses a missing or bad name with INVALID_NAME', async () => {
    await expectTierVecError(() => validateCollectionSpec({ dimension: 3 }), ErrorCode.INVALID_NAME);
    await expectTierVecError(
      () => validateCollectionSpec({ name: 'A', dimension: 3 }),
      ErrorCode.INVALID_NAME,
    );
    await expectTierVecError(
      () => validateCollectionSpec({ name: 'a', tenant: 'B', dimension: 3 }),
      ErrorCode.INVALID_NAME,
    );
  });

  it.each([
    ['dimension 0', { dimension: 0 }, 'dimension'],
    ['dimension above 4096', { dimension: 4097 }, 'dimension'],
    ['a fractional dimension', { dimension: 1.5 }, 'dimension'],
    ['an unknown metric', { dimension: 3, metric: 'hamming' }, 'metric'],
    ['m of 1', { dimension: 3, hnsw: { m: 1 } }, 'hnsw.m'],
    [
      'efConstruction above the limit',
      { dimension: 3, hnsw: { efConstruction: LIMITS.efMax + 1 } },
      'efConstruction',
    ],
    ['efSearch 0', { dimension: 3, hnsw: { efSearch: 0 } }, 'efSearch'],
    ['an unknown hnsw key', { dimension: 3, hnsw: { M: 16 } }, '`M`'],
    ['a negative quota', { dimension: 3, quota: { vectorsMax: -1 } }, 'quota.vectorsMax'],
    ['an unknown key', { dimension: 3, dims: 4 }, '`dims`'],
  ])('refuses %s with INVALID_ARGUMENT naming it', async (_, extra, mentions) => {
    await expectTierVecError(
      () => validateCollectionSpec({ name: 'docs', ...extra }),
      ErrorCode.INVALID_ARGUMENT,
      mentions,
    );
  });
});

describe('validateVector', () => {
  it('copies number arrays and typed arrays into a new Float32Array', () => {
    const source = new Float32Array([1, 2, 3]);
    const copy = validateVector(source, 3, 'l2');
    expect(copy).toEqual(source);
    source[0] = 9;
    expect(copy[0]).toBe(1);
    expect(validateVector([0.5, -1, 2], 3, 'l2')).toEqual(new Float32Array([0.5, -1, 2]));
  });

  it('refuses the wrong length with DIMENSION_MISMATCH naming both lengths', async () => {
    const error = await expectTierVecError(
      () => validateVector([1, 2], 3, 'l2'),
      ErrorCode.DIMENSION_MISMATCH,
      '3',
    );
    expect(error.details).toMatchObject({ expected: 3, actual: 2 });
  });

  it.each([
    ['NaN', [1, Number.NaN, 3]],
    ['Infinity', [1, Number.POSITIVE_INFINITY, 3]],
    ['a value that overflows float32', [1, 1e39, 3]],
    ['a string component', [1, '2', 3]],
  ])('refuses %s with INVALID_VECTOR', async (_, vector) => {
    await expectTierVecError(() => validateVector(vector, 3, 'l2'), ErrorCode.INVALID_VECTOR, '[1]');
  });

  it('refuses non-arrays with INVALID_VECTOR', async () => {
    await expectTierVecError(() => validateVector('1,2,3', 3, 'l2'), ErrorCode.INVALID_VECTOR);
    await expectTierVecError(() => validateVector(new Int32Array(3), 3, 'l2'), ErrorCode.INVALID_VECTOR);
  });

  it('refuses the zero vector for cosine only', async () => {
    await expectTierVecError(
      () => validateVector([0, 0, 0], 3, 'cosine'),
      ErrorCode.INVALID_VECTOR,
      'cosine',
    );
    expect(validateVector([0, 0, 0], 3, 'l2')).toEqual(new Float32Array(3));
  });
});

describe('validateQueryVector', () => {
  it('copies a Float32Array query and a number array (float32-rounded) into the same plain array', () => {
    const typed = Float32Array.from([0.1, -2, 3.5, 1e-3]);
    const fromTyped = validateQueryVector(typed, 4, 'l2');
    expect(Array.isArray(fromTyped)).toBe(true);
    expect(fromTyped).toEqual(Array.from(typed));
    expect(validateQueryVector([0.1, -2, 3.5, 1e-3], 4, 'l2')).toEqual(fromTyped);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('refuses a Float32Array query holding %s with INVALID_VECTOR naming the component', async (_, bad) => {
    const query = Float32Array.from([1, 2, bad, 4]);
    await expectTierVecError(
      () => validateQueryVector(query, 4, 'l2'),
      ErrorCode.INVALID_VECTOR,
      'query vector[2]',
    );
  });

  it('refuses a zero or underflowing Float32Array query for cosine, and the wrong length, like an array', async () => {
    await expectTierVecError(
      () => validateQueryVector(new Float32Array(4), 4, 'cosine'),
      ErrorCode.INVALID_VECTOR,
      'non-zero',
    );
    expect(validateQueryVector(new Float32Array(4), 4, 'l2')).toEqual([0, 0, 0, 0]);
    await expectTierVecError(
      () => validateQueryVector(Float32Array.from([1e-30, 0, 0, 0]), 4, 'cosine'),
      ErrorCode.INVALID_VECTOR,
      'norm',
    );
    await expectTierVecError(
      () => validateQueryVector(new Float32Array(3).fill(1), 4, 'cosine'),
      ErrorCode.DIMENSION_MISMATCH,
    );
  });
});

describe('validateMetadata', () => {
  it('returns the JSON of a plain object, and {} for undefined', () => {
    expect(validateMetadata({ lang: 'en', n: 1, tags: ['a'], nested: { ok: true, none: null } })).toBe(
      '{"lang":"en","n":1,"tags":["a"],"nested":{"ok":true,"none":null}}',
    );
    expect(validateMetadata(undefined)).toBe('{}');
  });

  it('accepts exactly 64 KiB and refuses one byte more with METADATA_TOO_LARGE', async () => {
    const overhead = '{"s":""}'.length;
    const fits = { s: 'x'.repeat(LIMITS.metadataBytesMax - overhead) };
    expect(Buffer.byteLength(validateMetadata(fits))).toBe(LIMITS.metadataBytesMax);
    const tooBig = { s: 'x'.repeat(LIMITS.metadataBytesMax - overhead + 1) };
    await expectTierVecError(
      () => validateMetadata(tooBig),
      ErrorCode.METADATA_TOO_LARGE,
      String(LIMITS.metadataBytesMax),
    );
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const overhead = '{"s":""}'.length;
    const chars = Math.floor((LIMITS.metadataBytesMax - overhead) / 3) + 1;
    await expectTierVecError(() => validateMetadata({ s: '€'.repeat(chars) }), ErrorCode.METADATA_TOO_LARGE);
  });

  it('stops early on a huge object with METADATA_TOO_LARGE', async () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < LIMITS.metadataBytesMax + 10; i++) wide[`k${i}`] = 0;
    await expectTierVecError(() => validateMetadata(wide), ErrorCode.METADATA_TOO_LARGE);
  });

  it.each([
    ['an array', [1, 2]],
    ['a string', 'lang=en'],
    ['null', null],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
  ])('refuses %s at the top level with INVALID_ARGUMENT', async (_, value) => {
    await expectTierVecError(() => validateMetadata(value), ErrorCode.INVALID_ARGUMENT, 'plain JSON object');
  });

  it.each([
    ['undefined', { a: undefined }, 'metadata.a'],
    ['a function', { a: () => 1 }, 'metadata.a'],
    ['NaN', { a: [1, Number.NaN] }, 'metadata.a[1]'],
    ['a bigint', { a: 1n }, 'metadata.a'],
    ['a class instance', { a: new Date(0) }, 'metadata.a'],
  ])('refuses %s inside with INVALID_ARGUMENT naming the path', async (_, value, path) => {
    await expectTierVecError(() => validateMetadata(value), ErrorCode.INVALID_ARGUMENT, path);
  });

  it('refuses nesting deeper than the limit, and cycles, with INVALID_ARGUMENT', async () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < LIMITS.metadataDepthMax + 1; i++) {
      const next = {};
      deep.n = next;
      deep = next;
    }
    await expectTierVecError(() => validateMetadata(root), ErrorCode.INVALID_ARGUMENT, 'deep');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectTierVecError(() => validateMetadata(cyclic), ErrorCode.INVALID_ARGUMENT, 'deep');
  });
});

describe('validateDocuments', () => {
  it('returns documents with their byte size (id + vector + metadata JSON)', () => {
    const [doc] = validateDocuments([{ id: 'é', vector: [1, 2], metadata: { a: 1 } }], 2, 'l2');
    expect(doc).toMatchObject({ id: 'é', metadataJson: '{"a":1}' });
    expect(doc?.bytes).toBe(2 + 8 + 7);
  });

  it('refuses a repeated id within one call with DUPLICATE_ID naming it', async () => {
    const docs = [
      { id: 'a', vector: [1] },
      { id: 'a', vector: [2] },
    ];
    const error = await expectTierVecError(
      () => validateDocuments(docs, 1, 'l2'),
      ErrorCode.DUPLICATE_ID,
      '"a"',
    );
    expect(error.details).toEqual({ id: 'a' });
  });

  it.each([
    ['an empty id', ''],
    ['a non-string id', 7],
    ['an id of 257 bytes', 'x'.repeat(257)],
    ['an id with a lone surrogate', 'a\ud800b'],
  ])('refuses %s with INVALID_ARGUMENT', async (_, id) => {
    await expectTierVecError(
      () => validateDocuments([{ id, vector: [1] }], 1, 'l2'),
      ErrorCode.INVALID_ARGUMENT,
      'documents[0].id',
    );
  });

  it('accepts an id of exactly 256 bytes', () => {
    expect(validateDocuments([{ id: 'x'.repeat(256), vector: [1] }], 1, 'l2')).toHaveLength(1);
  });

  it('refuses more than batchSizeMax documents with INVALID_ARGUMENT', async () => {
    const docs = Array.from({ length: LIMITS.batchSizeMax + 1 }, (_, i) => ({ id: `d${i}`, vector: [1] }));
    await expectTierVecError(
      () => validateDocuments(docs, 1, 'l2'),
      ErrorCode.INVALID_ARGUMENT,
      String(LIMITS.batchSizeMax),
    );
    expect(validateDocuments(docs.slice(1), 1, 'l2')).toHaveLength(LIMITS.batchSizeMax);
  });

  it('refuses a call larger than batchBytesMax with INVALID_ARGUMENT', async () => {
    const dimension = 4096;
    const count = Math.ceil(LIMITS.batchBytesMax / (dimension * 4)) + 1;
    const vector = new Float32Array(dimension).fill(1);
    const docs = Array.from({ length: count }, (_, i) => ({ id: `d${i}`, vector }));
    await expectTierVecError(
      () => validateDocuments(docs, dimension, 'l2'),
      ErrorCode.INVALID_ARGUMENT,
      'split the batch',
    );
  });

  it('refuses a non-array, and documents with unknown keys, with INVALID_ARGUMENT', async () => {
    await expectTierVecError(
      () => validateDocuments({ id: 'a' }, 1, 'l2'),
      ErrorCode.INVALID_ARGUMENT,
      'array',
    );
    await expectTierVecError(
      () => validateDocuments([{ id: 'a', vector: [1], meta: {} }], 1, 'l2'),
      ErrorCode.INVALID_ARGUMENT,
      '`meta`',
    );
  });

  it('reports the document index in vector errors', async () => {
    await expectTierVecError(
      () =>
        validateDocuments(
          [
            { id: 'a', vector: [1] },
            { id: 'b', vector: [1, 2] },
          ],
          1,
          'l2',
        ),
      ErrorCode.DIMENSION_MISMATCH,
      'documents[1].vector',
    );
  });
});

describe('validateIds', () => {
  it('accepts duplicates and refuses bad ids with INVALID_ARGUMENT', async () => {
    expect(validateIds(['a', 'a'])).toEqual(['a', 'a']);
    await expectTierVecError(() => validateIds(['a', '']), ErrorCode.INVALID_ARGUMENT, 'ids[1]');
    await expectTierVecError(() => validateIds('a'), ErrorCode.INVALID_ARGUMENT);
  });
});
