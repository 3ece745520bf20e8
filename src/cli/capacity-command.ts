/**
 * `tiervec loadtest capacity <scenario> --p99-ms-max N`: probes the scenario at rising offered rates
 * (each probe a fresh store and a short run) until the SLO breaks or arrivals are dropped, prints the
 * highest rate that met it, and writes the probes' reports with a chart of latency percentiles
 * against the offered rate. The SLO: p99 response time at most N ms, error rate at most
 * `--error-rate-max`, achieved over offered at least `--achieved-ratio-min`, nothing dropped.
 * Exit 0 when some rate met the SLO, 1 when none did.
 */

import path from 'node:path';
import type { LoadTestReport } from '../loadtest/report/schema.ts';
import { readScenarioFile } from '../loadtest/scenario/load-scenario.ts';
import { baseRate, resolveScenario } from '../loadtest/scenario/resolve-scenario.ts';
import { type CapacityProbe, writeCapacityReport } from './capacity-report.ts';
import { type CapacityStrategy, roundRate, searchCapacity } from './capacity-search.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { formatMs, formatRate } from './format.ts';
import { reportDir, reportTimestamp, shownPath } from './report-dir.ts';
import { checkRunnable, modeOf, overridesOf, type ScenarioFlags } from './run-command.ts';
import { executeScenario } from './scenario-execution.ts';
import { createStyle } from './style.ts';

export const CAPACITY_COMMAND_DEFAULTS = Object.freeze({
  /** Seconds per probe. */
  probeDurationS: 10,
  errorRateMax: 0.01,
  achievedRatioMin: 0.95,
});

export interface CapacityFlags extends ScenarioFlags {
  p99MsMax: number;
  rateMin?: number;
  rateMax?: number;
  strategy?: CapacityStrategy;
  stepRate?: number;
  probeDurationS?: number;
  errorRateMax?: number;
  achievedRatioMin?: number;
  out?: string;
}

function judgeProbe(
  report: LoadTestReport,
  flags: CapacityFlags,
  rate: number,
  reportPath: string,
): CapacityProbe {
  const s = report.summary;
  const errorRateMax = flags.errorRateMax ?? CAPACITY_COMMAND_DEFAULTS.errorRateMax;
  const achievedRatioMin = flags.achievedRatioMin ?? CAPACITY_COMMAND_DEFAULTS.achievedRatioMin;
  const reasons: string[] = [];
  if (s.latencyMs.p99 > flags.p99MsMax) reasons.push(`p99 ${s.latencyMs.p99} ms > ${flags.p99MsMax} ms`);
  if (s.errorRate > errorRateMax) reasons.push(`error rate ${s.errorRate} > ${errorRateMax}`);
  if (s.dropped > 0) reasons.push(`${s.dropped} arrivals dropped`);
  if (s.achievedRatio !== null && s.achievedRatio < achievedRatioMin) {
    reasons.push(`achieved/offered ${s.achievedRatio} < ${achievedRatioMin}`);
  }
  if (report.stopReason !== 'completed') reasons.push('stopped early');
  return {
    rate,
    passed: reasons.length === 0,
    reasons,
    latencyMs: s.latencyMs,
    throughputOpsPerS: s.throughputOpsPerS,
    achievedRatio: s.achievedRatio,
    errorRate: s.errorRate,
    dropped: s.dropped,
    report: reportPath,
  };
}

export async function capacityCommand(
  io: CliIo,
  nameOrPath: string,
  flags: CapacityFlags,
  signal: AbortSignal,
): Promise<number> {
  const style = createStyle(io.color);
  const spec = await readScenarioFile(nameOrPath);
  const mode = modeOf(flags);
  const probeDurationS = flags.probeDurationS ?? flags.durationS ?? CAPACITY_COMMAND_DEFAULTS.probeDurationS;
  const base = baseRate(spec);
  const rateMin = flags.rateMin ?? roundRate(Math.max(base / 2, 1));
  const rateMax = flags.rateMax ?? roundRate(Math.max(base * 64, rateMin));
  const dir =
    flags.out === undefined
      ? reportDir(io.cwd, undefined, `${spec.name}-capacity`, reportTimestamp(new Date()))
      : path.resolve(io.cwd, flags.out);
  const strategy = flags.strategy ?? 'bisect';
  io.stdout.write(
    `${style.bold(`capacity of ${spec.name}`)}: SLO p99 ≤ ${flags.p99MsMax} ms, ${strategy} from ${rateMin} to ${rateMax} ops/s, ${probeDurationS} s per probe\n`,
  );
  let probeNumber = 0;
  const result = await searchCapacity({
    rateMin,
    rateMax,
    strategy,
    ...(flags.stepRate === undefined ? {} : { stepRate: flags.stepRate }),
    signal,
    probe: async (rate) => {
      const scenario = resolveScenario(spec, mode, {
        ...overridesOf(flags),
        rate,
        durationS: probeDurationS,
      });
      checkRunnable(scenario);
      probeNumber++;
      const probeDir = `probe-${String(probeNumber).padStart(2, '0')}-${rate}`;
      const { report } = await executeScenario(scenario, {
        io,
        outDir: path.join(dir, probeDir),
        signal,
        summary: false,
      });
      const probe = judgeProbe(report, flags, rate, probeDir);
      io.stdout.write(
        `  ${formatRate(rate)} ops/s → achieved ${formatRate(probe.throughputOpsPerS)}, p99 ${formatMs(probe.latencyMs.p99)} ms: ` +
          `${probe.passed ? style.pass('pass') : style.fail(`fail (${probe.reasons.join('; ')})`)}\n`,
      );
      return probe;
    },
  });
  const files = await writeCapacityReport(
    {
      scenario: spec.name,
      startedAt: new Date().toISOString(),
      slo: {
        p99MsMax: flags.p99MsMax,
        errorRateMax: flags.errorRateMax ?? CAPACITY_COMMAND_DEFAULTS.errorRateMax,
        achievedRatioMin: flags.achievedRatioMin ?? CAPACITY_COMMAND_DEFAULTS.achievedRatioMin,
        droppedMax: 0,
      },
      strategy,
      probeDurationS,
      highestPassingRate: result.highestPassing ?? null,
      lowestFailingRate: result.lowestFailing ?? null,
      probes: result.probes,
    },
    dir,
  );
  io.stdout.write(
    result.highestPassing === undefined
      ? `${style.fail(`no rate from ${rateMin} ops/s up met the SLO`)}\n`
      : `${style.pass(`highest rate meeting the SLO: ${formatRate(result.highestPassing)} ops/s`)}` +
          `${result.lowestFailing === undefined ? ` (every probe up to ${rateMax} ops/s passed)` : ''}\n`,
  );
  io.stdout.write(`report: ${shownPath(io.cwd, files.html)}\n`);
  return result.highestPassing === undefined ? ExitCode.FAILED : ExitCode.PASSED;
}
