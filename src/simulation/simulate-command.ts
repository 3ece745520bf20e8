/**
 * `npm run simulate -- [--seeds N] [--from S] [--seed S] [--steps N] [--durability MODE]
 * [--history FILE]`: runs seeds of the simulation one after another and prints, for each failing
 * seed, what the checker found and the one command that replays it exactly; then a summary with
 * seeds per second. Exit code 0 when every seed passed, 1 when one failed, 2 on a usage error.
 * This module parses and prints; the simulation itself is `simulation-run.ts`.
 */

import { writeFile } from 'node:fs/promises';
import { isTierVecError } from '../errors.ts';
import { isSimulatedCrash } from './crash-switch.ts';
import type { Durability } from './durability-windows.ts';
import { type SimulationOptions, validateSimulationOptions } from './simulation-config.ts';
import { runSimulation, type SimulationResult } from './simulation-run.ts';

export interface SimulateArgs {
  from: number;
  seeds: number;
  options: SimulationOptions;
  historyPath: string | undefined;
}

/** A progress line every this many seeds, so a long run can be stopped without losing its figures. */
const PROGRESS_EVERY = 500;

const USAGE =
  'usage: npm run simulate -- [--seeds N] [--from S] [--seed S] [--steps N] [--durability fsync|buffered|object-store] [--history FILE]';

export function parseSimulateArgs(argv: readonly string[]): SimulateArgs {
  const args: SimulateArgs = { from: 1, seeds: 100, options: {}, historyPath: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    i++;
    if (flag === '--seeds') args.seeds = integer(flag, value);
    else if (flag === '--from') args.from = integer(flag, value);
    else if (flag === '--seed') {
      args.from = integer(flag, value);
      args.seeds = 1;
    } else if (flag === '--steps') args.options.steps = integer(flag, value);
    else if (flag === '--durability') args.options.durability = value as Durability;
    else if (flag === '--history') args.historyPath = value;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  args.options = validateSimulationOptions(args.options);
  return args;
}

function integer(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 32 - 1) {
    throw new Error(
      `${flag} expects an integer from 0 to 4294967295, got ${JSON.stringify(value)}\n${USAGE}`,
    );
  }
  return n;
}

/** The command that replays `seed` exactly with the same options. */
export function replayCommand(seed: number, options: SimulationOptions): string {
  const parts = ['npm run simulate --', `--seed ${seed}`];
  if (options.steps !== undefined) parts.push(`--steps ${options.steps}`);
  if (options.durability !== undefined) parts.push(`--durability ${options.durability}`);
  return parts.join(' ');
}

/** A failing seed's report: each finding on a line, then the replay command. */
export function describeFailure(result: SimulationResult, options: SimulationOptions): string {
  const { config } = result;
  const lines = [
    `seed ${result.seed} FAILED (durability ${config.durability}, ${result.operations} operations, ${result.crashes} crashes)`,
    ...result.problems.map((problem) => `  ${problem}`),
    ...result.check.violations.slice(0, 10).map((v) => `  ${v.message} [${v.key}]`),
  ];
  if (result.check.violations.length > 10) lines.push(`  … ${result.check.violations.length - 10} more`);
  lines.push(`  replay: ${replayCommand(result.seed, options)}`);
  return lines.join('\n');
}

export async function runSimulateCommand(argv: readonly string[]): Promise<number> {
  let args: SimulateArgs;
  try {
    args = parseSimulateArgs(argv);
  } catch (error) {
    console.error(isTierVecError(error) ? `${error.message}\n${USAGE}` : (error as Error).message);
    return 2;
  }
  const startedMs = performance.now();
  let failed = 0;
  for (let seed = args.from; seed < args.from + args.seeds; seed++) {
    const result = await runSimulation(seed, args.options);
    if (args.historyPath !== undefined) {
      const json = result.history.toJSON(seed, { ...result.config, ...args.options });
      await writeFile(args.historyPath, `${JSON.stringify(json)}\n`);
    }
    if (!result.valid) {
      failed++;
      console.log(describeFailure(result, args.options));
    }
    const done = seed - args.from + 1;
    if (done % PROGRESS_EVERY === 0 && done < args.seeds) {
      const seconds = (performance.now() - startedMs) / 1000;
      console.log(`… ${done} seeds, ${failed} failed, ${(done / seconds).toFixed(1)} seeds/s`);
    }
  }
  const seconds = (performance.now() - startedMs) / 1000;
  console.log(
    `${args.seeds} seeds from ${args.from}: ${args.seeds - failed} passed, ${failed} failed in ${seconds.toFixed(1)} s (${(args.seeds / seconds).toFixed(1)} seeds/s)`,
  );
  return failed === 0 ? 0 : 1;
}

if (process.argv[1]?.endsWith('simulate-command.ts')) {
  // An abandoned (crashed) store may leave rejected promises nobody awaits: they are the crash itself.
  process.on('unhandledRejection', (reason) => {
    if (!isSimulatedCrash(reason)) throw reason;
  });
  process.exitCode = await runSimulateCommand(process.argv.slice(2));
}
