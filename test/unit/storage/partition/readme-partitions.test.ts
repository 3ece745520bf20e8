/** The README's partition text quotes `PARTITION_DEFAULTS`; this keeps the two from drifting apart. */

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARTITION_DEFAULTS } from '../../../../src/storage/partition/partition-defaults.ts';

describe('README partitions', () => {
  it('quotes the defaults of PARTITION_DEFAULTS', async () => {
    const readme = await readFile(resolve(import.meta.dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
    const n = (value: number) => value.toLocaleString('en-US');
    expect(readme).toContain(
      `default \`PARTITION_DEFAULTS.nprobe\` = ${PARTITION_DEFAULTS.nprobe}, at most\n${PARTITION_DEFAULTS.nprobeMax})`,
    );
    expect(readme).toContain(
      `\`PARTITION_DEFAULTS.partitionRowsMin\` (${n(PARTITION_DEFAULTS.partitionRowsMin)})`,
    );
    expect(readme).toContain(`at most ${PARTITION_DEFAULTS.iterationsMax} Lloyd iterations`);
    expect(readme).toContain(`at most ${n(PARTITION_DEFAULTS.trainingSampleRowsMax)} rows`);
    expect(readme).toContain(`\`targetPartitionRows\` (${n(PARTITION_DEFAULTS.targetPartitionRows)})`);
    expect(readme).toContain(`\`PARTITION_DEFAULTS.splitRowsRatio\` (${PARTITION_DEFAULTS.splitRowsRatio})`);
    expect(readme).toContain(`\`PARTITION_DEFAULTS.mergeRowsRatio\` (${PARTITION_DEFAULTS.mergeRowsRatio})`);
    expect(readme).toContain(
      `\`PARTITION_DEFAULTS.rebalanceStepsMax\` (${PARTITION_DEFAULTS.rebalanceStepsMax})`,
    );
  });
});
