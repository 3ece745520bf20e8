/**
 * The one options checker. A component declares one frozen limits object: its keys are the options
 * the component accepts (any other key is rejected), its values are rules saying what each option
 * must be (an integer or number range, one of a few values, a boolean, something that passes a
 * test, or a nested options object with limits of its own). `checkOptions` takes the component's
 * defaults for every option the caller left out (an explicit `undefined` means "the default"),
 * checks the options in the order of the limits object, and returns the checked values, frozen.
 *
 * Every rejection is a TierVecError INVALID_ARGUMENT that names the option by its path
 * (`retry.attemptsMax`; a top-level option bare, `concurrencyMax`) and says what was expected:
 * "Expected `x` to be …, got …"; an unknown key reads "Unknown option `options.x`: `x` is not one of
 * …". `null` is a value like any other: only a `nullable` rule accepts it. This module holds no
 * component's limits or defaults, and it only reads the objects it is given.
 */

import { checkInteger, checkNumber, describeValue, ErrorCode, TierVecError } from './errors.ts';

/** The options already checked, in the order of the limits object: what a later rule may depend on. */
export type CheckedSoFar = Readonly<Record<string, unknown>>;

/** A range bound, fixed or computed from options checked before (`windowCallsMin` ≤ `windowCalls`). */
export type Bound = number | ((checked: CheckedSoFar) => number);

/** What one option must be. Build rules with the functions below rather than by hand. */
export interface OptionRule<T> {
  /** Checks one value (after defaults) and returns it as the component keeps it; throws INVALID_ARGUMENT. */
  readonly check: (value: unknown, path: string, checked: CheckedSoFar) => T;
  /** Lower and upper bound of a range rule, for readers of the limits (docs, tests). */
  readonly min?: Bound;
  readonly max?: Bound;
  /** The accepted values of a `oneOf` rule. */
  readonly values?: readonly unknown[];
}

export type OptionLimits = Readonly<Record<string, OptionRule<unknown>>>;

/** The checked options of a limits object: every key, with the type its rule returns. */
export type CheckedOptions<L extends OptionLimits> = {
  readonly [K in keyof L]: L[K] extends OptionRule<infer T> ? T : never;
};

/** The error of an option that is not what it should be: "Expected `path` to be expected, got value". */
export function invalidOption(path: string, expected: string, value: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected \`${path}\` to be ${expected}, got ${describeValue(value)}`,
    { details: { option: path, value } },
  );
}

function resolveBound(bound: Bound, checked: CheckedSoFar): number {
  return typeof bound === 'number' ? bound : bound(checked);
}

function range(checkRange: typeof checkInteger, min: Bound, max: Bound): OptionRule<number> {
  return {
    min,
    max,
    check: (value, path, checked) =>
      checkRange(path, value, resolveBound(min, checked), resolveBound(max, checked)),
  };
}

/** An integer from `min` to `max`, both included. */
export function integer(min: Bound, max: Bound): OptionRule<number> {
  return range(checkInteger, min, max);
}

/** A finite number from `min` to `max`, both included. */
export function number(min: Bound, max: Bound): OptionRule<number> {
  return range(checkNumber, min, max);
}

/** `'a', 'b' or 'c'`: how messages list the accepted values. */
export function listValues(values: readonly unknown[]): string {
  const shown = values.map((value) => (typeof value === 'string' ? `'${value}'` : String(value)));
  return shown.length < 2 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

/** Exactly one of `values`. */
export function oneOf<const V extends readonly (string | number | boolean)[]>(
  values: V,
): OptionRule<V[number]> {
  return {
    values,
    check: (value, path) => {
      if (!values.includes(value as V[number])) throw invalidOption(path, listValues(values), value);
      return value as V[number];
    },
  };
}

/** Anything `test` accepts; `expected` says what that is in messages ("a directory path"). */
export function matching<T>(expected: string, test: (value: unknown) => boolean): OptionRule<T> {
  return {
    check: (value, path) => {
      if (!test(value)) throw invalidOption(path, expected, value);
      return value as T;
    },
  };
}

export function boolean(): OptionRule<boolean> {
  return matching('a boolean', (value) => typeof value === 'boolean');
}

/** A function (a callback, a hook). */
export function callback<T>(expected = 'a function'): OptionRule<T> {
  return matching(expected, (value) => typeof value === 'function');
}

/** An object with the named methods (an ObjectStore, a Clock). */
export function withMethods<T>(expected: string, methods: readonly string[]): OptionRule<T> {
  return matching(
    expected,
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function'),
  );
}

/** A nested options object with limits and defaults of its own; absent means all defaults. */
export function nested<L extends OptionLimits>(
  limits: L,
  defaults: Readonly<Record<string, unknown>> = {},
): OptionRule<CheckedOptions<L>> {
  return { check: (value, path) => checkOptions(value === undefined ? {} : value, limits, defaults, path) };
}

/** A check written by the component, for what the rules above cannot say. */
export function custom<T>(check: (value: unknown, path: string, checked: CheckedSoFar) => T): OptionRule<T> {
  return { check };
}

/** `rule`, or `undefined` when the option is neither given nor defaulted. */
export function optional<T>(rule: OptionRule<T>): OptionRule<T | undefined> {
  return {
    ...rule,
    check: (value, path, checked) => (value === undefined ? undefined : rule.check(value, path, checked)),
  };
}

/** `rule`, or `null` (an option that `null` turns off). */
export function nullable<T>(rule: OptionRule<T>): OptionRule<T | null> {
  return {
    ...rule,
    check: (value, path, checked) => (value === null ? null : rule.check(value, path, checked)),
  };
}

/** The entries of `keys` only: the rules, or the checked values, an option passes on to another component. */
export function pickOptions<O extends object, K extends keyof O>(options: O, keys: readonly K[]): Pick<O, K> {
  return Object.fromEntries(keys.map((key) => [key, options[key]])) as Pick<O, K>;
}

/** Every entry but those of `keys`: the rules a component takes over from another, less what it sets itself. */
export function omitOptions<O extends object, K extends keyof O>(options: O, keys: readonly K[]): Omit<O, K> {
  return Object.fromEntries(
    Object.entries(options).filter(([key]) => !(keys as readonly PropertyKey[]).includes(key)),
  ) as Omit<O, K>;
}

/** Checks one value against one rule (an argument rather than an option: `setTier(tier)`). */
export function checkOption<T>(path: string, value: unknown, rule: OptionRule<T>): T {
  return rule.check(value, path, {});
}

/**
 * Checks `input` against `limits`: rejects anything but a non-array object and any key the limits do
 * not name, takes `defaults` for the options left out, checks each option in the order of `limits`.
 * `path` names a nested object (`retry`); the options of the top-level object are named bare.
 */
export function checkOptions<L extends OptionLimits>(
  input: unknown,
  limits: L,
  defaults: Readonly<Record<string, unknown>> = {},
  path?: string,
): CheckedOptions<L> {
  const name = path ?? 'options';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidOption(name, 'an object', input);
  }
  const given = input as Record<string, unknown>;
  const keys = Object.keys(limits);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(limits, key)) {
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Unknown option \`${name}.${key}\`: \`${key}\` is not one of ${keys.map((k) => `\`${k}\``).join(', ')}`,
        { details: { option: `${name}.${key}`, value: given[key] } },
      );
    }
  }
  const checked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = given[key] === undefined ? defaults[key] : given[key];
    checked[key] = (limits[key] as OptionRule<unknown>).check(
      value,
      path === undefined ? key : `${path}.${key}`,
      checked,
    );
  }
  return Object.freeze(checked) as CheckedOptions<L>;
}
