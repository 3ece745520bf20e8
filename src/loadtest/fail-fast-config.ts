/**
 * The settings that stop a run early instead of letting it fail slowly: `abortOnFail` names the
 * criteria — of the whole run, of one operation's block or of one window's — whose failure, once
 * `abortOnFailDelayS` has passed after the warm-up, stops the run (k6's thresholds `abortOnFail`
 * and `delayAbortEval`), and `abortOnAllErrorsS` stops a run in
 * which every operation of its first N seconds failed; and `StopCause`, the reason a report gives
 * when its run stopped itself. Validation and types only: the watching is `fail-fast.ts`'s, and
 * nothing here reads a clock.
 */

import { fieldError, optionalNumberField } from './field-check.ts';

export const FAIL_FAST_DEFAULTS = Object.freeze({
  /** Seconds after the warm-up before `abortOnFail` criteria are judged (k6's `delayAbortEval`). */
  abortOnFailDelayS: 10,
  /** A run whose every operation failed during its first this many seconds stops; 0: never. */
  abortOnAllErrorsS: 10,
});

/** Whole-run criteria that can be judged while the run goes on (from the recorder's running totals). */
export const ABORTABLE_CRITERIA = Object.freeze([
  'latencyMsP50Max',
  'latencyMsP90Max',
  'latencyMsP95Max',
  'latencyMsP99Max',
  'latencyMsP999Max',
  'latencyMsMaxMax',
  'latencyMsMeanMax',
  'serviceTimeMsP50Max',
  'serviceTimeMsP95Max',
  'serviceTimeMsP99Max',
  'errorRateMax',
  'droppedRatioMax',
] as const);

/** The criteria configuration keys this module reads. */
export const FAIL_FAST_KEYS = Object.freeze([
  'abortOnFail',
  'abortOnFailDelayS',
  'abortOnAllErrorsS',
] as const);

export type AbortableCriterion = (typeof ABORTABLE_CRITERIA)[number];

/** Criteria of a window's block that can stop a run: a window keeps response times and errors only. */
export const WINDOW_ABORTABLE_CRITERIA: readonly AbortableCriterion[] = Object.freeze(
  ABORTABLE_CRITERIA.filter((key) => key.startsWith('latencyMs') || key === 'errorRateMax'),
);

export interface FailFastConfig {
  /** Whole-run criteria. */
  abortOnFail: AbortableCriterion[];
  /** Operation name → criteria of that operation's block. */
  operations: Record<string, AbortableCriterion[]>;
  /** One list per window of the criteria, in their order: criteria of that window's block. */
  windows: AbortableCriterion[][];
  abortOnFailDelayS: number;
  abortOnAllErrorsS: number;
}

/**
 * Reads the `abortOnFail` list of one criteria block (`field` names the block): every criterion
 * named must be one of `allowed` and have a limit in `limits`. SCENARIO_INVALID names the field
 * otherwise.
 */
export function readAbortOnFail(
  list: unknown,
  field: string,
  limits: Readonly<Record<string, number | undefined>>,
  allowed: readonly AbortableCriterion[] = ABORTABLE_CRITERIA,
): AbortableCriterion[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.length > ABORTABLE_CRITERIA.length) {
    throw fieldError(`${field}.abortOnFail`, 'a list of criteria names', list);
  }
  const names = list.map((name, i) => {
    if (!(allowed as readonly unknown[]).includes(name)) {
      throw fieldError(
        `${field}.abortOnFail[${i}]`,
        `one of the criteria judged while the run goes on (${allowed.join(', ')})`,
        name,
      );
    }
    if (limits[name as string] === undefined) {
      throw fieldError(`${field}.abortOnFail[${i}]`, 'a criterion that has a limit', name);
    }
    return name as AbortableCriterion;
  });
  return [...new Set(names)];
}

/**
 * Reads `abortOnFail`, `abortOnFailDelayS` and `abortOnAllErrorsS` of a criteria object (the blocks'
 * own lists are read with them by `criteria.ts`, given here as `blocks`).
 */
export function resolveFailFast(
  raw: Record<string, unknown>,
  field: string,
  limits: Readonly<Record<string, number | undefined>>,
  blocks: Pick<FailFastConfig, 'operations' | 'windows'> = { operations: {}, windows: [] },
): FailFastConfig {
  return {
    abortOnFail: readAbortOnFail(raw.abortOnFail, field, limits),
    ...blocks,
    abortOnFailDelayS: optionalNumberField(
      `${field}.abortOnFailDelayS`,
      raw.abortOnFailDelayS,
      0,
      86_400,
      FAIL_FAST_DEFAULTS.abortOnFailDelayS,
    ),
    abortOnAllErrorsS: optionalNumberField(
      `${field}.abortOnAllErrorsS`,
      raw.abortOnAllErrorsS,
      0,
      86_400,
      FAIL_FAST_DEFAULTS.abortOnAllErrorsS,
    ),
  };
}

/** Why a run was stopped before the end of its arrival window by the run itself. */
export type StopCause =
  | {
      kind: 'abort-on-fail';
      /** The criterion's key as a scenario file spells it. */
      criterion: string;
      /** The operation or window whose block the criterion is of; absent for whole-run criteria. */
      operation?: string;
      window?: string;
      limit: number;
      actual: number;
      atS: number;
      message: string;
    }
  | { kind: 'all-errors'; atS: number; message: string };
