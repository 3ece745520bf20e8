import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { openStore } from '../../../src/storage/store.ts';
import { parseOpenMetrics, sampleValue } from '../../helpers/openmetrics.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const dirs = useTempDirs('tiervec-metrics-');

describe('store.metrics()', () => {
  it('renders tiers, transitions, uploads, the breaker, dead letters and the WAL as valid OpenMetrics', async () => {
    const store = await openStore({ dir: await dirs.make() });
    try {
      const docs = await store.createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
      await docs.insert(Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, vector: seededVector(i, 4) })));
      await docs.flush();
      await docs.publish();
      await docs.setTier('cold');
      await docs.insert([{ id: 'after', vector: seededVector(99, 4) }]);
      const families = parseOpenMetrics(await store.metrics());
      const docsLabels = { tenant: 'default', collection: 'docs' };
      expect(sampleValue(families, 'tiervec_store_collections')).toBe(1);
      expect(sampleValue(families, 'tiervec_store_vectors', docsLabels)).toBe(21);
      expect(sampleValue(families, 'tiervec_store_segments', { ...docsLabels, tier: 'cold' })).toBe(1);
      expect(sampleValue(families, 'tiervec_store_segments', { ...docsLabels, tier: 'warm' })).toBe(0);
      expect(
        sampleValue(families, 'tiervec_store_tier_bytes', { ...docsLabels, tier: 'cold' }),
      ).toBeGreaterThan(0);
      expect(sampleValue(families, 'tiervec_store_tier_transitions_total', { kind: 'warmToCold' })).toBe(1);
      expect(sampleValue(families, 'tiervec_store_uploads_total', { outcome: 'uploaded' })).toBeGreaterThan(
        0,
      );
      expect(sampleValue(families, 'tiervec_store_dead_letters')).toBe(0);
      expect(sampleValue(families, 'tiervec_store_circuit_breaker_state', { state: 'closed' })).toBe(1);
      expect(sampleValue(families, 'tiervec_store_circuit_breaker_state', { state: 'open' })).toBe(0);
      expect(sampleValue(families, 'tiervec_store_wal_records', docsLabels)).toBeGreaterThanOrEqual(1);
      expect(sampleValue(families, 'tiervec_store_wal_fsyncs_total', docsLabels)).toBeGreaterThan(0);
      const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
      expect(types.tiervec_store_uploads).toBe('counter');
      expect(types.tiervec_store_segments).toBe('gauge');
    } finally {
      await store.close();
    }
  });

  it('refuses a closed store with CLOSED', async () => {
    const store = await openStore({ dir: await dirs.make() });
    await store.close();
    await expectTierVecError(() => store.metrics(), ErrorCode.CLOSED);
  });
});
