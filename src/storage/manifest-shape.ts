/**
 * The shape of a collection manifest: the types that the manifest's reader, writer and checker share.
 * A manifest names the segments and tombstone files that make up a collection at one version.
 *
 * This module must hold types and constants only: reading, writing and checking live beside it.
 */

import type { CollectionSpec } from './collection-spec.ts';
import type { RoutingIndexJson } from './partition/routing-index.ts';
import type { FileRef, SegmentDescriptor } from './segment/segment-file.ts';

export const MANIFEST_FORMAT = 'tiervec.manifest';

export interface TombstoneFileRef extends FileRef {
  /** Rows the file deletes. */
  readonly tombstones: number;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: number;
  readonly version: number;
  readonly tenant: string;
  readonly collection: string;
  readonly spec: CollectionSpec;
  /** Every WAL record with an LSN at or below this is reflected in the segments and tombstones. */
  readonly sealedLsn: number;
  /** Segment sequence numbers below this have been used. */
  readonly nextSegmentSeq: number;
  readonly segments: readonly SegmentDescriptor[];
  readonly tombstoneFiles: readonly TombstoneFileRef[];
  readonly createdAtMs: number;
  /** The routing index once compaction has partitioned the sealed rows (see partition/). */
  readonly routing?: RoutingIndexJson;
}
