/**
 * `tiervec loadtest list`: the shipped scenarios, one line each, with their short and full lengths.
 */

import { listScenarios } from '../loadtest/scenario/load-scenario.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { formatDurationS } from './format.ts';
import { createStyle } from './style.ts';

export async function listCommand(io: CliIo, scenariosDir?: string): Promise<number> {
  const style = createStyle(io.color);
  const scenarios = await listScenarios(scenariosDir);
  const nameWidth = Math.max(4, ...scenarios.map((scenario) => scenario.name.length));
  io.stdout.write(`${style.bold(`${'name'.padEnd(nameWidth)}  short   full     description`)}\n`);
  for (const scenario of scenarios) {
    const short = formatDurationS(scenario.shortS).padEnd(6);
    const full = formatDurationS(scenario.fullS).padEnd(7);
    io.stdout.write(`${scenario.name.padEnd(nameWidth)}  ${short}  ${full}  ${scenario.description}\n`);
  }
  return ExitCode.PASSED;
}
