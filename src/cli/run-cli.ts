/**
 * Runs the `tiervec` command in-process and returns its exit code: 0 passed, 1 a criterion failed
 * (or a regression), 2 usage or scenario error, 3 the run broke. Errors are one line on stderr
 * (`tiervec: scenarios/x.toml:12: load.rate: …`), with the stack only under `--verbose`.
 */

import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { CliIo } from './cli-io.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';
import { buildProgram } from './program.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunCliOptions {
  /** Stops a run early (Ctrl-C); the partial report is still written. */
  signal?: AbortSignal;
}

export async function runCli(
  argv: readonly string[],
  io: CliIo,
  options: RunCliOptions = {},
): Promise<number> {
  const verbose = argv.includes('--verbose');
  let exitCode: number = ExitCode.USAGE;
  const program = buildProgram({
    io,
    signal: options.signal ?? new AbortController().signal,
    version: VERSION,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help/version, which exit 0).
      return error.exitCode === 0 ? ExitCode.PASSED : ExitCode.USAGE;
    }
    io.stderr.write(formatError(error, verbose));
    return exitCodeFor(error);
  }
}

/** One line per error (and per cause), plus stacks when verbose. */
export function formatError(error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return `tiervec: ${String(error)}\n`;
  const lines = [`tiervec: ${error.message.split('\n')[0]}`];
  if (error instanceof AggregateError)
    for (const inner of error.errors)
      lines.push(`  ${inner instanceof Error ? inner.message.split('\n')[0] : String(inner)}`);
  if (verbose) {
    lines.push(error.stack ?? '');
    let cause = error.cause;
    for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
      lines.push(`caused by: ${cause.stack ?? cause.message}`);
      cause = cause.cause;
    }
  }
  return `${lines.join('\n')}\n`;
}
