/**
 * How often `compare` gets real runs right: for each trial, three runs of one scenario with one seed,
 * one after the other: a base, a rerun (same code), and a run whose one operation does its work
 * twice (`repeat`: a real 2× slowdown). It compares base → rerun (should pass) and base → slowed
 * (should flag that operation), prints each verdict and the tally. One run at a time: on a shared
 * machine the point is what compare says under the noise there is, not to add to it.
 *
 *   node --import tsx bench/loadtest/compare-tally.ts [--scenario smoke] [--trials 10] [--rate 30]
 *     [--duration-s 8] [--operation search] [--seed 1] [--out DIR]
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Comparison, type ComparisonRow, compareReports } from '../../src/loadtest/report/compare.ts';
import { serializeReport } from '../../src/loadtest/report/json.ts';
import type { LoadTestReport } from '../../src/loadtest/report/schema.ts';
import { loadScenario } from '../../src/loadtest/scenario/load-scenario.ts';
import { runScenario } from '../../src/loadtest/scenario/run-scenario.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'smoke' },
    trials: { type: 'string', default: '10' },
    rate: { type: 'string' },
    'duration-s': { type: 'string' },
    operation: { type: 'string', default: 'search' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});

const trials = Number(values.trials);
const out = values.out ?? path.join(tmpdir(), `tiervec-compare-tally-${process.pid}`);

async function run(label: string, slowed: boolean): Promise<LoadTestReport> {
  const scenario = await loadScenario(values.scenario, {
    mode: 'short',
    overrides: {
      seed: Number(values.seed),
      ...(values.rate === undefined ? {} : { rate: Number(values.rate) }),
      ...(values['duration-s'] === undefined ? {} : { durationS: Number(values['duration-s']) }),
    },
  });
  const report = await runScenario(
    scenario,
    slowed ? { slow: { operation: values.operation, factor: 2 } } : {},
  );
  await writeFile(path.join(out, `${label}.json`), serializeReport(report));
  return report;
}

const named = (rows: ComparisonRow[]) =>
  rows
    .map((r) => `${r.operation ?? 'all'} ${r.metric}${r.deltaPct === null ? '' : ` ${r.deltaPct}%`}`)
    .join(', ');

function line(comparison: Comparison): string {
  const busier = comparison.warnings.some((w) => w.includes('busier')) ? ' (a machine was busier)' : '';
  return `${comparison.outcome.padEnd(12)} regressions [${named(comparison.regressions)}] inconclusive [${named(comparison.inconclusive)}]${busier}`;
}

await mkdir(out, { recursive: true });
console.log(
  `uptime before: load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; reports in ${out}`,
);
const tally = {
  same: { pass: 0, regression: 0, inconclusive: 0 },
  slowed: { pass: 0, regression: 0, inconclusive: 0 },
};
for (let trial = 1; trial <= trials; trial++) {
  const base = await run(`${trial}-base`, false);
  const rerun = await run(`${trial}-rerun`, false);
  const slowed = await run(`${trial}-slowed`, true);
  const same = compareReports(base, rerun);
  const slow = compareReports(base, slowed);
  tally.same[
    same.outcome === 'regression' ? 'regression' : same.outcome === 'pass' ? 'pass' : 'inconclusive'
  ]++;
  tally.slowed[
    slow.outcome === 'regression' ? 'regression' : slow.outcome === 'pass' ? 'pass' : 'inconclusive'
  ]++;
  const flagged = slow.regressions.some((r) => r.operation === values.operation);
  console.log(`trial ${trial}: same seed → ${line(same)}`);
  console.log(
    `trial ${trial}: 2× ${values.operation} → ${line(slow)}${flagged ? '' : ` (${values.operation} not flagged)`}`,
  );
}
console.log(
  `uptime after: load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  `same seed: ${tally.same.pass}/${trials} passed, ${tally.same.regression} flagged, ${tally.same.inconclusive} inconclusive`,
);
console.log(
  `2× ${values.operation}: ${tally.slowed.regression}/${trials} flagged, ${tally.slowed.pass} passed, ${tally.slowed.inconclusive} inconclusive`,
);
