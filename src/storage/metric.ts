/**
 * The distance metrics a collection can use: `cosine`, `l2` (squared Euclidean) and `ip` (inner
 * product). Only the names live here, so the spec, the validation of vectors and the segments can all
 * name a metric without importing each other; the distances themselves are in segment/distance.ts.
 */

export type Metric = 'cosine' | 'l2' | 'ip';

export const METRICS: readonly Metric[] = Object.freeze(['cosine', 'l2', 'ip']);
