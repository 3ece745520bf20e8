/**
 * The defaults of the partitioned layout in one frozen object: when compaction first trains
 * centroids, how large it aims each partition, when it splits or merges one, how k-means is bounded,
 * and how many partitions a search probes. Constants only; it must never hold state.
 */

export const PARTITION_DEFAULTS = Object.freeze({
  /**
   * Compaction trains centroids and partitions the sealed rows once at least this many live rows are
   * sealed. Below it a search reads every segment anyway, and k-means on few rows gives poor centroids.
   */
  partitionRowsMin: 20_000,
  /** Rows a partition aims to hold: partitions = round(sealed live rows / this), clamped. */
  targetPartitionRows: 5_000,
  /**
   * Compaction splits a partition whose live rows exceed this many × `targetPartitionRows` in two
   * (seeded 2-means on its live rows). At 2 the halves hold about one target each, so they are far
   * from both thresholds, and a partition never costs a probe more than twice the target's rows.
   */
  splitRowsRatio: 2,
  /**
   * Compaction merges a partition whose live rows fall below this fraction of `targetPartitionRows`
   * into its neighbours (each row to its nearest remaining centroid). At 1/4 a receiver grows by at
   * most a quarter of a target, the band up to `splitRowsRatio` (8×) keeps a split and a merge from
   * undoing each other, and a split whose smaller half would fall below it is not made.
   */
  mergeRowsRatio: 0.25,
  /**
   * Splits and merges one compaction makes at most (each is one rewrite and one manifest); the rest
   * wait for the next compaction. Bounds the work and the rows one compaction holds in memory.
   */
  rebalanceStepsMax: 32,
  /** At most this many partitions (bounds the routing index: partitionsMax × dimension floats). */
  partitionsMax: 4_096,
  /** k-means trains on at most this many rows, sampled with the seed. */
  trainingSampleRowsMax: 50_000,
  /** Lloyd iterations after the k-means++ initialisation. */
  iterationsMax: 12,
  /** Seed of the sampling and the k-means++ initialisation. */
  seed: 0x7e5,
  /**
   * Partitions a search probes (the `nprobe` search option). On seeded clustered data (see
   * test/unit/storage/partition/partitioned-search.test.ts) 8 reaches recall@10 ≥ 0.95.
   */
  nprobe: 8,
  /**
   * A partition's segment of at most this many rows loads without its HNSW index and is searched by
   * exact scan: reading an hnswlib index costs 20 to 60 ms and 2.7 MB of native memory whatever its
   * size (measured), while an exact scan of 8,192 × 128 rows costs about 1.5 ms. So a search that
   * loads warm partitions from local disk reads only their Arrow files.
   */
  flatScanRowsMax: 8_192,
  /** Upper bound of the `nprobe` search option. */
  nprobeMax: 4_096,
});
