/**
 * The store-wide tiering policy: which sealed segment is hot (in memory), warm (files on local disk)
 * or cold (only in the object store), and the moves between them.
 *
 * - Promotion on access: `acquire` brings a warm or cold segment into memory (download to disk, then
 *   load) and holds it until `release`; concurrent accesses to one segment share one promotion. A
 *   promotion that fails rejects with a typed error and leaves the segment in the tier it was in.
 * - Budgets: when the hot segments' memory exceeds `hotBytesMax`, the least recently used are
 *   demoted to warm; when the warm segments' files exceed `warmBytesMax`, the least recently used go
 *   cold. Idle times: a segment not accessed for `hotIdleMs` leaves memory, for `warmIdleMs` leaves
 *   local disk. Both run on the injected clock.
 * - Never demoted: a segment in use (acquired), being sealed, or of a pinned collection; and never
 *   cold before the object store holds it under a durable manifest (`remote.isDurable`), whatever
 *   the budgets say.
 *
 * Transitions of one segment run one at a time, in order. Every transition is counted and timed in
 * the owning collection's `TierAccounting`. This module decides and moves; it never writes segment
 * files (the collection does) and never talks to the object store except through `CollectionRemote`.
 */

import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../clock.ts';
import { describeValue, ErrorCode, TierVecError } from '../../errors.ts';
import { mapConcurrent } from '../../map-concurrent.ts';
import { rm } from '../file-system.ts';
import type { CollectionRemote } from '../remote/collection-remote.ts';
import type { SealedSegment } from '../segment/sealed-segment.ts';
import type { SegmentDescriptor } from '../segment/segment-file.ts';
import { memoryTotal, type SegmentMemory } from '../segment/segment-memory.ts';
import type { TierAccounting, TierReason } from './tier-accounting.ts';
import type { ResolvedTieringOptions, TierName } from './tiering-options.ts';

/** A collection as the tier manager sees it. */
export interface TierOwner {
  readonly tenant: string;
  readonly name: string;
  readonly remote: CollectionRemote;
  readonly accounting: TierAccounting;
  pinned: boolean;
}

export interface SetTierResult {
  tier: TierName;
  /** Sealed segments of the collection. */
  segments: number;
  /** Segments that changed tier. */
  moved: number;
  /**
   * Segments left in another tier: a pinned collection's, segments in use or being sealed, and
   * segments not yet durable in the object store (they cannot go cold).
   */
  held: number;
}

export interface TierUsage {
  hot: { segments: number; bytes: number };
  warm: { segments: number; bytes: number };
  cold: { segments: number; bytes: number };
}

interface Entry {
  readonly owner: TierOwner;
  readonly segment: SealedSegment;
  lastAccessMs: number;
  accessSeq: number;
  /** Accesses holding the segment in memory. */
  refs: number;
  /** Transitions queued or running. */
  busy: number;
  chain: Promise<unknown>;
  promotion: Promise<SegmentMemory> | undefined;
}

function memoryBytes(segment: SealedSegment): number {
  const memory = segment.bytes().memory;
  return memory === undefined ? 0 : memoryTotal(memory);
}

function fileBytes(segment: SealedSegment): number {
  return segment.bytes().filesBytes;
}

export class TierManager {
  readonly options: ResolvedTieringOptions;
  readonly #clock: Clock;
  readonly #entries = new Map<SealedSegment, Entry>();
  #accessSeq = 0;
  #enforcing: Promise<void> | undefined;
  #enforceAgain = false;
  #idleTimer: TimerHandle | undefined;
  #idleDueMs = Number.POSITIVE_INFINITY;
  #closed = false;
  /** Transitions running now, so `close()` can wait for them to stop touching files. */
  readonly #running = new Set<Promise<unknown>>();

  constructor(options: ResolvedTieringOptions, clock: Clock) {
    this.options = options;
    this.#clock = clock;
  }

  /** Starts tracking a sealed (or sealing) segment; it counts as accessed now. */
  register(owner: TierOwner, segment: SealedSegment): void {
    if (this.#entries.has(segment)) return;
    this.#entries.set(segment, {
      owner,
      segment,
      lastAccessMs: this.#clock.now(),
      accessSeq: ++this.#accessSeq,
      refs: 0,
      busy: 0,
      chain: Promise.resolve(),
      promotion: undefined,
    });
    this.kick();
  }

  /** Stops tracking segments (dropped by compaction, or their collection closed). */
  unregister(segments: Iterable<SealedSegment>): void {
    for (const segment of segments) this.#entries.delete(segment);
  }

  unregisterOwner(owner: TierOwner): void {
    for (const entry of [...this.#entries.values()])
      if (entry.owner === owner) this.#entries.delete(entry.segment);
  }

  /**
   * The segment's in-memory form, promoting it first when it is warm or cold; it stays in memory
   * until `release`. Rejects with the promotion's typed error (OBJECT_STORE, CIRCUIT_OPEN,
   * CORRUPT_DATA, IO_ERROR), the segment left where it was.
   */
  async acquire(segment: SealedSegment, reason: TierReason): Promise<SegmentMemory> {
    const entry = this.#entry(segment);
    entry.refs++;
    this.#touch(entry);
    try {
      return segment.loaded() ?? (await this.#promote(entry, reason));
    } catch (error) {
      entry.refs--;
      throw error;
    }
  }

  release(segment: SealedSegment): void {
    const entry = this.#entries.get(segment);
    if (entry === undefined) return;
    entry.refs--;
    if (entry.refs < 0) throw new Error(`TierManager.release: ${segment.id} released more than acquired`);
    this.kick();
  }

  /**
   * Runs `use` on every segment's in-memory form: hot ones at once, the others as they are promoted
   * (at most `promotionsConcurrentMax` at a time), each released right after, so a search over a
   * collection larger than the hot budget holds at most that many extra segments in memory.
   */
  async forEachLoaded(
    segments: readonly SealedSegment[],
    reason: TierReason,
    use: (memory: SegmentMemory, segment: SealedSegment) => void,
  ): Promise<void> {
    if (segments.length === 0) return;
    const later: SealedSegment[] = [];
    for (const segment of segments) {
      const memory = segment.loaded();
      if (memory === undefined || !this.#entries.has(segment)) {
        if (memory === undefined) later.push(segment);
        else use(memory, segment);
        continue;
      }
      this.#touch(this.#entry(segment));
      use(memory, segment);
    }
    await mapConcurrent(later, this.options.promotionsConcurrentMax, async (segment) => {
      const memory = await this.acquire(segment, reason);
      try {
        use(memory, segment);
      } finally {
        this.release(segment);
      }
    });
    // Only promotions change what the budgets hold; touching hot segments leaves the idle timer
    // early at worst, and it re-arms itself when it finds nothing idle.
    if (later.length > 0) this.kick();
  }

  /**
   * Moves every sealed segment of `owner` to `tier`, or only those whose ids are in `segmentIds`
   * (see SetTierResult for what stays). Every id must name a sealed segment of `owner`; otherwise
   * it throws INVALID_ARGUMENT before moving anything.
   */
  async setTier(owner: TierOwner, tier: TierName, segmentIds?: readonly string[]): Promise<SetTierResult> {
    const entries = segmentIds === undefined ? this.#entriesOf(owner) : this.#entriesById(owner, segmentIds);
    const before = entries.map((entry) => entry.segment.tier);
    if (tier === 'hot') {
      await mapConcurrent(entries, this.options.promotionsConcurrentMax, async (entry) => {
        await this.acquire(entry.segment, 'setTier');
        entry.refs--;
      });
    } else {
      await mapConcurrent(entries, this.options.promotionsConcurrentMax, async (entry) => {
        if (tier === 'warm' && entry.segment.tier === 'cold') await this.#download(entry, 'setTier');
        else await this.#demote(entry, tier, 'setTier');
      });
    }
    const moved = entries.filter((entry, i) => entry.segment.tier !== before[i]).length;
    const held = entries.filter((entry) => entry.segment.tier !== tier).length;
    this.kick();
    if (tier === 'hot') await this.settle();
    return { tier, segments: entries.length, moved, held };
  }

  /** True while the segment is tracked (compaction stops tracking those it replaced). */
  tracks(segment: SealedSegment): boolean {
    return this.#entries.has(segment);
  }

  /** cold → warm: downloads the segment's files (without loading them); counts as an access. */
  download(segment: SealedSegment, reason: TierReason): Promise<void> {
    const entry = this.#entry(segment);
    this.#touch(entry);
    return this.#download(entry, reason);
  }

  /** Marks the segments accessed now, in order: the last becomes the most recently used. */
  touch(segments: readonly SealedSegment[]): void {
    for (const segment of segments) {
      const entry = this.#entries.get(segment);
      if (entry !== undefined) this.#touch(entry);
    }
  }

  /** Keeps every segment of `owner` hot (loading them now) and out of the policy's reach. */
  async pin(owner: TierOwner): Promise<void> {
    owner.pinned = true;
    await mapConcurrent(this.#entriesOf(owner), this.options.promotionsConcurrentMax, async (entry) => {
      await this.acquire(entry.segment, 'pin');
      entry.refs--;
    });
  }

  unpin(owner: TierOwner): void {
    owner.pinned = false;
    this.kick();
  }

  /** Segments and bytes per tier, store-wide or for one owner (hot: memory; warm and cold: files). */
  usage(owner?: TierOwner): TierUsage {
    const usage: TierUsage = {
      hot: { segments: 0, bytes: 0 },
      warm: { segments: 0, bytes: 0 },
      cold: { segments: 0, bytes: 0 },
    };
    for (const entry of this.#entries.values()) {
      if (owner !== undefined && entry.owner !== owner) continue;
      const tier = entry.segment.tier;
      usage[tier].segments++;
      usage[tier].bytes += tier === 'hot' ? memoryBytes(entry.segment) : fileBytes(entry.segment);
    }
    return usage;
  }

  /** Re-evaluates budgets (in the background) and re-arms the idle timer. */
  kick(): void {
    if (this.#closed) return;
    if (this.#enforcing !== undefined) {
      this.#enforceAgain = true;
      return;
    }
    this.#enforcing = this.#enforceLoop().finally(() => {
      this.#enforcing = undefined;
    });
  }

  /** Resolves once budget enforcement started so far has finished (for tests and `setTier`). */
  async settle(): Promise<void> {
    while (this.#enforcing !== undefined) await this.#enforcing;
  }

  /**
   * Starts no further policy work and resolves once every transition in flight has ended: after it,
   * no promotion or demotion writes or removes a file (so the directory can be removed).
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    await this.settle();
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  // ---------------------------------------------------------------- promotion

  #promote(entry: Entry, reason: TierReason): Promise<SegmentMemory> {
    entry.promotion ??= this.#serial(entry, () => this.#runPromotion(entry, reason)).finally(() => {
      entry.promotion = undefined;
    });
    return entry.promotion;
  }

  async #runPromotion(entry: Entry, reason: TierReason): Promise<SegmentMemory> {
    const { segment, owner } = entry;
    const loaded = segment.loaded();
    if (loaded !== undefined) return loaded;
    const startedMs = this.#clock.now();
    const from = segment.tier;
    try {
      if (segment.tier === 'cold') return await this.#promoteCold(entry, reason, startedMs);
      const loadStartedMs = this.#clock.now();
      const memory = await segment.load();
      const nowMs = this.#clock.now();
      owner.accounting.transition(
        segment.id,
        'warm',
        'hot',
        reason,
        memoryBytes(segment),
        nowMs - loadStartedMs,
        nowMs,
      );
      owner.accounting.promoted(nowMs - startedMs);
      return memory;
    } catch (error) {
      const failure = new TierVecError(
        error instanceof TierVecError ? error.code : ErrorCode.IO_ERROR,
        `Promoting segment ${segment.id} of collection ${describeValue(owner.name)} from ${from} failed; it stays ${segment.tier}: ${(error as Error).message}`,
        { cause: error, details: { segmentId: segment.id, tier: segment.tier } },
      );
      owner.accounting.promotionFailed(segment.id, segment.tier, reason, failure, this.#clock.now());
      throw failure;
    }
  }

  /**
   * cold → warm → hot with the Arrow file's bytes in hand: the index file is on disk, so loading
   * starts while the Arrow file is still being written. If either fails the segment goes back to
   * cold, its files removed.
   */
  async #promoteCold(entry: Entry, reason: TierReason, startedMs: number): Promise<SegmentMemory> {
    const { segment, owner } = entry;
    const descriptor = segment.descriptor as SegmentDescriptor;
    const { bytes, arrow, arrowWritten } = await owner.remote.download(descriptor);
    const downloadedMs = this.#clock.now();
    segment.markLocal();
    let memory: SegmentMemory;
    try {
      [, memory] = await Promise.all([arrowWritten, segment.load({ arrow })]);
    } catch (error) {
      segment.unload();
      segment.markCold();
      await owner.remote.removeLocalFiles(descriptor);
      throw error;
    }
    const nowMs = this.#clock.now();
    owner.accounting.transition(
      segment.id,
      'cold',
      'warm',
      reason,
      bytes,
      downloadedMs - startedMs,
      downloadedMs,
    );
    owner.accounting.transition(
      segment.id,
      'warm',
      'hot',
      reason,
      memoryBytes(segment),
      nowMs - downloadedMs,
      nowMs,
    );
    owner.accounting.promoted(nowMs - startedMs);
    return memory;
  }

  /** cold → warm, as a transition of its own (setTier('warm')). */
  #download(entry: Entry, reason: TierReason): Promise<void> {
    return this.#serial(entry, async () => {
      if (entry.segment.tier === 'cold') await this.#runDownload(entry, reason);
    });
  }

  async #runDownload(entry: Entry, reason: TierReason): Promise<void> {
    const { segment, owner } = entry;
    const descriptor = segment.descriptor;
    if (descriptor === undefined)
      throw new Error(`TierManager: cold segment ${segment.id} has no descriptor`);
    const startedMs = this.#clock.now();
    const { bytes, arrowWritten } = await owner.remote.download(descriptor);
    try {
      await arrowWritten;
    } catch (error) {
      await owner.remote.removeLocalFiles(descriptor);
      throw error;
    }
    segment.markLocal();
    const nowMs = this.#clock.now();
    owner.accounting.transition(segment.id, 'cold', 'warm', reason, bytes, nowMs - startedMs, nowMs);
  }

  // ---------------------------------------------------------------- demotion

  /** True when the policy may move the segment down now. */
  #demotable(entry: Entry, reason: TierReason): boolean {
    if (entry.refs > 0 || entry.busy > 0 || entry.segment.state !== 'sealed') return false;
    return !(entry.owner.pinned && reason !== 'compact');
  }

  /** Moves a segment down to `to` (hot → warm → cold), as far as it may go; resolves when done. */
  async #demote(entry: Entry, to: 'warm' | 'cold', reason: TierReason): Promise<void> {
    // Once closing, the policy moves nothing more (explicit setTier calls ended with their collection).
    if (this.#closed && reason !== 'setTier') return;
    if (!this.#demotable(entry, reason)) return;
    const { segment, owner } = entry;
    if (segment.tier === 'hot') {
      const bytes = memoryBytes(segment);
      if (!segment.unload()) return;
      const nowMs = this.#clock.now();
      owner.accounting.transition(segment.id, 'hot', 'warm', reason, bytes, 0, nowMs);
    }
    if (to === 'cold' && segment.tier === 'warm' && owner.remote.isDurable(segment.id)) {
      await this.#serial(entry, () => this.#runColdDemotion(entry, reason));
    }
  }

  async #runColdDemotion(entry: Entry, reason: TierReason): Promise<void> {
    const { segment, owner } = entry;
    const descriptor = segment.descriptor;
    if (descriptor === undefined || segment.tier !== 'warm') return;
    const startedMs = this.#clock.now();
    try {
      // The ids companion must be on local disk before the files go, so a restart needs no download.
      await owner.remote.cacheSegmentIds(descriptor);
    } catch (error) {
      return this.#warnTransition(entry, 'cold', error);
    }
    // Someone started using it meanwhile: it stays warm.
    if (entry.refs > 0 || entry.promotion !== undefined || segment.tier !== 'warm') return;
    try {
      await Promise.all(
        [descriptor.arrow.name, descriptor.hnsw.name].map((name) =>
          rm(join(segment.dir, name), { force: true }),
        ),
      );
    } catch (error) {
      // The object store has the files; leftovers on disk are only wasted space.
      this.#warnTransition(entry, 'cold', error);
    }
    // Promotions of this segment wait for this transition, so no load reads the files while they
    // are removed; the tier and its count change together once they are gone.
    segment.markCold();
    const nowMs = this.#clock.now();
    owner.accounting.transition(
      segment.id,
      'warm',
      'cold',
      reason,
      fileBytes(segment),
      nowMs - startedMs,
      nowMs,
    );
  }

  #warnTransition(entry: Entry, to: TierName, error: unknown): void {
    process.emitWarning(
      `Moving segment ${entry.segment.id} of collection ${entry.owner.name} to ${to} failed: ${(error as Error)?.message ?? error}`,
      { code: 'TIERVEC_TIER_TRANSITION_FAILED' },
    );
  }

  // ---------------------------------------------------------------- policy

  async #enforceLoop(): Promise<void> {
    do {
      this.#enforceAgain = false;
      await this.#enforceIdle();
      await this.#enforceBudget('hot');
      await this.#enforceBudget('warm');
    } while (this.#enforceAgain && !this.#closed);
    this.#armIdleTimer();
  }

  /** Demotes least recently used segments until the tier's bytes fit its budget. */
  async #enforceBudget(tier: 'hot' | 'warm'): Promise<void> {
    const limit = tier === 'hot' ? this.options.hotBytesMax : this.options.warmBytesMax;
    const sizeOf = tier === 'hot' ? memoryBytes : fileBytes;
    let total = 0;
    const candidates: Entry[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.segment.tier !== tier) continue;
      total += sizeOf(entry.segment);
      candidates.push(entry);
    }
    if (total <= limit) return;
    candidates.sort((a, b) => a.accessSeq - b.accessSeq);
    for (const entry of candidates) {
      if (total <= limit) return;
      if (tier === 'warm' && !entry.owner.remote.isDurable(entry.segment.id)) continue;
      const bytes = sizeOf(entry.segment);
      await this.#demote(entry, tier === 'hot' ? 'warm' : 'cold', 'budget');
      if (entry.segment.tier !== tier) total -= bytes;
    }
  }

  async #enforceIdle(): Promise<void> {
    const nowMs = this.#clock.now();
    for (const entry of [...this.#entries.values()]) {
      const idleMs = nowMs - entry.lastAccessMs;
      const tier = entry.segment.tier;
      if (tier === 'cold' || idleMs < Math.min(this.options.hotIdleMs, this.options.warmIdleMs)) continue;
      if (idleMs >= this.options.warmIdleMs) await this.#demote(entry, 'cold', 'idle');
      else if (tier === 'hot' && idleMs >= this.options.hotIdleMs) await this.#demote(entry, 'warm', 'idle');
    }
  }

  /** Arms one timer for the earliest moment an idle demotion can happen. */
  #armIdleTimer(): void {
    if (this.#closed) return;
    let dueMs = Number.POSITIVE_INFINITY;
    for (const entry of this.#entries.values()) {
      if (!this.#demotable(entry, 'idle')) continue;
      const tier = entry.segment.tier;
      if (tier === 'hot') dueMs = Math.min(dueMs, entry.lastAccessMs + this.options.hotIdleMs);
      if (tier !== 'cold' && entry.owner.remote.isDurable(entry.segment.id)) {
        dueMs = Math.min(dueMs, entry.lastAccessMs + this.options.warmIdleMs);
      }
    }
    if (dueMs === this.#idleDueMs && this.#idleTimer !== undefined) return;
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleDueMs = dueMs;
    if (dueMs === Number.POSITIVE_INFINITY) return;
    this.#idleTimer = this.#clock.setTimeout(
      () => {
        this.#idleTimer = undefined;
        this.#idleDueMs = Number.POSITIVE_INFINITY;
        this.kick();
      },
      Math.max(0, dueMs - this.#clock.now()),
    );
  }

  // ---------------------------------------------------------------- helpers

  #entry(segment: SealedSegment): Entry {
    const entry = this.#entries.get(segment);
    if (entry === undefined) throw new Error(`TierManager: segment ${segment.id} is not registered`);
    return entry;
  }

  #entriesOf(owner: TierOwner): Entry[] {
    return [...this.#entries.values()].filter((entry) => entry.owner === owner);
  }

  /** The entries of `owner`'s segments named by `ids`, in that order; unknown ids throw INVALID_ARGUMENT. */
  #entriesById(owner: TierOwner, ids: readonly string[]): Entry[] {
    const byId = new Map(this.#entriesOf(owner).map((entry) => [entry.segment.id, entry]));
    return ids.map((id) => {
      const entry = byId.get(id);
      if (entry !== undefined) return entry;
      throw new TierVecError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected \`segments\` to name sealed segments of collection ${describeValue(owner.name)}, got unknown segment ${describeValue(id)}`,
        { details: { option: 'segments', segmentId: id } },
      );
    });
  }

  #touch(entry: Entry): void {
    entry.lastAccessMs = this.#clock.now();
    entry.accessSeq = ++this.#accessSeq;
  }

  /** Runs `fn` after the segment's earlier transitions, counting it as busy until it ends. */
  #serial<T>(entry: Entry, fn: () => Promise<T>): Promise<T> {
    entry.busy++;
    const run = entry.chain.then(fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    entry.chain = settled;
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return run.finally(() => {
      entry.busy--;
    });
  }
}
