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

import {
  boolean,
  checkOption,
  checkOptions,
  custom,
  invalidOption,
  matching,
  number,
  type OptionRule,
  oneOf,
} from '../../options.ts';
import type { Rng } from '../../random.ts';
import type { ObjectStoreOperation } from '../object-store.ts';
import { isS3ErrorCode, S3_ERRORS, type S3ErrorCode } from '../object-store-error.ts';

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const S3_CODE: OptionRule<S3ErrorCode> = matching(
  `an S3 error code (${Object.keys(S3_ERRORS).join(', ')})`,
  isS3ErrorCode,
);

const OPERATION = oneOf(OBJECT_STORE_OPERATIONS);

const SCOPE_LIMITS = Object.freeze({
  operations: custom((value, path): readonly ObjectStoreOperation[] => {
    if (!Array.isArray(value) || value.length === 0) {
      throw invalidOption(path, `a non-empty array of ${OBJECT_STORE_OPERATIONS.join(', ')}`, value);
    }
    return value.map((operation, index) => checkOption(`${path}[${index}]`, operation, OPERATION));
  }),
  keyPrefix: matching<string>('a string', (value) => typeof value === 'string'),
});

const SCOPE_DEFAULTS = Object.freeze({
  operations: OBJECT_STORE_OPERATIONS,
  keyPrefix: '',
  repeat: false,
  answerLost: false,
});

/** What the keys of each kind of rule may be; any other key is rejected. */
const RULE_LIMITS = Object.freeze({
  pattern: Object.freeze({
    ...SCOPE_LIMITS,
    pattern: custom((value, path) => {
      if (!Array.isArray(value) || value.length === 0 || value.length > PATTERN_STEPS_MAX) {
        throw invalidOption(path, `an array of 1 to ${PATTERN_STEPS_MAX} steps ('ok' or an S3 code)`, value);
      }
      return value.map((step, index) =>
        step === 'ok' ? 'ok' : checkOption(`${path}[${index}]`, step, S3_CODE),
      );
    }),
    repeat: boolean(),
    answerLost: boolean(),
  }),
  rate: Object.freeze({ ...SCOPE_LIMITS, rate: number(0, 1), code: S3_CODE, answerLost: boolean() }),
  always: Object.freeze({ ...SCOPE_LIMITS, always: S3_CODE }),
});

export function checkScope(name: string, scope: unknown): Required<MockFailureScope> {
  return checkOptions(scope, SCOPE_LIMITS, SCOPE_DEFAULTS, name);
}

type ScopedDecider = Omit<CompiledRule, 'source'>;

function scoped(
  scope: Required<MockFailureScope> & MockAnswerLoss,
  decide: () => S3ErrorCode | undefined,
): ScopedDecider {
  return {
    operations: new Set(scope.operations),
    keyPrefix: scope.keyPrefix,
    answerLost: scope.answerLost === true,
    decide,
  };
}

function compilePattern(name: string, rule: Record<string, unknown>): ScopedDecider {
  const checked = checkOptions(rule, RULE_LIMITS.pattern, SCOPE_DEFAULTS, name);
  const { pattern: steps, repeat } = checked;
  let position = 0;
  return scoped(checked, () => {
    if (position >= steps.length) {
      if (!repeat) return undefined;
      position = 0;
    }
    const step = steps[position++];
    return step === 'ok' ? undefined : step;
  });
}

function compileFlaky(name: string, rule: Record<string, unknown>, rng: Rng): ScopedDecider {
  const checked = checkOptions(rule, RULE_LIMITS.rate, SCOPE_DEFAULTS, name);
  return scoped(checked, () => (rng.next() < checked.rate ? checked.code : undefined));
}

function compileAlways(name: string, rule: Record<string, unknown>, isHealed: () => boolean): ScopedDecider {
  const checked = checkOptions(rule, RULE_LIMITS.always, SCOPE_DEFAULTS, name);
  return scoped({ ...checked, answerLost: false }, () => (isHealed() ? undefined : checked.always));
}

/** Validates one rule and turns it into a decision function with its own state. */
function compileRule(name: string, rule: unknown, rng: Rng, isHealed: () => boolean): CompiledRule {
  if (!isPlainObject(rule)) throw invalidOption(name, 'an object with `pattern`, `rate` or `always`', rule);
  const kinds = ['pattern', 'rate', 'always'].filter((kind) => rule[kind] !== undefined);
  if (kinds.length !== 1) {
    throw invalidOption(
      name,
      'a rule with exactly one of `pattern`, `rate` or `always`',
      kinds.join(' and ') || rule,
    );
  }
  const kind = kinds[0];
  const compiled =
    kind === 'pattern'
      ? compilePattern(name, rule)
      : kind === 'rate'
        ? compileFlaky(name, rule, rng.fork(name))
        : compileAlways(name, rule, isHealed);
  return { source: `${name} (${kind})`, ...compiled };
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
    const checked = checkScope('partition', scope);
    this.#partition = {
      code: checkOption('partition(code)', code, S3_CODE),
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
