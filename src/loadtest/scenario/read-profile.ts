/**
 * Reads `[load.profile]` (or `[group.profile]`) straight into the engine's own `ProfileSpec`, the one
 * type a profile has from the file to the scheduler. Rates are operations per second and must not
 * be negative; positions in the run are percentages in the file (`start_pct = 20`), which must stay
 * inside it (a spike that starts at 90% and lasts 20% is rejected here rather than silently clipped),
 * and become fractions of the run (`startFraction: 0.2`) that the engine turns into seconds for the
 * chosen duration.
 */

import { PROFILE_KINDS, type ProfileSpec, type StagesProfileSpec } from '../profile-spec.ts';
import type { TableReader } from './table-reader.ts';

const RATE = { min: 0 } as const;
const PCT = { above: 0, max: 100 } as const;

export function readProfile(table: TableReader): ProfileSpec {
  const kind = table.choice('kind', PROFILE_KINDS);
  const profile = readKind(table, kind);
  table.done();
  return profile;
}

/** A percentage of the run as the engine's fraction of it. */
function fraction(pct: number): number {
  return pct / 100;
}

function readKind(table: TableReader, kind: ProfileSpec['kind']): ProfileSpec {
  switch (kind) {
    case 'constant':
      return { kind, rate: table.number('rate', RATE) };
    case 'ramp':
      return {
        kind,
        fromRate: table.number('from_rate', RATE),
        toRate: table.number('to_rate', RATE),
        durationFraction: fraction(table.number('length_pct', PCT, 100)),
      };
    case 'stages':
      return readStages(table);
    case 'spike':
      return readSpike(table);
    case 'periodic': {
      const rate = table.number('rate', RATE);
      const amplitude = table.number('amplitude', RATE);
      if (amplitude > rate)
        throw table.error('amplitude', `expected at most rate (${rate}), got ${amplitude}`);
      return { kind, rate, amplitude, periodFraction: fraction(table.number('period_pct', PCT)) };
    }
    case 'periodic_burst':
      return readPeriodicBurst(table);
    case 'bursty':
      return {
        kind,
        rate: table.number('rate', RATE),
        burstFactor: table.number('burst_factor', { min: 1 }),
        burstProbability: table.number('burst_probability', { min: 0, max: 1 }),
        intervalFraction: fraction(table.number('interval_pct', PCT, 5)),
      };
    case 'random': {
      const minRate = table.number('min_rate', RATE);
      const maxRate = table.number('max_rate', RATE);
      if (maxRate < minRate)
        throw table.error('max_rate', `expected at least min_rate (${minRate}), got ${maxRate}`);
      const changeEveryPct = table.number('change_every_pct', PCT);
      return { kind, minRate, maxRate, changeEveryFraction: fraction(changeEveryPct) };
    }
  }
}

function readSpike(table: TableReader): ProfileSpec {
  const rate = table.number('rate', RATE);
  const spikeRate = table.number('spike_rate', RATE);
  const startPct = table.number('start_pct', { min: 0, max: 100 });
  const lengthPct = table.number('length_pct', PCT);
  if (startPct + lengthPct > 100) {
    throw table.error(
      'length_pct',
      `the spike runs from ${startPct}% to ${startPct + lengthPct}% of the run; expected it to end by 100%`,
    );
  }
  return {
    kind: 'spike',
    rate,
    spikeRate,
    startFraction: fraction(startPct),
    lengthFraction: fraction(lengthPct),
  };
}

function readPeriodicBurst(table: TableReader): ProfileSpec {
  const rate = table.number('rate', RATE);
  const burstRate = table.number('burst_rate', RATE);
  const burstLengthPct = table.number('burst_length_pct', PCT);
  const periodPct = table.number('period_pct', PCT);
  if (burstLengthPct >= periodPct) {
    throw table.error('burst_length_pct', `expected less than period_pct (${periodPct})`);
  }
  return {
    kind: 'periodic_burst',
    rate,
    burstRate,
    burstLengthFraction: fraction(burstLengthPct),
    periodFraction: fraction(periodPct),
  };
}

function readStages(table: TableReader): ProfileSpec {
  const startRate = table.number('start_rate', RATE, 0);
  let totalPct = 0;
  const stages: StagesProfileSpec['stages'] = table.tables('stages').map((stage) => {
    const lengthPct = stage.number('length_pct', PCT);
    const rate = stage.number('rate', RATE);
    stage.done();
    totalPct += lengthPct;
    return { durationFraction: fraction(lengthPct), rate };
  });
  if (stages.length === 0) throw table.error('stages', 'missing; expected at least one stage');
  if (totalPct > 100 + 1e-9) {
    throw table.error('stages', `the stages last ${totalPct}% of the run; expected at most 100%`);
  }
  return { kind: 'stages', startRate, stages };
}
