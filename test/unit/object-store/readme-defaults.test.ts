import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { S3_OBJECT_STORE_DEFAULTS } from '../../../src/object-store/s3.ts';
import { MOCK_S3_DEFAULTS } from '../../../src/object-store/testing/mock-s3.ts';

async function objectStoresSection(): Promise<string> {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Object stores');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThanOrEqual(0);
  return readme.slice(start, end);
}

/** The value column of the README row for `option`, as `| \`option\` | \`value\` | … |`. */
function readmeDefault(section: string, option: string): string | undefined {
  return new RegExp(`^\\| \`${option}\` \\| \`([^\`]+)\` \\|`, 'm').exec(section)?.[1];
}

describe('README "Object stores" defaults', () => {
  it('lists every numeric S3ObjectStore default with the value the code uses', async () => {
    const section = await objectStoresSection();
    const numeric = Object.entries(S3_OBJECT_STORE_DEFAULTS).filter(([, value]) => typeof value === 'number');
    expect(numeric.length).toBeGreaterThan(4);
    for (const [option, value] of numeric) expect(readmeDefault(section, option), option).toBe(String(value));
    expect(readmeDefault(section, 'multipartThresholdBytes')).toBe('partSizeBytes');
  });

  it('states the mock’s default rate limits as the code sets them', async () => {
    const section = await objectStoresSection();
    const { writesPerS, readsPerS } = MOCK_S3_DEFAULTS.rateLimit;
    expect(section).toContain(`{ writesPerS: ${writesPerS}, readsPerS: ${readsPerS} }\` (S3's defaults)`);
    expect(section).toContain(`${MOCK_S3_DEFAULTS.listPageSizeMax.toLocaleString('en-US')} keys per page`);
  });
});
