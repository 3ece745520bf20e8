/**
 * Typed, position-aware reading of a parsed TOML table, for the scenario loader.
 *
 * A `TableReader` hands out one typed value per key and remembers which keys it handed out; `done()`
 * then rejects every key nobody asked for, so an unknown key (a typo such as `in_flight_mx`) is an
 * error rather than a silently ignored setting. Every rejection is a SCENARIO_INVALID error whose
 * message reads `file:line: key: expected …, got …` (`scenarioError` with the table's source).
 * This module knows nothing about scenarios: it checks shapes and ranges, never meaning.
 */

import { describeValue, type TierVecError } from '../../errors.ts';
import { scenarioError } from '../field-check.ts';
import type { TomlPath, TomlSource } from '../toml-lines.ts';

export interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (for "greater than zero"). */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  integer?: boolean;
}

type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export class TableReader {
  readonly source: TomlSource;
  readonly path: TomlPath;
  readonly #table: Table;
  readonly #read = new Set<string>();

  constructor(source: TomlSource, table: Table, path: TomlPath = []) {
    this.source = source;
    this.#table = table;
    this.path = path;
  }

  /** Whether the key is present (marks nothing as read). */
  has(key: string): boolean {
    return this.#table[key] !== undefined;
  }

  /** The keys present in the table, in file order. */
  keys(): string[] {
    return Object.keys(this.#table);
  }

  error(key: string | undefined, message: string): TierVecError {
    return scenarioError(key === undefined ? this.path : [...this.path, key], message, {
      source: this.source,
    });
  }

  string(key: string): string;
  string(key: string, fallback: string): string;
  string(key: string, fallback: undefined): string | undefined;
  string(key: string, ...fallback: [] | [string | undefined]): string | undefined {
    const value = this.#take(key, fallback.length > 0, 'a string');
    if (value === undefined) return fallback[0];
    if (typeof value !== 'string') throw this.#wrongType(key, 'a string', value);
    return value;
  }

  /** One of `choices`, e.g. `"open" | "closed"`. */
  choice<T extends string>(key: string, choices: readonly T[], fallback?: T): T {
    const value = this.#take(key, fallback !== undefined, this.#choiceText(choices));
    if (value === undefined) return fallback as T;
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      throw this.#wrongType(key, this.#choiceText(choices), value);
    }
    return value as T;
  }

  number(key: string, rule?: NumberRule): number;
  number(key: string, rule: NumberRule, fallback: number): number;
  number(key: string, rule: NumberRule, fallback: undefined): number | undefined;
  number(key: string, rule: NumberRule = {}, ...fallback: [] | [number | undefined]): number | undefined {
    const expectation = describeRule(rule);
    const value = this.#take(key, fallback.length > 0, expectation);
    if (value === undefined) return fallback[0];
    if (typeof value !== 'number' || !Number.isFinite(value) || !satisfies(value, rule)) {
      throw this.#wrongType(key, expectation, value);
    }
    return value;
  }

  boolean(key: string, fallback?: boolean): boolean {
    const value = this.#take(key, fallback !== undefined, 'true or false');
    if (value === undefined) return fallback as boolean;
    if (typeof value !== 'boolean') throw this.#wrongType(key, 'true or false', value);
    return value;
  }

  /** A list of strings, each one of `choices` when given. */
  strings(key: string, choices?: readonly string[]): string[] | undefined {
    const expectation =
      choices === undefined ? 'a list of strings' : `a list of ${this.#choiceText(choices)}`;
    const value = this.#take(key, true, expectation);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw this.#wrongType(key, expectation, value);
    for (const item of value) {
      if (typeof item !== 'string' || (choices !== undefined && !choices.includes(item))) {
        throw this.#wrongType(key, expectation, item);
      }
    }
    return value as string[];
  }

  /** A sub-table (`[a.b]` or an inline table); undefined when absent and optional. */
  table(key: string, required: true): TableReader;
  table(key: string, required?: false): TableReader | undefined;
  table(key: string, required = false): TableReader | undefined {
    const value = this.#take(key, !required, 'a table');
    if (value === undefined) return undefined;
    if (!isTable(value)) throw this.#wrongType(key, 'a table', value);
    return new TableReader(this.source, value, [...this.path, key]);
  }

  /** An array of tables (`[[group]]` or a list of inline tables); empty when absent. */
  tables(key: string): TableReader[] {
    const value = this.#take(key, true, 'a list of tables');
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw this.#wrongType(key, 'a list of tables', value);
    return value.map((item, index) => {
      if (!isTable(item)) {
        throw scenarioError([...this.path, key, index], `expected a table, got ${describeValue(item)}`, {
          source: this.source,
        });
      }
      return new TableReader(this.source, item, [...this.path, key, index]);
    });
  }

  /** The raw value of one key, marked as read, for callers that check an unusual shape themselves. */
  raw(key: string): unknown {
    return this.#take(key, true, '');
  }

  /** Rejects the first key that was never read: an unknown key. */
  done(): void {
    for (const key of Object.keys(this.#table)) {
      if (!this.#read.has(key)) throw this.error(key, 'unknown key');
    }
  }

  #take(key: string, optional: boolean, expectation: string): unknown {
    this.#read.add(key);
    const value = this.#table[key];
    if (value === undefined && !optional) throw this.error(key, `missing; expected ${expectation}`);
    return value;
  }

  #wrongType(key: string, expectation: string, value: unknown): TierVecError {
    return this.error(key, `expected ${expectation}, got ${describeValue(value)}`);
  }

  #choiceText(choices: readonly string[]): string {
    return `one of ${choices.map((choice) => JSON.stringify(choice)).join(', ')}`;
  }
}

function satisfies(value: number, rule: NumberRule): boolean {
  if (rule.integer === true && !Number.isInteger(value)) return false;
  if (rule.min !== undefined && value < rule.min) return false;
  if (rule.above !== undefined && value <= rule.above) return false;
  if (rule.max !== undefined && value > rule.max) return false;
  return true;
}

function describeRule(rule: NumberRule): string {
  const noun = rule.integer === true ? 'an integer' : 'a number';
  const bounds: string[] = [];
  if (rule.min !== undefined) bounds.push(`>= ${rule.min}`);
  if (rule.above !== undefined) bounds.push(`> ${rule.above}`);
  if (rule.max !== undefined) bounds.push(`<= ${rule.max}`);
  return bounds.length === 0 ? noun : `${noun} ${bounds.join(' and ')}`;
}
