/**
 * The harness's own figures as OpenMetrics families (prom-client), updated from each progress
 * interval of a run: operations and failures per operation, errors per code, drops, target and
 * achieved rate, work in flight and queued, the run's progress, process resources, and a latency
 * summary per operation (p50, p95, p99 of the last interval, with the running count). It reads
 * progress only; it never touches the target and never starts a server.
 */

import { Counter, Gauge, type OpenMetricsContentType, Registry } from 'prom-client';
import type { LoadTestProgress } from '../run-session.ts';

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

interface SummaryValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

/**
 * A summary whose quantiles are those of the last interval (a one-second window, as prom-client's
 * `maxAgeSeconds` would keep) and whose count runs from the start; prom-client's own Summary needs
 * every observation, which the harness keeps in HDR histograms instead.
 */
class IntervalSummary {
  readonly type = 'summary';
  readonly #quantiles = new Map<string, Record<string, number>>();
  readonly #counts = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  update(operation: string, count: number, percentilesMs: { p50: number; p95: number; p99: number }): void {
    this.#counts.set(operation, (this.#counts.get(operation) ?? 0) + count);
    if (count > 0) {
      this.#quantiles.set(
        operation,
        Object.fromEntries(QUANTILES.map(([q, p]) => [q, percentilesMs[p] / 1000])),
      );
    }
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: SummaryValue[];
    aggregator: string;
  }> {
    const values: SummaryValue[] = [];
    for (const [operation, count] of this.#counts) {
      for (const [quantile, value] of Object.entries(this.#quantiles.get(operation) ?? {}))
        values.push({ labels: { operation, quantile }, value });
      values.push({ metricName: `${this.name}_count`, labels: { operation }, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  reset(): void {
    this.#quantiles.clear();
    this.#counts.clear();
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
  readonly #latency = new IntervalSummary(
    'tiervec_loadtest_latency_seconds',
    'Response time (from the intended start) over the last interval, by operation',
  );

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
    // prom-client renders any registered object with name, help, type and get(): the summary above.
    this.registry.registerMetric(this.#latency as never);
  }

  /** Adds one interval of progress. */
  observe(progress: LoadTestProgress): void {
    const { interval } = progress;
    for (const [operation, stats] of Object.entries(interval.operations)) {
      this.#operations.inc({ operation }, stats.count);
      this.#failures.inc({ operation }, stats.errors);
      this.#latency.update(operation, stats.count, stats.latencyMs);
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
