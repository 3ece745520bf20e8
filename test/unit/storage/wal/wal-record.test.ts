import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { validateDocuments } from '../../../../src/storage/validation.ts';
import { decodeOperation, encodeOperation } from '../../../../src/storage/wal/wal-record.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';

describe('WAL records', () => {
  it('round-trips an insert with its exact float32 vectors, metadata and byte sizes', () => {
    const docs = validateDocuments(
      [
        { id: 'a', vector: [0.1, -2.5, 1e-30], metadata: { lang: 'en', n: [1, 2] } },
        { id: 'ü-ß', vector: [3, 4, 5] },
      ],
      3,
      'l2',
    );
    const decoded = decodeOperation(encodeOperation({ kind: 'insert', docs }), 3);
    expect(decoded).toEqual({ kind: 'insert', docs });
  });

  it('round-trips upserts and deletes', () => {
    const docs = validateDocuments([{ id: 'x', vector: [1] }], 1, 'l2');
    expect(decodeOperation(encodeOperation({ kind: 'upsert', docs }), 1)).toEqual({ kind: 'upsert', docs });
    expect(decodeOperation(encodeOperation({ kind: 'delete', ids: ['a', 'é'] }), 1)).toEqual({
      kind: 'delete',
      ids: ['a', 'é'],
    });
  });

  it('refuses a body that does not parse with CORRUPT_DATA', async () => {
    const body = encodeOperation({ kind: 'delete', ids: ['abc'] });
    await expectTierVecError(
      () => decodeOperation(body.subarray(0, body.length - 1), 1),
      ErrorCode.CORRUPT_DATA,
      'truncated',
    );
    const wrongKind = Buffer.from(body);
    wrongKind[1] = 9;
    await expectTierVecError(() => decodeOperation(wrongKind, 1), ErrorCode.CORRUPT_DATA, 'kind 9');
    const docs = validateDocuments([{ id: 'x', vector: [1, 2] }], 2, 'l2');
    await expectTierVecError(
      () => decodeOperation(encodeOperation({ kind: 'insert', docs }), 3),
      ErrorCode.CORRUPT_DATA,
    );
  });
});
