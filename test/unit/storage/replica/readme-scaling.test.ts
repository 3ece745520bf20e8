import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEASE_DEFAULTS } from '../../../../src/storage/lease/writer-lease.ts';
import { REPLICA_DEFAULTS } from '../../../../src/storage/replica/replica-options.ts';

const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Scaling out'), readme.indexOf('## Reliability'));

function tableValue(option: string): number {
  const match = new RegExp(`^\\| \`${option}\` \\| \`(\\d+)\` \\|`, 'm').exec(section);
  if (match === null) throw new Error(`README "Scaling out" has no row for ${option}`);
  return Number(match[1]);
}

describe('README "Scaling out" defaults', () => {
  it('shows the replica and lease defaults of REPLICA_DEFAULTS and LEASE_DEFAULTS', () => {
    expect(tableValue('replicaPollIntervalMs')).toBe(REPLICA_DEFAULTS.replicaPollIntervalMs);
    expect(tableValue('replicaCacheBytesMax')).toBe(REPLICA_DEFAULTS.replicaCacheBytesMax);
    expect(tableValue('durationMs')).toBe(LEASE_DEFAULTS.durationMs);
  });
});
