/**
 * How long a whole `node` process takes to start tiervec, measured the way a user meets it: the
 * command `package.json`'s `bin.tiervec` names, run with `--version`, and a plain program that
 * imports the package by name (so `exports['.']` resolves it), each beside a bare `node -e 0` run
 * in the same rounds. The entries are read from package.json when the bench runs, so the figures
 * follow the package wherever its bin and exports point; an entry that is TypeScript is run
 * through tsx (`node --import tsx`), and its figure names say `via-tsx`.
 *
 * The package's entries are its compiled JavaScript (dist/): when the exports entry is missing,
 * `ensureBuilt` runs `npm run build` first, so the figures are those of the package users install.
 * This module starts child processes and times them; it never prints, and changes no file but dist/.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the package directory whose package.json is read). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StartupCommand {
  /** Stable part of the figure names: `node-e-0`, `tiervec-version`, `import-tiervec` (+ `-via-tsx`). */
  readonly key: string;
  /** What runs, as a reader would type it. */
  readonly label: string;
  /** Arguments to the current `node` executable. */
  readonly args: readonly string[];
  /** The standard output the process must print (trimmed), when it is known. */
  readonly stdout?: string;
}

export interface StartupCommands {
  readonly baseline: StartupCommand;
  readonly version: StartupCommand;
  readonly importEntry: StartupCommand;
}

interface PackageJson {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly bin?: unknown;
  readonly exports?: unknown;
}

const CONDITIONS = ['import', 'node', 'default'] as const;
/** Nesting of export conditions followed at most (`{ ".": { "import": { "default": … } } }`). */
const CONDITION_DEPTH_MAX = 4;

const isTypeScript = (path: string) => /\.[cm]?ts$/.test(path) && !path.endsWith('.d.ts');

function fail(message: string): never {
  throw new Error(`startup bench: package.json ${message}`);
}

/** The file `bin.tiervec` (or a string `bin`) names. */
export function binEntry(pkg: PackageJson): string {
  const { bin } = pkg;
  if (typeof bin === 'string') return bin;
  const named =
    typeof bin === 'object' && bin !== null ? (bin as Record<string, unknown>).tiervec : undefined;
  if (typeof named !== 'string') fail('has no bin.tiervec');
  return named;
}

/** The file `import('<name>')` resolves to through `exports['.']` (import, node or default condition). */
export function exportsEntry(pkg: PackageJson): string {
  const { exports } = pkg;
  let target: unknown =
    typeof exports === 'object' && exports !== null && '.' in exports
      ? (exports as Record<string, unknown>)['.']
      : exports;
  for (let depth = 0; depth < CONDITION_DEPTH_MAX && typeof target === 'object' && target !== null; depth++) {
    const conditions = target as Record<string, unknown>;
    target = conditions[CONDITIONS.find((condition) => condition in conditions) ?? 'default'];
  }
  if (typeof target !== 'string') fail("has no exports['.'] entry for import");
  return target;
}

/** The three commands timed, from a parsed package.json. */
export function startupCommands(pkg: PackageJson): StartupCommands {
  if (typeof pkg.name !== 'string') fail('has no name');
  const bin = binEntry(pkg);
  const entry = exportsEntry(pkg);
  const binTsx = isTypeScript(bin);
  const entryTsx = isTypeScript(entry);
  const program = `await import('${pkg.name}')`;
  return {
    baseline: { key: 'node-e-0', label: 'node -e 0', args: ['-e', '0'] },
    version: {
      key: binTsx ? 'tiervec-version-via-tsx' : 'tiervec-version',
      label: `node ${binTsx ? '--import tsx ' : ''}${bin} --version`,
      args: [...(binTsx ? ['--import', 'tsx'] : []), bin, '--version'],
      ...(typeof pkg.version === 'string' ? { stdout: pkg.version } : {}),
    },
    importEntry: {
      key: entryTsx ? `import-${pkg.name}-via-tsx` : `import-${pkg.name}`,
      label: `node ${entryTsx ? '--import tsx ' : ''}-e "${program}" (→ ${entry})`,
      args: [...(entryTsx ? ['--import', 'tsx'] : []), '--input-type=module', '-e', program],
    },
  };
}

export function readPackageJson(root: string = PACKAGE_ROOT): PackageJson {
  return JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as PackageJson;
}

/** Process start and exit limit; a start that takes longer is broken, not slow. */
const RUN_TIMEOUT_MS = 60_000;

/** Milliseconds from spawning `node` with the command's arguments to its exit; throws if it failed. */
export function timeCommand(command: StartupCommand, root: string = PACKAGE_ROOT): number {
  const startMs = performance.now();
  const run = spawnSync(process.execPath, command.args, {
    cwd: root,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
  });
  const elapsedMs = performance.now() - startMs;
  if (run.error !== undefined || run.status !== 0) {
    const cause = run.error?.message ?? `exit ${run.status ?? run.signal}: ${run.stderr.trim().slice(-500)}`;
    throw new Error(`startup bench: ${command.label} failed (${cause})`);
  }
  if (command.stdout !== undefined && run.stdout.trim() !== command.stdout)
    throw new Error(`startup bench: ${command.label} printed ${JSON.stringify(run.stdout.trim())}`);
  return elapsedMs;
}

/**
 * Builds dist/ (`npm run build`) when the package's JavaScript exports entry is missing; returns
 * whether it built. A TypeScript entry needs no build.
 */
export function ensureBuilt(pkg: PackageJson, root: string = PACKAGE_ROOT): boolean {
  const entry = exportsEntry(pkg);
  if (isTypeScript(entry) || existsSync(join(root, entry))) return false;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0 || !existsSync(join(root, entry))) {
    throw new Error(
      `startup bench: npm run build did not produce ${entry}: ${run.stderr || run.stdout || run.error}`,
    );
  }
  return true;
}

export interface StartupSamples {
  readonly commands: StartupCommands;
  /** Milliseconds per run, per command, in run order (after one untimed warm-up run each). */
  readonly ms: Record<keyof StartupCommands, number[]>;
}

/**
 * Runs each command once untimed (to warm the file cache), then `runs` rounds of the three in turn,
 * so that a neighbour's burst of load slows all three alike.
 */
export function runStartupBench(commands: StartupCommands, runs: number, root: string = PACKAGE_ROOT) {
  const order = ['baseline', 'version', 'importEntry'] as const;
  for (const name of order) timeCommand(commands[name], root);
  const ms: StartupSamples['ms'] = { baseline: [], version: [], importEntry: [] };
  for (let round = 0; round < runs; round++) {
    for (const name of order) ms[name].push(timeCommand(commands[name], root));
  }
  return { commands, ms } satisfies StartupSamples;
}
