/**
 * The command line of `npm run bench`, parsed and checked before anything runs. Bad input is a
 * TierVecError (INVALID_ARGUMENT) naming the option and what was expected; `main` turns it into exit
 * code 2.
 */

import { parseArgs } from 'node:util';
import { ErrorCode, TierVecError } from '../../src/errors.ts';
import type { BenchMode } from './bench-suite.ts';
import { DEFAULTS } from './defaults.ts';

export interface BenchOptions {
  readonly mode: BenchMode;
  /** Case-insensitive substrings of suite names or `<suite>/<task>` ids; empty: everything. */
  readonly filters: readonly string[];
  /** A results file to compare this run with. */
  readonly comparePath: string | undefined;
  readonly tolerancePct: number;
  /** Where to save this run as the baseline, when asked to. */
  readonly saveBaselinePath: string | undefined;
  readonly resultsDir: string;
  /** Also write the tables as Markdown to this file (for the README). */
  readonly markdownPath: string | undefined;
  readonly list: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [filter …] [--quick | --full] [--compare FILE] [--tolerance-pct N]
                          [--save-baseline [FILE]] [--out DIR] [--markdown FILE] [--list] [--help]

  filter              run only suites or tasks whose name contains it (suite or suite/task; any case)
  --quick             small sizes, every suite in under 3 minutes in total
  --full              full sizes (default); suites that need minutes say so before they start
  --compare FILE      compare with a saved results file; exit 1 when a task fell more than the tolerance
                      beyond its noise (tasks with an in-run baseline compare that ratio, others raw values)
  --tolerance-pct N   the tolerance of --compare in percent (default ${DEFAULTS.tolerancePct})
  --save-baseline     also write this run to ${DEFAULTS.baselinePath} (or FILE)
  --out DIR           where the results file goes (default ${DEFAULTS.resultsDir}/<timestamp>.json)
  --markdown FILE     also write the suite tables as Markdown
  --list              list the suites and tasks of the mode, run nothing`;

function invalid(message: string, option: string, value?: unknown): TierVecError {
  return new TierVecError(ErrorCode.INVALID_ARGUMENT, message, { details: { option, value } });
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { args, saveBaselinePath } = takeSaveBaseline(argv);
  const { values, positionals } = parseCommandLine(args);
  if (values.quick && values.full)
    throw invalid('Expected at most one of `--quick` and `--full`, got both', 'mode');
  const tolerancePct = parseTolerance(values['tolerance-pct']);
  for (const option of ['compare', 'out', 'markdown'] as const) {
    if (values[option] === '')
      throw invalid(`Expected \`--${option}\` to name a file or directory`, option, '');
  }
  const filters = positionals.map((filter) => filter.trim());
  const empty = filters.indexOf('');
  if (empty !== -1)
    throw invalid(`Expected filter ${empty + 1} to be a non-empty name, got ""`, 'filter', '');
  return {
    mode: values.quick ? 'quick' : values.full ? 'full' : DEFAULTS.mode,
    filters,
    comparePath: values.compare,
    tolerancePct,
    saveBaselinePath,
    resultsDir: values.out ?? DEFAULTS.resultsDir,
    markdownPath: values.markdown,
    list: values.list ?? false,
    help: values.help ?? false,
  };
}

/**
 * `--save-baseline` takes an optional path (`--save-baseline`, `--save-baseline FILE.json`,
 * `--save-baseline=FILE`), which parseArgs cannot express, so it is taken out first.
 */
function takeSaveBaseline(argv: readonly string[]): { args: string[]; saveBaselinePath: string | undefined } {
  const args: string[] = [];
  let saveBaselinePath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--save-baseline') {
      const next = argv[i + 1];
      saveBaselinePath = next?.endsWith('.json') ? next : DEFAULTS.baselinePath;
      if (next?.endsWith('.json')) i++;
    } else if (arg.startsWith('--save-baseline=')) {
      saveBaselinePath = arg.slice('--save-baseline='.length);
      if (saveBaselinePath === '')
        throw invalid('Expected `--save-baseline=` to name a file', 'save-baseline', '');
    } else {
      args.push(arg);
    }
  }
  return { args, saveBaselinePath };
}

function parseCommandLine(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        compare: { type: 'string' },
        'tolerance-pct': { type: 'string' },
        out: { type: 'string' },
        markdown: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new TierVecError(ErrorCode.INVALID_ARGUMENT, `${(error as Error).message}\n${USAGE}`, {
      cause: error,
    });
  }
}

function parseTolerance(text: string | undefined): number {
  if (text === undefined) return DEFAULTS.tolerancePct;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw invalid(
      `Expected \`--tolerance-pct\` to be a number from 0 to 100, got ${JSON.stringify(text)}`,
      'tolerance-pct',
      text,
    );
  }
  return value;
}
