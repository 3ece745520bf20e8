/**
 * Scenario files: finding them, reading them and resolving one for a mode. A scenario is named
 * either by a path to a `.toml` file or by the name of a shipped one (`smoke` is
 * `scenarios/smoke.toml` in the package). Every problem with a file is a SCENARIO_INVALID error that
 * names the file, the line and the key; nothing here runs a load.
 */

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, TierVecError } from '../../errors.ts';
import { resolveLoadTestConfig } from '../config.ts';
import { readScenario } from './read-scenario.ts';
import { resolveScenario, type ScenarioOverrides, type ScenarioRun } from './resolve-scenario.ts';
import { SCENARIO_MODES, type ScenarioMode, type ScenarioSpec } from './scenario-types.ts';
import { toScenarioError } from './to-load-test-config.ts';

/** The scenarios shipped with the package. */
export const SHIPPED_SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

export interface LoadScenarioOptions {
  /** @default 'short' */
  mode?: ScenarioMode;
  overrides?: ScenarioOverrides;
  /** Where bare names are looked up. @default the shipped scenarios */
  scenariosDir?: string;
}

export interface ScenarioListing {
  name: string;
  description: string;
  file: string;
  shortS: number;
  fullS: number;
}

/** A path as given when it looks like one, else `<scenariosDir>/<name>.toml`. */
export function scenarioPath(nameOrPath: string, scenariosDir = SHIPPED_SCENARIOS_DIR): string {
  if (nameOrPath.endsWith('.toml') || nameOrPath.includes('/') || nameOrPath.includes(path.sep))
    return nameOrPath;
  return path.join(scenariosDir, `${nameOrPath}.toml`);
}

/** Reads and checks a scenario file (no mode chosen yet). */
export async function readScenarioFile(
  nameOrPath: string,
  scenariosDir = SHIPPED_SCENARIOS_DIR,
): Promise<ScenarioSpec> {
  const file = scenarioPath(nameOrPath, scenariosDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const shipped = file === nameOrPath ? '' : ` (shipped: ${(await shippedNames(scenariosDir)).join(', ')})`;
    throw new TierVecError(
      ErrorCode.SCENARIO_INVALID,
      code === 'ENOENT'
        ? `${displayPath(file)}: no such scenario file${shipped}`
        : `${displayPath(file)}: cannot read (${code ?? error})`,
      { cause: error, details: { file, line: undefined, key: undefined } },
    );
  }
  const spec = readScenario(text, displayPath(file));
  checkWithEngine(spec, text);
  return spec;
}

/**
 * The engine validates its configuration too (profiles it builds, criteria it can evaluate, such as
 * a recovery criterion without a spike); running that check for both modes here means a file that
 * loads is a file that runs, and the engine's complaints also name the file, line and key.
 */
function checkWithEngine(spec: ScenarioSpec, text: string): void {
  for (const mode of SCENARIO_MODES) {
    try {
      resolveLoadTestConfig(resolveScenario(spec, mode).config);
    } catch (error) {
      throw toScenarioError(error, spec.file, text);
    }
  }
}

/** Reads, checks and resolves a scenario for one mode, with command-line overrides. */
export async function loadScenario(
  nameOrPath: string,
  options: LoadScenarioOptions = {},
): Promise<ScenarioRun> {
  const spec = await readScenarioFile(nameOrPath, options.scenariosDir);
  return resolveScenario(spec, options.mode ?? 'short', options.overrides);
}

/** Every scenario in a directory, read and checked, sorted by name. */
export async function listScenarios(scenariosDir = SHIPPED_SCENARIOS_DIR): Promise<ScenarioListing[]> {
  const listings: ScenarioListing[] = [];
  for (const name of await shippedNames(scenariosDir)) {
    const spec = await readScenarioFile(name, scenariosDir);
    listings.push({
      name: spec.name,
      description: spec.description,
      file: spec.file,
      shortS: spec.duration.shortS,
      fullS: spec.duration.fullS,
    });
  }
  return listings;
}

async function shippedNames(scenariosDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(scenariosDir);
  } catch (error) {
    // A missing directory lists no scenarios; any other failure is the caller's to see.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.endsWith('.toml'))
    .map((entry) => entry.slice(0, -'.toml'.length))
    .sort();
}

/** Paths inside the working directory are shown relative to it, as a user would type them. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
