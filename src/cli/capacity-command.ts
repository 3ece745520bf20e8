/**
 * `tiervec loadtest capacity <scenario> --p99-ms-max N`: probes the scenario at rising offered rates
 * (each probe a fresh store and a run sized for enough samples at p99) until the SLO breaks, repeats
 * a failing probe before believing it, prints the highest rate that met the SLO with how sure it is,
 * and writes the probes' reports with a chart of latency percentiles against the offered rate. The
 * SLO: p99 response time at most N ms, error rate at most `--error-rate-max`, achieved over offered
 * at least `--achieved-ratio-min`, nothing dropped. Exit 0 when a rate met the SLO and the answer is
 * reliable, 1 when none did or when it cannot tell (a probe too short to bound its p99, or probes at
 * the answer's rate that disagree).
 */

import path from 'node:path';
import { readScenarioFile } from '../loadtest/scenario/load-scenario.ts';
import { baseRate, resolveScenario } from '../loadtest/scenario/resolve-scenario.ts';
import { CAPACITY_PROBE_DEFAULTS, judgeProbe, probeDurationS, probeSamplesWanted } from './capacity-probe.ts';
import { type CapacityProbe, writeCapacityReport } from './capacity-report.ts';
import { type CapacityResult, type CapacityStrategy, roundRate, searchCapacity } from './capacity-search.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { formatMs, formatRate } from './format.ts';
import { reportDir, reportTimestamp, shownPath } from './report-dir.ts';
import { checkRunnable, modeOf, overridesOf, type ScenarioFlags } from './run-command.ts';
import { executeScenario } from './scenario-execution.ts';
import { createStyle, type Style } from './style.ts';

export const CAPACITY_COMMAND_DEFAULTS = Object.freeze({
  /** Shortest probe, seconds; probes run longer when their rate needs it for enough samples. */
  probeDurationS: CAPACITY_PROBE_DEFAULTS.probeDurationSMin,
  probeDurationSMax: CAPACITY_PROBE_DEFAULTS.probeDurationSMax,
  errorRateMax: CAPACITY_PROBE_DEFAULTS.errorRateMax,
  achievedRatioMin: CAPACITY_PROBE_DEFAULTS.achievedRatioMin,
});

export interface CapacityFlags extends ScenarioFlags {
  p99MsMax: number;
  rateMin?: number;
  rateMax?: number;
  strategy?: CapacityStrategy;
  stepRate?: number;
  probeDurationS?: number;
  probeDurationSMax?: number;
  errorRateMax?: number;
  achievedRatioMin?: number;
  out?: string;
}

function probeLine(style: Style, probe: CapacityProbe, attempt: string): string {
  const bounds = probe.p99BoundsMs;
  const sure = probe.confident
    ? ''
    : ` ${style.dim(`(not sure: p99 bounds ${formatMs(bounds.low ?? undefined)}–${formatMs(bounds.high ?? undefined)} ms from ${probe.samples} samples)`)}`;
  return (
    `  ${attempt}${formatRate(probe.rate)} ops/s for ${probe.durationS} s → achieved ${formatRate(probe.throughputOpsPerS)}, ` +
    `p99 ${formatMs(probe.latencyMs.p99)} ms, ${probe.samples} samples: ` +
    `${probe.passed ? style.pass('pass') : style.fail(`fail (${probe.reasons.join('; ')})`)}${sure}\n`
  );
}

function verdictLines(style: Style, result: CapacityResult<CapacityProbe>, rateMin: number, rateMax: number) {
  if (result.highestPassing === undefined)
    return `${style.fail(`no rate from ${rateMin} ops/s up met the SLO`)}\n`;
  const answer =
    `highest rate meeting the SLO: ${formatRate(result.highestPassing)} ops/s` +
    (result.lowestFailing === undefined ? ` (every probe up to ${rateMax} ops/s passed)` : '');
  if (result.unreliable.length === 0) {
    const sure = result.probes
      .filter((p) => p.rate === result.highestPassing && p.passed && p.p99BoundsMs.high !== null)
      .sort((a, b) => b.samples - a.samples)[0];
    const confidence =
      sure === undefined
        ? ''
        : `\n  (its p99 ${formatMs(sure.latencyMs.p99)} ms is at most ${formatMs(sure.p99BoundsMs.high ?? undefined)} ms ` +
          `with ${CAPACITY_PROBE_DEFAULTS.confidence * 100} % confidence, from ${sure.samples} samples)`;
    return `${style.pass(answer)}${confidence}\n`;
  }
  return `${style.fail(`cannot tell: ${result.unreliable.join('; ')}`)}\n  (${answer}, not to be trusted)\n`;
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
  const durationMinS = flags.probeDurationS ?? flags.durationS ?? CAPACITY_COMMAND_DEFAULTS.probeDurationS;
  const durationMaxS = Math.max(
    durationMinS,
    flags.probeDurationSMax ?? CAPACITY_COMMAND_DEFAULTS.probeDurationSMax,
  );
  const base = baseRate(spec);
  const rateMin = flags.rateMin ?? roundRate(Math.max(base / 2, 1));
  const rateMax = flags.rateMax ?? roundRate(Math.max(base * 64, rateMin));
  const dir =
    flags.out === undefined
      ? reportDir(io.cwd, undefined, `${spec.name}-capacity`, reportTimestamp(new Date()))
      : path.resolve(io.cwd, flags.out);
  const strategy = flags.strategy ?? 'bisect';
  const slo = {
    p99MsMax: flags.p99MsMax,
    errorRateMax: flags.errorRateMax ?? CAPACITY_COMMAND_DEFAULTS.errorRateMax,
    achievedRatioMin: flags.achievedRatioMin ?? CAPACITY_COMMAND_DEFAULTS.achievedRatioMin,
  };
  io.stdout.write(
    `${style.bold(`capacity of ${spec.name}`)}: SLO p99 ≤ ${flags.p99MsMax} ms, ${strategy} from ${rateMin} to ${rateMax} ops/s, ` +
      `probes sized for ${probeSamplesWanted()} samples (${durationMinS}–${durationMaxS} s), a failing probe repeated before it is believed\n`,
  );
  let probeNumber = 0;
  let lastRate: number | undefined;
  const result = await searchCapacity<CapacityProbe>({
    rateMin,
    rateMax,
    strategy,
    ...(flags.stepRate === undefined ? {} : { stepRate: flags.stepRate }),
    signal,
    probe: async (rate) => {
      const warmupS = spec.duration.warmupS;
      const durationS = probeDurationS(rate, warmupS, durationMinS, durationMaxS);
      const scenario = resolveScenario(spec, mode, { ...overridesOf(flags), rate, durationS });
      checkRunnable(scenario);
      probeNumber++;
      const probeDir = `probe-${String(probeNumber).padStart(2, '0')}-${rate}`;
      const { report } = await executeScenario(scenario, {
        io,
        outDir: path.join(dir, probeDir),
        signal,
        summary: false,
        description: false,
      });
      const probe = judgeProbe(report, slo, rate, probeDir);
      io.stdout.write(probeLine(style, probe, lastRate === rate ? 'again: ' : ''));
      lastRate = rate;
      return probe;
    },
  });
  const files = await writeCapacityReport(
    {
      scenario: spec.name,
      startedAt: new Date().toISOString(),
      slo: { ...slo, droppedMax: 0 },
      strategy,
      probeDurationS: durationMinS,
      probeDurationSMax: durationMaxS,
      samplesWanted: probeSamplesWanted(),
      highestPassingRate: result.highestPassing ?? null,
      lowestFailingRate: result.lowestFailing ?? null,
      unreliable: result.unreliable,
      probes: result.probes,
    },
    dir,
  );
  io.stdout.write(verdictLines(style, result, rateMin, rateMax));
  io.stdout.write(`report: ${shownPath(io.cwd, files.html)}\n`);
  return result.highestPassing === undefined || result.unreliable.length > 0
    ? ExitCode.FAILED
    : ExitCode.PASSED;
}
