/**
 * The `startup` suite: whole-process start times (`bench/cli/startup.ts`) of `tiervec --version`
 * and of importing the package, beside a bare `node -e 0` timed in the same rounds, held to issue
 * 14's targets (300 ms and 500 ms) as bounds. Each command yields its median (the figure targets
 * and `--compare` use) and its minimum (the floor on this machine, for context).
 */

import {
  ensureBuilt,
  readPackageJson,
  runStartupBench,
  type StartupCommand,
  type StartupCommands,
  startupCommands,
} from '../cli/startup.ts';
import { defineSuite, type Figure, type FigureGroup } from './bench-suite.ts';
import { summarizeSamples } from './sample-stats.ts';

export interface StartupSize {
  /** Timed runs of each command. */
  readonly runs: number;
}

const SIZES: { quick: StartupSize; full: StartupSize } = { quick: { runs: 5 }, full: { runs: 15 } };

/** Issue 14's startup targets, in ms of a whole process. */
export const STARTUP_BUDGET_MS = Object.freeze({ version: 300, importEntry: 500 });

const medianName = (command: StartupCommand) => `${command.key}-median-ms`;
const minName = (command: StartupCommand) => `${command.key}-min-ms`;

export function startupFigureNames(commands: StartupCommands): string[] {
  return [commands.baseline, commands.version, commands.importEntry].flatMap((c) => [
    medianName(c),
    minName(c),
  ]);
}

function commandFigures(
  command: StartupCommand,
  samples: readonly number[],
  baseline: StartupCommand | undefined,
  budgetMs: number | undefined,
): Figure[] {
  const summary = summarizeSamples(samples);
  const common = { unit: 'ms', higherIsBetter: false, samples: summary.count } as const;
  const median: Figure = {
    ...common,
    name: medianName(command),
    value: summary.median,
    rmePct: summary.rmePct,
    latencyMs: { mean: summary.mean, p50: summary.median, p99: summary.max },
    ...(baseline === undefined ? {} : { baseline: medianName(baseline) }),
    ...(budgetMs === undefined
      ? {}
      : {
          bound: { value: budgetMs, description: `${budgetMs} ms for ${command.label}` },
          targets: [{ description: `${command.label} ≤ ${budgetMs} ms (median)`, of: 'bound', ratioMin: 1 }],
        }),
  };
  const min: Figure = {
    ...common,
    name: minName(command),
    value: summary.min,
    compare: false,
    ...(baseline === undefined ? {} : { baseline: minName(baseline) }),
  };
  return [median, min];
}

export function startupFigures(
  commands: StartupCommands,
  ms: Record<keyof StartupCommands, number[]>,
): Figure[] {
  return [
    ...commandFigures(commands.baseline, ms.baseline, undefined, undefined),
    ...commandFigures(commands.version, ms.version, commands.baseline, STARTUP_BUDGET_MS.version),
    ...commandFigures(commands.importEntry, ms.importEntry, commands.baseline, STARTUP_BUDGET_MS.importEntry),
  ];
}

export function startupGroup(size: StartupSize, log: (line: string) => void): FigureGroup {
  const pkg = readPackageJson();
  const commands = startupCommands(pkg);
  return {
    kind: 'figures',
    name: 'startup',
    figureNames: startupFigureNames(commands),
    // The group times its own runs and reports their median.
    repeats: 1,
    measure: async () => {
      // The figures are those of the compiled package: build dist/ first when it is missing.
      if (ensureBuilt(pkg)) log('    built dist/ (npm run build) for the compiled package');
      for (const command of Object.values(commands)) log(`    ${command.key}: ${command.label}`);
      const { ms } = runStartupBench(commands, size.runs);
      return startupFigures(commands, ms);
    },
  };
}

export const startupSuite = defineSuite<StartupSize>({
  name: 'startup',
  summary:
    'whole-process start: `tiervec --version` (package.json bin) and import of the package (exports) vs `node -e 0`',
  sizes: SIZES,
  plan: (size) => ({ items: [startupGroup(size, (line) => console.log(line))] }),
});
