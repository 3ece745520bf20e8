/**
 * The hard limits of the store: every input size, count and range the write and search paths accept.
 * They are checked before anything is written, and each has a test at its edge. Changing one here
 * changes validation, the README table (tested against this object) and the WAL's record bound.
 */

export const LIMITS = Object.freeze({
  /** Largest vector dimension a collection may declare. */
  dimensionMax: 4096,
  /** Longest document id, in UTF-8 bytes. */
  idBytesMax: 256,
  /** Largest metadata object, serialized as JSON, in UTF-8 bytes (64 KiB). */
  metadataBytesMax: 65_536,
  /** Deepest nesting of arrays and objects inside one metadata object. */
  metadataDepthMax: 32,
  /** Documents per `insert`/`upsert` call, ids per `delete` call. */
  batchSizeMax: 10_000,
  /** Encoded size of one write call (ids, vectors and metadata), in bytes (64 MiB): one WAL record. */
  batchBytesMax: 64 * 2 ** 20,
  /** Largest `k` a search may ask for. */
  kMax: 1_000,
  /** Largest `ef` (search) and `efConstruction` (build) accepted. */
  efMax: 4_096,
  /** HNSW `m` range (links per node). */
  hnswMMin: 2,
  hnswMMax: 100,
  /** Fields in one metadata filter, and values in one `$in`/`$nin` list. */
  filterFieldsMax: 64,
  filterValuesMax: 1_024,
  /** Rows one segment may hold (HNSW labels are 32-bit). */
  segmentVectorsMaxLimit: 2 ** 31,
} as const);
