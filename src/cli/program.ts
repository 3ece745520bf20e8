/**
 * The `tiervec` command's grammar (commander): `tiervec loadtest short | full | run | list | compare
 * | merge | capacity`, their flags and help texts. Each action resolves to an exit code; commander's
 * own usage errors (unknown option, missing argument, bad number) become exit 2 in `run-cli.ts`.
 */

import { Command, Option } from 'commander';
import { OBJECT_STORE_KINDS } from '../loadtest/targets/tiervec-config.ts';
import { type CapacityFlags, capacityCommand } from './capacity-command.ts';
import type { CliIo } from './cli-io.ts';
import { type CompareFlags, compareCommand } from './compare-command.ts';
import { listCommand } from './list-command.ts';
import { type MergeFlags, mergeCommand } from './merge-command.ts';
import { numberParser } from './number-option.ts';
import { type RunFlags, runCommand } from './run-command.ts';
import { type SuiteFlags, suiteCommand } from './suite-command.ts';

export interface ProgramContext {
  io: CliIo;
  signal: AbortSignal;
  version: string;
  /** Receives the exit code of the action that ran. */
  setExitCode(code: number): void;
}

const EXIT_CODES_HELP = `
Exit codes:
  0  passed (compare: no regression)
  1  a success criterion failed (compare: a regression)
  2  usage or scenario error (the message names the file, line and key)
  3  the run itself broke, or was interrupted`;

function scenarioOptions(command: Command): Command {
  return command
    .option(
      '--seed <n>',
      "seed of every random choice (default: the scenario's)",
      numberParser({ integer: true, min: 0, max: 2 ** 32 - 1 }),
    )
    .addOption(
      new Option(
        '--object-store <kind>',
        'cold tier: mock S3, local directory, s3rver on 127.0.0.1, or S3',
      ).choices(OBJECT_STORE_KINDS),
    )
    .option('--s3-endpoint <url>', 'S3 endpoint for --object-store s3 (MinIO, s3rver, …)')
    .option('--s3-bucket <name>', 'bucket for --object-store s3')
    .option(
      '--data-dir <dir>',
      "where the store's working directory is made (default: the system temp directory)",
    )
    .option('--keep-data', "keep the store's working directory after the run")
    .option('--verbose', 'print stack traces with errors');
}

/** `--dashboard` and `--metrics-port`, for `run`, `short` and `full`. */
function liveOptions(command: Command): Command {
  return command
    .option('--dashboard', 'serve a live dashboard on 127.0.0.1:5665 during the run, then the report')
    .option(
      '--dashboard-port <n>',
      'port of the live dashboard (implies --dashboard; 0 picks a free one)',
      numberParser({ integer: true, min: 0, max: 65_535 }),
    )
    .option(
      '--metrics-port <n>',
      'serve OpenMetrics (harness and store) on 127.0.0.1:N/metrics during the run (0 picks a free one)',
      numberParser({ integer: true, min: 0, max: 65_535 }),
    );
}

function runOptions(command: Command): Command {
  return scenarioOptions(
    liveOptions(command)
      .option('--short', 'short duration and dataset (the default)')
      .option('--full', 'full (production-length) duration and dataset')
      .option(
        '--duration-s <n>',
        "run for N seconds instead of the scenario's duration",
        numberParser({ above: 0, max: 7 * 86_400 }),
      )
      .option(
        '--rate <n>',
        'base arrival rate, ops/s (the profile scales with it)',
        numberParser({ above: 0 }),
      )
      .option(
        '--vectors <n>',
        "dataset size instead of the scenario's",
        numberParser({ integer: true, min: 0, max: 100_000_000 }),
      ),
  );
}

export function buildProgram(context: ProgramContext): Command {
  const { io, signal } = context;
  const done = (code: number) => context.setExitCode(code);
  const program = new Command('tiervec')
    .description(
      'tiervec: an embedded vector database with hot, warm and cold tiers, and its load-test harness',
    )
    .version(context.version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showSuggestionAfterError(true);
  const loadtest = program
    .command('loadtest')
    .description('run load-test scenarios against the store, and compare or merge their reports')
    .addHelpText('after', EXIT_CODES_HELP);

  for (const suite of ['short', 'full'] as const) {
    scenarioOptions(
      liveOptions(loadtest.command(suite))
        .description(`run every shipped scenario with its ${suite} duration, then write a suite summary`)
        .option('--out <dir>', 'reports root directory', 'reports')
        .option('--only <names>', 'comma-separated scenarios to run (default: all)')
        .option(
          '--duration-s <n>',
          'run each scenario for N seconds instead of its own duration',
          numberParser({ above: 0, max: 7 * 86_400 }),
        ),
    )
      .addHelpText('after', EXIT_CODES_HELP)
      .action(async (flags: SuiteFlags) => done(await suiteCommand(io, suite, flags, signal)));
  }

  runOptions(
    loadtest
      .command('run')
      .description('run one scenario (a shipped name or a .toml file)')
      .argument('<scenario>', 'scenario name or file'),
  )
    .option('--out <dir>', 'report directory (default: reports/<scenario>-<timestamp>)')
    .option('--workers <n>', 'spread the load over N local processes, one execution segment each, merged')
    .option('--segment <i/n>', 'run only segment i (from 0) of n of the load, for `merge` to join')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (scenario: string, flags: RunFlags) => done(await runCommand(io, scenario, flags, signal)));

  loadtest
    .command('list')
    .description('list the shipped scenarios, one line each')
    .option('--verbose', 'print stack traces with errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async () => done(await listCommand(io)));

  loadtest
    .command('compare')
    .description(
      'compare two runs: percentile, throughput and error-rate deltas per operation, with confidence intervals',
    )
    .argument('<base>', 'the baseline report.json, or the run directory holding it')
    .argument('<new>', 'the candidate report.json, or the run directory holding it')
    .option(
      '--tolerance-pct <n>',
      'worse by more than this (beyond the noise) is a regression',
      numberParser({ min: 0, max: 10_000 }),
      10,
    )
    .option(
      '--confidence <n>',
      'confidence level of the intervals (default 0.95)',
      numberParser({ min: 0.5, max: 0.9999 }),
    )
    .option('--force', 'compare runs of different scenarios or targets instead of refusing (exit 2)')
    .option('--verbose', 'print stack traces with errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (base: string, next: string, flags: CompareFlags) =>
      done(await compareCommand(io, base, next, flags)),
    );

  loadtest
    .command('merge')
    .description("add the histograms and counts of several runs' report.json into one report")
    .argument('<reports...>', 'report.json files, or the run directories holding them')
    .requiredOption(
      '--out <file>',
      'the merged report.json (report.md and report.html are written beside it)',
    )
    .option(
      '--force',
      'merge runs of different scenarios, targets or configurations instead of refusing (exit 2)',
    )
    .option('--verbose', 'print stack traces with errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (files: string[], flags: MergeFlags) => done(await mergeCommand(io, files, flags)));

  runOptions(
    loadtest
      .command('capacity')
      .description(
        'find the highest rate that still meets the SLO (p99 and no drops), with a latency-vs-rate chart',
      )
      .argument('<scenario>', 'scenario name or file'),
  )
    .requiredOption('--p99-ms-max <n>', 'SLO: p99 response time, ms', numberParser({ above: 0 }))
    .option(
      '--rate-min <n>',
      "first offered rate, ops/s (default: half the scenario's rate)",
      numberParser({ above: 0 }),
    )
    .option(
      '--rate-max <n>',
      "highest offered rate, ops/s (default: 64 × the scenario's rate)",
      numberParser({ above: 0 }),
    )
    .addOption(
      new Option('--strategy <how>', 'step: fixed increments; bisect: doubling, then halving the bracket')
        .choices(['step', 'bisect'])
        .default('bisect'),
    )
    .option(
      '--step-rate <n>',
      'increment of the step strategy, ops/s (default: --rate-min)',
      numberParser({ above: 0 }),
    )
    .option(
      '--probe-duration-s <n>',
      'shortest probe, seconds; a probe runs longer to collect 10/(1-0.99) = 1000 samples (default 10)',
      numberParser({ above: 0 }),
    )
    .option(
      '--probe-duration-s-max <n>',
      'longest probe, seconds, however low its rate (default 60)',
      numberParser({ above: 0, max: 86_400 }),
    )
    .option('--error-rate-max <n>', 'SLO: error rate (default 0.01)', numberParser({ min: 0, max: 1 }))
    .option(
      '--achieved-ratio-min <n>',
      'SLO: achieved over offered rate (default 0.95)',
      numberParser({ min: 0, max: 1 }),
    )
    .option('--out <dir>', 'report directory (default: reports/<scenario>-capacity-<timestamp>)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (scenario: string, flags: CapacityFlags) =>
      done(await capacityCommand(io, scenario, flags, signal)),
    );

  return program;
}
