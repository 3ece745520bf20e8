/**
 * The fault rules of `MockS3ObjectStore`: deterministic patterns, seeded flaky failures and
 * always-fail (partition), with their validation. This module decides which injected error, if any,
 * a request gets; it never touches stored objects and never looks at the clock, so the same rules,
 * seed and sequence of requests always give the same decisions.
 *
 * Every rule whose scope matches a request is consulted on every such request, in the order given,
 * whether or not an earlier rule already failed it: a pattern's position counts the matching requests
 * and a flaky rule draws one number per matching request. A rule's decisions therefore do not depend
 * on the other rules, and the first rule that fails a request names its error.
 */

import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import type { Rng } from '../../random.ts';
import type { ObjectStoreOperation } from './object-store.ts';
import { isS3ErrorCode, S3_ERRORS, type S3ErrorCode } from './object-store-error.ts';

export const OBJECT_STORE_OPERATIONS: readonly ObjectStoreOperation[] = Object.freeze([
  'put',
  'get',
  'head',
  'delete',
  'list',
]);

/** Longest pattern accepted, so a typo cannot allocate without bound. */
export const PATTERN_STEPS_MAX = 100_000;

export interface MockFailureScope {
  /** Operations the rule applies to. @default every operation */
  operations?: readonly ObjectStoreOperation[];
  /** Only keys (for `list`: prefixes) starting with this. @default '' (every key) */
  keyPrefix?: string;
}

/** For patterns and flaky rules: what the failed request did before it failed. */
export interface MockAnswerLoss {
  /**
   * The request takes effect and only its answer is lost: the object is stored (or deleted) and the
   * caller still gets the error, like a PUT that succeeded at S3 whose response never arrived.
   * @default false
   */
  answerLost?: boolean;
}

/** Fails the matching requests in order: `'ok'` lets one through. Then success, or again if `repeat`. */
export interface MockPatternFailure extends MockFailureScope, MockAnswerLoss {
  pattern: readonly (S3ErrorCode | 'ok')[];
  /** Start the pattern over when it is used up. @default false */
  repeat?: boolean;
}

/** Fails each matching request with probability `rate`, drawn from the mock's seeded generator. */
export interface MockFlakyFailure extends MockFailureScope, MockAnswerLoss {
  rate: number;
  code: S3ErrorCode;
}

/** Fails every matching request until `heal()`. */
export interface MockAlwaysFailure extends MockFailureScope {
  always: S3ErrorCode;
}

export type MockFailureRule = MockPatternFailure | MockFlakyFailure | MockAlwaysFailure;

/** The injected error chosen for one request, and which rule chose it (for messages). */
export interface InjectedFault {
  code: S3ErrorCode;
  source: string;
  /** The request takes effect before the error is returned (its answer is lost). */
  answerLost: boolean;
}

interface CompiledRule {
  source: string;
  operations: ReadonlySet<ObjectStoreOperation>;
  keyPrefix: string;
  answerLost: boolean;
  decide(): S3ErrorCode | undefined;
}

function invalid(name: string, expectation: string, value: unknown): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected \`${name}\` to be ${expectation}, got ${describeValue(value)}`,
    { details: { option: name, value } },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkCode(name: string, value: unknown): S3ErrorCode {
  if (!isS3ErrorCode(value)) {
    throw invalid(name, `an S3 error code (${Object.keys(S3_ERRORS).join(', ')})`, value);
  }
  return value;
}

function checkKeys(name: string, rule: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(rule)) {
    if (!allowed.includes(key))
      throw invalid(`${name}.${key}`, `absent (allowed: ${allowed.join(', ')})`, key);
  }
}

export function checkScope(name: string, rule: Record<string, unknown>): Required<MockFailureScope> {
  const { operations, keyPrefix } = rule;
  if (keyPrefix !== undefined && typeof keyPrefix !== 'string') {
    throw invalid(`${name}.keyPrefix`, 'a string', keyPrefix);
  }
  if (operations === undefined) return { operations: OBJECT_STORE_OPERATIONS, keyPrefix: keyPrefix ?? '' };
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalid(
      `${name}.operations`,
      `a non-empty array of ${OBJECT_STORE_OPERATIONS.join(', ')}`,
      operations,
    );
  }
  operations.forEach((operation, index) => {
    if (!OBJECT_STORE_OPERATIONS.includes(operation)) {
      throw invalid(
        `${name}.operations[${index}]`,
        `one of ${OBJECT_STORE_OPERATIONS.join(', ')}`,
        operation,
      );
    }
  });
  return { operations: operations as ObjectStoreOperation[], keyPrefix: keyPrefix ?? '' };
}

function compilePattern(name: string, rule: Record<string, unknown>): () => S3ErrorCode | undefined {
  checkKeys(name, rule, ['pattern', 'repeat', 'operations', 'keyPrefix', 'answerLost']);
  const { pattern, repeat } = rule;
  if (!Array.isArray(pattern) || pattern.length === 0 || pattern.length > PATTERN_STEPS_MAX) {
    throw invalid(
      `${name}.pattern`,
      `an array of 1 to ${PATTERN_STEPS_MAX} steps ('ok' or an S3 code)`,
      pattern,
    );
  }
  const steps = pattern.map((step, index) =>
    step === 'ok' ? 'ok' : checkCode(`${name}.pattern[${index}]`, step),
  );
  if (repeat !== undefined && typeof repeat !== 'boolean')
    throw invalid(`${name}.repeat`, 'a boolean', repeat);
  let position = 0;
  return () => {
    if (position >= steps.length) {
      if (repeat !== true) return undefined;
      position = 0;
    }
    const step = steps[position++];
    return step === 'ok' ? undefined : step;
  };
}

function compileFlaky(name: string, rule: Record<string, unknown>, rng: Rng): () => S3ErrorCode | undefined {
  checkKeys(name, rule, ['rate', 'code', 'operations', 'keyPrefix', 'answerLost']);
  const { rate } = rule;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw invalid(`${name}.rate`, 'a number from 0 to 1', rate);
  }
  const code = checkCode(`${name}.code`, rule.code);
  return () => (rng.next() < rate ? code : undefined);
}

/** Validates one rule and turns it into a decision function with its own state. */
function compileRule(name: string, rule: unknown, rng: Rng, isHealed: () => boolean): CompiledRule {
  if (!isPlainObject(rule)) throw invalid(name, 'an object with `pattern`, `rate` or `always`', rule);
  const kinds = ['pattern', 'rate', 'always'].filter((kind) => rule[kind] !== undefined);
  if (kinds.length !== 1) {
    throw invalid(
      name,
      'a rule with exactly one of `pattern`, `rate` or `always`',
      kinds.join(' and ') || rule,
    );
  }
  const scope = checkScope(name, rule);
  const { answerLost } = rule;
  if (answerLost !== undefined && typeof answerLost !== 'boolean') {
    throw invalid(`${name}.answerLost`, 'a boolean', answerLost);
  }
  let decide: () => S3ErrorCode | undefined;
  if (kinds[0] === 'pattern') decide = compilePattern(name, rule);
  else if (kinds[0] === 'rate') decide = compileFlaky(name, rule, rng.fork(name));
  else {
    checkKeys(name, rule, ['always', 'operations', 'keyPrefix']);
    const code = checkCode(`${name}.always`, rule.always);
    decide = () => (isHealed() ? undefined : code);
  }
  return {
    source: `${name} (${kinds[0]})`,
    operations: new Set(scope.operations),
    keyPrefix: scope.keyPrefix,
    answerLost: answerLost === true,
    decide,
  };
}

function matches(
  rule: Pick<CompiledRule, 'operations' | 'keyPrefix'>,
  operation: ObjectStoreOperation,
  key: string,
) {
  return rule.operations.has(operation) && key.startsWith(rule.keyPrefix);
}

/** The runtime state of a mock's faults: the configured rules and the switchable partition. */
export class MockS3Faults {
  #rules: CompiledRule[];
  readonly #rng: Rng;
  #healed = false;
  #cleared = false;
  #partition: (Pick<CompiledRule, 'operations' | 'keyPrefix'> & { code: S3ErrorCode }) | undefined;

  /** `failures` is the user's option, validated here; flaky rules draw from forks of `rng`. */
  constructor(failures: unknown, rng: Rng) {
    this.#rng = rng;
    this.#rules = this.#compile(failures, rng);
  }

  /**
   * Replaces the configured rules (validated first: a bad rule changes nothing) and switches them
   * on, as if the mock had been built with them; the partition is left as it is. Flaky rules draw
   * from a stream forked by `label`, so the same sequence of calls replays the same faults.
   */
  setRules(failures: unknown, label: string): void {
    this.#rules = this.#compile(failures, this.#rng.fork(label));
    this.#healed = false;
    this.#cleared = false;
  }

  #compile(failures: unknown, rng: Rng): CompiledRule[] {
    const list = failures === undefined ? [] : Array.isArray(failures) ? failures : [failures];
    const name = (index: number) => (Array.isArray(failures) ? `failures[${index}]` : 'failures');
    return list.map((rule, index) => compileRule(name(index), rule, rng, () => this.#healed));
  }

  /** Fails every matching request with `code` until `heal()`. */
  partition(code: S3ErrorCode, scope: MockFailureScope = {}): void {
    const checked = checkScope('partition', { ...scope });
    this.#partition = {
      code: checkCode('partition(code)', code),
      operations: new Set(checked.operations),
      keyPrefix: checked.keyPrefix,
    };
  }

  /** Ends the runtime partition and every configured `always` rule. Patterns and flaky rules go on. */
  heal(): void {
    this.#partition = undefined;
    this.#healed = true;
  }

  /** Ends the partition and turns every configured rule off for good: no request fails from here on. */
  clear(): void {
    this.heal();
    this.#cleared = true;
  }

  get partitioned(): boolean {
    return this.#partition !== undefined;
  }

  /** The injected error for this request, or undefined; advances every matching rule's state. */
  decide(operation: ObjectStoreOperation, key: string): InjectedFault | undefined {
    let fault: InjectedFault | undefined;
    if (this.#partition !== undefined && matches(this.#partition, operation, key)) {
      fault = { code: this.#partition.code, source: 'partition', answerLost: false };
    }
    if (this.#cleared) return fault;
    for (const rule of this.#rules) {
      if (!matches(rule, operation, key)) continue;
      const code = rule.decide();
      if (code !== undefined && fault === undefined) {
        fault = { code, source: rule.source, answerLost: rule.answerLost };
      }
    }
    return fault;
  }
}
