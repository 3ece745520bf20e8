import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPACITY_PROBE_DEFAULTS, probeSamplesWanted } from '../../../src/cli/capacity-probe.ts';
import { FAIL_FAST_DEFAULTS } from '../../../src/loadtest/fail-fast-config.ts';
import { COMPARE_DEFAULTS } from '../../../src/loadtest/report/compare.ts';
import { MACHINE_NOISE_DEFAULTS } from '../../../src/loadtest/report/machine-noise.ts';

const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
/** The README with line breaks and list indentation folded into single spaces. */
const text = readme.replace(/\s+/g, ' ');

describe('README defaults of compare, capacity and fail fast', () => {
  it('states the values the code uses', () => {
    expect(text).toContain(`\`samplesAboveMin\` (default ${COMPARE_DEFAULTS.samplesAboveMin})`);
    expect(text).toContain(`\`confidence\` (default ${COMPARE_DEFAULTS.confidence})`);
    expect(text).toContain(`It needs \`secondsMin\` (${COMPARE_DEFAULTS.secondsMin}) measured seconds`);
    const { factorMin, deltaMsMin, deltaCoresMin } = MACHINE_NOISE_DEFAULTS;
    expect(text).toContain(
      `at least ${factorMin}× the base run's and ${deltaMsMin} ms (or ${deltaCoresMin} cores) more`,
    );
    expect(text).toContain(`(\`abort_on_fail_delay_s\`, default ${FAIL_FAST_DEFAULTS.abortOnFailDelayS} s)`);
    expect(text).toContain(
      `(\`abort_on_all_errors_s\`, default **${FAIL_FAST_DEFAULTS.abortOnAllErrorsS} s**`,
    );
    expect(text).toContain(`\`--probe-duration-s\` (${CAPACITY_PROBE_DEFAULTS.probeDurationSMin} s)`);
    expect(text).toContain(`\`--probe-duration-s-max\` (${CAPACITY_PROBE_DEFAULTS.probeDurationSMax} s)`);
    expect(text).toContain(`= ${probeSamplesWanted().toLocaleString('en-US')} samples`);
  });
});
