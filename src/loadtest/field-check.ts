/**
 * Validation of load-test configuration fields, and the one SCENARIO_INVALID error both the engine
 * and the scenario file reader throw. A field is named by its path: in the engine's configuration
 * (`load.profile.spikeRate`, kept in `details.field` so that the scenario loader can later point at
 * the line of the file the field came from), or in a scenario file, whose errors read
 * `file:line: key: message`. Nothing here has side effects.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import { formatTomlPath, lineOf, type TomlPath, type TomlSource } from './toml-lines.ts';

export interface ScenarioErrorOptions {
  /** The file the field was read from: the message then names the file, line and key. */
  source?: TomlSource;
  /** The offending value, kept in `details.value` of configuration errors. */
  value?: unknown;
}

/**
 * The SCENARIO_INVALID error for the field at `path`: `load.profile.rate` in a configuration, or
 * `['group', 1, 'profile', 'rate']` in a file. With a `source`, the message is prefixed with
 * `file:line: key:` and `details` holds the file, line and key; without, `details.field` holds the path.
 */
export function scenarioError(
  path: string | TomlPath,
  message: string,
  options: ScenarioErrorOptions = {},
): TierVecError {
  const key = typeof path === 'string' ? path : formatTomlPath(path);
  const { source } = options;
  if (source === undefined) {
    return new TierVecError(ErrorCode.SCENARIO_INVALID, message, {
      details: { field: key, value: options.value },
    });
  }
  const line = lineOf(source.lines, typeof path === 'string' ? path.split('.') : path);
  const where = line === undefined ? source.file : `${source.file}:${line}`;
  return new TierVecError(ErrorCode.SCENARIO_INVALID, `${where}: ${key}: ${message}`, {
    details: { file: source.file, line, key },
  });
}

/** The engine's error for a configuration field that is not what it should be. */
export function fieldError(field: string, expectation: string, value: unknown): TierVecError {
  return scenarioError(field, `Expected \`${field}\` to be ${expectation}, got ${describeValue(value)}`, {
    value,
  });
}

/** A finite number within [min, max] (integer when asked). */
export function numberField(
  field: string,
  value: unknown,
  min: number,
  max: number,
  options: { integer?: boolean } = {},
): number {
  const integer = options.integer === true;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw fieldError(field, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
  }
  return value;
}

/** Like `numberField`, but `undefined` yields `fallback`. */
export function optionalNumberField(
  field: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
  options: { integer?: boolean } = {},
): number {
  return value === undefined ? fallback : numberField(field, value, min, max, options);
}

/** One of a fixed list of strings. */
export function enumField<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw fieldError(field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  }
  return value as T;
}

/** A non-empty string of at most `lengthMax` characters. */
export function stringField(field: string, value: unknown, lengthMax = 200): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > lengthMax) {
    throw fieldError(field, `a non-empty string of at most ${lengthMax} characters`, value);
  }
  return value;
}

/** A plain object (not an array, not null). */
export function objectField(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fieldError(field, 'an object', value);
  }
  return value as Record<string, unknown>;
}

/** Rejects keys outside `allowed`, naming the first unknown one with its full path. */
export function rejectUnknownKeys(
  field: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const path = field === '' ? key : `${field}.${key}`;
      throw scenarioError(
        path,
        `Unknown key \`${path}\`; expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
        { value: value[key] },
      );
    }
  }
}

/**
 * A point in time or a length of time given either in seconds (`<base>S`) or as a fraction of the
 * run's duration (`<base>Fraction`), so that one scenario serves short and full durations. Returns
 * seconds, or `fallbackS` when neither is given (throws when neither is given and no fallback exists).
 */
export function timeField(
  spec: Record<string, unknown>,
  base: string,
  path: string,
  durationS: number,
  fallbackS?: number,
): number {
  const secondsKey = `${base}S`;
  const fractionKey = `${base}Fraction`;
  const seconds = spec[secondsKey];
  const fraction = spec[fractionKey];
  if (seconds !== undefined && fraction !== undefined) {
    throw scenarioError(
      `${path}.${fractionKey}`,
      `Expected only one of \`${path}.${secondsKey}\` and \`${path}.${fractionKey}\`, got both`,
      { value: fraction },
    );
  }
  if (seconds !== undefined) return numberField(`${path}.${secondsKey}`, seconds, 0, durationS);
  if (fraction !== undefined) return numberField(`${path}.${fractionKey}`, fraction, 0, 1) * durationS;
  if (fallbackS === undefined) {
    throw scenarioError(
      `${path}.${secondsKey}`,
      `Expected \`${path}.${secondsKey}\` or \`${path}.${fractionKey}\` to be given`,
    );
  }
  return fallbackS;
}
