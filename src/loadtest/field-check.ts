/**
 * Validation of load-test configuration fields. Every check throws a TierVecError with code
 * SCENARIO_INVALID, a message naming the field by its path in the configuration
 * (`load.profile.spikeRate`) and what was expected, and `details.field` so that the scenario loader
 * can point at the line of the file the field came from. Nothing here has side effects.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';

/** The error every invalid load-test configuration field produces. */
export function scenarioError(field: string, expectation: string, value: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.SCENARIO_INVALID,
    `Expected \`${field}\` to be ${expectation}, got ${describeValue(value)}`,
    { details: { field, value } },
  );
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
    throw scenarioError(field, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
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
    throw scenarioError(field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  }
  return value as T;
}

/** A non-empty string of at most `lengthMax` characters. */
export function stringField(field: string, value: unknown, lengthMax = 200): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > lengthMax) {
    throw scenarioError(field, `a non-empty string of at most ${lengthMax} characters`, value);
  }
  return value;
}

/** A plain object (not an array, not null). */
export function objectField(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw scenarioError(field, 'an object', value);
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
      throw new TierVecError(
        ErrorCode.SCENARIO_INVALID,
        `Unknown key \`${path}\`; expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
        { details: { field: path, value: value[key] } },
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
    throw new TierVecError(
      ErrorCode.SCENARIO_INVALID,
      `Expected only one of \`${path}.${secondsKey}\` and \`${path}.${fractionKey}\`, got both`,
      { details: { field: `${path}.${fractionKey}`, value: fraction } },
    );
  }
  if (seconds !== undefined) return numberField(`${path}.${secondsKey}`, seconds, 0, durationS);
  if (fraction !== undefined) return numberField(`${path}.${fractionKey}`, fraction, 0, 1) * durationS;
  if (fallbackS === undefined) {
    throw new TierVecError(
      ErrorCode.SCENARIO_INVALID,
      `Expected \`${path}.${secondsKey}\` or \`${path}.${fractionKey}\` to be given`,
      { details: { field: `${path}.${secondsKey}`, value: undefined } },
    );
  }
  return fallbackS;
}
