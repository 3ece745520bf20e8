/**
 * The harness's own figures as OpenMetrics families (prom-client), updated from each progress
 * interval of a run: operations and failures per operation, errors per code, drops, target and
 * achieved rate, work in flight and queued, the run's progress, process resources, and a latency
 * histogram per operation (response time from the intended start, cumulative since the start, with
 * the buckets of LATENCY_BUCKETS_S), fed each second with every value the run's HDR histograms
 * recorded in the interval. It reads progress only; it never touches the target and never starts a
 * server.
 */

import { Counter, Gauge, Histogram, type OpenMetricsContentType, Registry } from 'prom-client';
import type { LatencyHistogram } from '../histogram.ts';
import type { LoadTestProgress } from '../run-session.ts';

/**
 * Upper bounds (seconds) of the latency histogram's buckets: 0.5 ms to 10 s, about 2.5× apart, so a
 * fast search and a slow flush both land in buckets that tell them apart (+Inf is implied).
 */
export const LATENCY_BUCKETS_S = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * Every distinct value (ms) of an HDR histogram with how many times it was recorded, lowest first:
 * from the order statistics, galloping over runs of equal values so that the cost grows with the
 * distinct values rather than the count.
 */
export function* distinctValuesMs(histogram: LatencyHistogram): Generator<[number, number]> {
  const n = histogram.count;
  let rank = 1;
  while (rank <= n) {
    const value = histogram.valueAtRankMs(rank);
    // The last rank holding `value`: gallop up, then bisect between the last equal and first larger.
    let equal = rank;
    let step = 1;
    while (equal + step <= n && histogram.valueAtRankMs(equal + step) === value) {
      equal += step;
      step *= 2;
    }
    let larger = Math.min(equal + step, n + 1);
    while (larger - equal > 1) {
      const middle = Math.floor((equal + larger) / 2);
      if (middle <= n && histogram.valueAtRankMs(middle) === value) equal = middle;
      else larger = middle;
    }
    yield [value, equal - rank + 1];
    rank = equal + 1;
  }
}

type GaugeName =
  | 'target'
  | 'achieved'
  | 'inFlight'
  | 'queued'
  | 'elapsed'
  | 'progress'
  | 'rss'
  | 'cpu'
  | 'eventLoop';

export class HarnessMetrics {
  readonly registry: Registry<OpenMetricsContentType>;
  readonly #operations: Counter<'operation'>;
  readonly #failures: Counter<'operation'>;
  readonly #errors: Counter<'code'>;
  readonly #dropped: Counter;
  readonly #gauges: Record<GaugeName, Gauge>;
  readonly #latency: Histogram<'operation'>;

  constructor() {
    this.registry = new Registry<OpenMetricsContentType>();
    this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const registers = [this.registry];
    this.#operations = new Counter({
      name: 'tiervec_loadtest_operations',
      help: 'Operations completed (failed ones included), by operation',
      labelNames: ['operation'],
      registers,
    });
    this.#failures = new Counter({
      name: 'tiervec_loadtest_operation_failures',
      help: 'Operations that failed, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.#errors = new Counter({
      name: 'tiervec_loadtest_errors',
      help: 'Errors by code (warm-up included)',
      labelNames: ['code'],
      registers,
    });
    this.#dropped = new Counter({
      name: 'tiervec_loadtest_dropped',
      help: 'Arrivals refused at saturation',
      registers,
    });
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    this.#gauges = {
      target: gauge(
        'tiervec_loadtest_target_rate_ops_per_second',
        'Rate the profiles asked for over the last interval',
      ),
      achieved: gauge(
        'tiervec_loadtest_achieved_rate_ops_per_second',
        'Completions per second over the last interval',
      ),
      inFlight: gauge('tiervec_loadtest_in_flight', 'Operations running at the end of the last interval'),
      queued: gauge('tiervec_loadtest_queued', 'Arrivals waiting for a slot at the end of the last interval'),
      elapsed: gauge('tiervec_loadtest_elapsed_seconds', 'Seconds since the run started'),
      progress: gauge('tiervec_loadtest_progress_ratio', 'Elapsed over planned duration'),
      rss: gauge('tiervec_loadtest_process_rss_bytes', 'Resident set size of the harness process'),
      cpu: gauge('tiervec_loadtest_process_cpu_percent', 'CPU of the harness process over the last interval'),
      eventLoop: gauge(
        'tiervec_loadtest_event_loop_delay_p99_seconds',
        'Event-loop delay p99 over the last interval',
      ),
    };
    this.#latency = new Histogram({
      name: 'tiervec_loadtest_latency_seconds',
      help: 'Response time (from the intended start, so queueing counts), by operation',
      labelNames: ['operation'],
      buckets: [...LATENCY_BUCKETS_S],
      registers,
    });
  }

  /** Adds one interval of progress. */
  observe(progress: LoadTestProgress): void {
    const { interval } = progress;
    for (const [operation, stats] of Object.entries(interval.operations)) {
      this.#operations.inc({ operation }, stats.count);
      this.#failures.inc({ operation }, stats.errors);
    }
    for (const [operation, histogram] of progress.latencyHistograms ?? []) {
      const labelled = this.#latency.labels({ operation });
      for (const [valueMs, count] of distinctValuesMs(histogram)) {
        for (let i = 0; i < count; i++) labelled.observe(valueMs / 1000);
      }
    }
    for (const [code, count] of Object.entries(interval.errorsByCode ?? {}))
      this.#errors.inc({ code }, count);
    this.#dropped.inc(interval.dropped);
    const g = this.#gauges;
    g.target.set(progress.targetOpsPerS ?? 0);
    g.achieved.set(interval.achievedRate);
    g.inFlight.set(interval.inFlight);
    g.queued.set(interval.queued);
    g.elapsed.set(progress.elapsedS);
    g.progress.set(progress.fraction);
    g.rss.set(interval.rssBytes);
    g.cpu.set(interval.cpuPercent);
    g.eventLoop.set(interval.eventLoopDelayMsP99 / 1000);
  }

  /** The families as OpenMetrics text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
