/**
 * Parsers for numeric command-line values. A bad value is a commander `InvalidArgumentError`, which
 * the command reports as one line (`option '--rate <n>' argument '-5' is invalid. …`) and exit 2.
 */

import { InvalidArgumentError } from 'commander';

export interface NumberOptionRule {
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
  integer?: boolean;
}

export function numberParser(rule: NumberOptionRule): (value: string) => number {
  return (value: string) => {
    const number = value.trim() === '' ? Number.NaN : Number(value);
    const ok =
      Number.isFinite(number) &&
      (rule.integer !== true || Number.isInteger(number)) &&
      (rule.min === undefined || number >= rule.min) &&
      (rule.above === undefined || number > rule.above) &&
      (rule.max === undefined || number <= rule.max);
    if (!ok) throw new InvalidArgumentError(`Expected ${describe(rule)}.`);
    return number;
  };
}

function describe(rule: NumberOptionRule): string {
  const bounds: string[] = [];
  if (rule.min !== undefined) bounds.push(`>= ${rule.min}`);
  if (rule.above !== undefined) bounds.push(`> ${rule.above}`);
  if (rule.max !== undefined) bounds.push(`<= ${rule.max}`);
  const noun = rule.integer === true ? 'an integer' : 'a number';
  return bounds.length === 0 ? noun : `${noun} ${bounds.join(' and ')}`;
}
