import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../src/errors.ts';
import {
  boolean,
  checkOption,
  checkOptions,
  custom,
  integer,
  listValues,
  nested,
  nullable,
  number,
  oneOf,
  optional,
  pickOptions,
  withMethods,
} from '../../src/options.ts';

const LIMITS = Object.freeze({
  sizeMax: integer(1, 100),
  sizeMin: integer(0, (checked) => checked.sizeMax as number),
  ratio: nullable(number(0, 1)),
  mode: oneOf(['wait', 'reject']),
  verbose: optional(boolean()),
  store: optional(withMethods<{ put(): void }>('an ObjectStore', ['put'])),
  inner: nested({ delayMs: integer(0, 10) }, { delayMs: 5 }),
});
const DEFAULTS = Object.freeze({ sizeMax: 10, sizeMin: 0, ratio: null, mode: 'wait' });

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    return error as Error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('checkOptions', () => {
  it('takes the defaults for options left out or given as undefined, and returns them frozen', () => {
    const checked = checkOptions({ sizeMax: 20, mode: undefined }, LIMITS, DEFAULTS);
    expect(checked).toEqual({
      sizeMax: 20,
      sizeMin: 0,
      ratio: null,
      mode: 'wait',
      verbose: undefined,
      store: undefined,
      inner: { delayMs: 5 },
    });
    expect(Object.isFrozen(checked)).toBe(true);
    expect(Object.isFrozen(checked.inner)).toBe(true);
  });

  it('rejects an unknown key with INVALID_ARGUMENT naming it and the allowed keys', () => {
    const error = errorOf(() => checkOptions({ sizeMx: 3 }, LIMITS, DEFAULTS));
    expect(error.message).toBe(
      'Unknown option `options.sizeMx`: `sizeMx` is not one of `sizeMax`, `sizeMin`, `ratio`, `mode`, `verbose`, `store`, `inner`',
    );
    expect(errorOf(() => checkOptions({ inner: { delay: 1 } }, LIMITS, DEFAULTS)).message).toContain(
      '`inner.delay`',
    );
  });

  it('rejects anything but a non-array object, naming it', () => {
    for (const input of [null, 3, 'x', [1]]) {
      expect(errorOf(() => checkOptions(input, LIMITS, DEFAULTS)).message).toMatch(
        /^Expected `options` to be an object, got /,
      );
    }
    expect(errorOf(() => checkOptions({ inner: 'fast' }, LIMITS, DEFAULTS)).message).toBe(
      'Expected `inner` to be an object, got "fast"',
    );
  });

  it('names each option by its path and says what was expected', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sizeMax: 0 }, 'Expected `sizeMax` to be an integer from 1 to 100, got 0'],
      [{ sizeMax: 10, sizeMin: 11 }, 'Expected `sizeMin` to be an integer from 0 to 10, got 11'],
      [{ ratio: 2 }, 'Expected `ratio` to be a number from 0 to 1, got 2'],
      [{ mode: 'drop' }, `Expected \`mode\` to be 'wait' or 'reject', got "drop"`],
      [{ verbose: 'yes' }, 'Expected `verbose` to be a boolean, got "yes"'],
      [{ store: {} }, 'Expected `store` to be an ObjectStore, got a object'],
      [{ inner: { delayMs: 11 } }, 'Expected `inner.delayMs` to be an integer from 0 to 10, got 11'],
    ];
    for (const [input, message] of cases) {
      const error = errorOf(() => checkOptions(input, LIMITS, DEFAULTS));
      expect(error.message).toBe(message);
    }
  });

  it('puts the details of the bad option on the error', () => {
    const error = errorOf(() => checkOptions({ sizeMax: -1 }, LIMITS, DEFAULTS));
    expect((error as unknown as { details: unknown }).details).toEqual({ option: 'sizeMax', value: -1 });
  });

  it('checks options in the order of the limits object, so a bound can depend on an earlier option', () => {
    const order: string[] = [];
    const seen = (name: string) => custom((value) => order.push(name) && value);
    checkOptions({ b: 1, a: 2 }, { a: seen('a'), b: seen('b') });
    expect(order).toEqual(['a', 'b']);
  });

  it('keeps the rule bounds readable on the limits object', () => {
    expect(LIMITS.sizeMax.min).toBe(1);
    expect(LIMITS.sizeMax.max).toBe(100);
    expect(LIMITS.mode.values).toEqual(['wait', 'reject']);
  });
});

describe('checkOption, listValues and pickOptions', () => {
  it('checks one argument against one rule', () => {
    expect(checkOption('tier', 'warm', oneOf(['hot', 'warm', 'cold']))).toBe('warm');
    expect(errorOf(() => checkOption('tier', 'lukewarm', oneOf(['hot', 'warm', 'cold']))).message).toBe(
      `Expected \`tier\` to be 'hot', 'warm' or 'cold', got "lukewarm"`,
    );
  });

  it('lists values the way messages say them', () => {
    expect(listValues(['a'])).toBe("'a'");
    expect(listValues(['a', 'b'])).toBe("'a' or 'b'");
    expect(listValues(['a', 2, true])).toBe("'a', 2 or true");
  });

  it('picks the named entries only', () => {
    expect(pickOptions({ a: 1, b: 2, c: 3 }, ['a', 'c'])).toEqual({ a: 1, c: 3 });
  });
});
