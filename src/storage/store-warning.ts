/**
 * Warnings: things the store handled on its own but an operator should know about (data it had to
 * drop from a torn WAL tail, a seal that failed and will be retried, leftovers of an interrupted
 * write). They go to the `onWarning` option, or to `process.emitWarning` by default, and are counted
 * in `stats()`. They are never thrown.
 */

export type StoreWarningCode =
  | 'WAL_TRUNCATED'
  | 'WAL_SYNC_FAILED'
  | 'SEAL_FAILED'
  | 'CLEANUP_FAILED'
  | 'LEFTOVERS_REMOVED'
  | 'DAMAGED_CACHE_REMOVED'
  | 'PUBLISH_FAILED'
  | 'MANIFEST_CONFLICT'
  | 'TIER_TRANSITION_FAILED'
  | 'WAL_UPLOAD_FAILED'
  | 'LEASE_LOST'
  | 'REPLICA_REFRESH_FAILED';

export interface StoreWarning {
  readonly code: StoreWarningCode;
  readonly message: string;
  readonly tenant?: string;
  readonly collection?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type WarningListener = (warning: StoreWarning) => void;

export const defaultWarningListener: WarningListener = (warning) => {
  process.emitWarning(warning.message, {
    code: `TIERVEC_${warning.code}`,
    detail: JSON.stringify(warning.details ?? {}),
  });
};
