/**
 * What the run was asked to do, as report tables for the head of every report: per load group the
 * model, arrival process, profile with its parameters, mean and peak rate, concurrency, saturation
 * policy and operation mix; and the target's own settings as it described them at setup. Pure: a
 * report in, tables out; it never reads the run's figures (those are in `report-tables.ts`).
 */

import { formatRate } from './format.ts';
import type { GroupReport, LoadTestReport } from './schema.ts';
import { cells, type ReportTable } from './table-model.ts';

/** Longest text a target setting is shown with; longer values are cut. */
export const SETTING_CHARS_MAX = 160;

function shortText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > SETTING_CHARS_MAX ? `${text.slice(0, SETTING_CHARS_MAX - 1)}…` : text;
}

/** `spike rate=100 spikeRate=400 …`: a profile's kind and its parameters. */
function profileText(group: GroupReport): string {
  if (group.profile === null) return '– (closed model)';
  const params = Object.entries(group.profile.spec)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => `${key}=${shortText(value)}`);
  return [group.profile.kind, ...params].join(' ');
}

function rateText(group: GroupReport): string {
  if (group.profile === null) {
    return `${group.inFlightMax} clients, think ${group.thinkTimeMs ?? 0} ms`;
  }
  return `mean ${formatRate(group.profile.meanRate)}, peak ${formatRate(group.profile.rateMax)} ops/s`;
}

/** `search 70% · insert 20% · metadata 10%`, in the mix's order. */
export function mixText(mix: Record<string, number>): string {
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  if (total <= 0) return '–';
  return Object.entries(mix)
    .map(([op, weight]) => `${op} ${Number(((weight / total) * 100).toPrecision(3))}%`)
    .join(' · ');
}

/** One row per load group: how its arrivals were made and what they asked for. */
export function loadSettingsTable(report: LoadTestReport): ReportTable {
  return {
    id: 'load',
    title: 'Load',
    header: ['group', 'model', 'arrival', 'profile', 'rate', 'in flight max', 'on saturation', 'mix'],
    rows: Object.entries(report.groups).map(([name, g]) =>
      cells([
        name,
        g.model,
        g.arrival ?? '–',
        profileText(g),
        rateText(g),
        String(g.inFlightMax),
        g.onSaturation === null
          ? '–'
          : `${g.onSaturation}${g.queueLengthMax === null ? '' : ` (queue ≤ ${g.queueLengthMax})`}`,
        mixText(g.mix),
      ]),
    ),
  };
}

/** The target's settings as its setup reported them (`target.info`), one row per key. */
export function targetSettingsTable(report: LoadTestReport): ReportTable {
  return {
    id: 'target',
    title: `Target: ${report.target.name}`,
    header: ['setting', 'value'],
    rows: Object.entries(report.target.info).map(([key, value]) => cells([key, shortText(value)])),
  };
}
