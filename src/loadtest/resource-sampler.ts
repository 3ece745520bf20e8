/**
 * Resources of the process under load, sampled once per timeline interval: RSS, heap, CPU % (process
 * CPU time over real elapsed time, so 100 % is one core), event-loop delay (`monitorEventLoopDelay`),
 * the CPU the machine's other processes used (how busy the machine was, whatever the target did),
 * and the target's own gauges. Over the measured part of the run it keeps running sums only: the CPU
 * average, the maxima, and the least-squares slope of RSS (memory growth, MB/min). CPU is divided by
 * real elapsed time even when the run uses a manual clock, because CPU time itself is real.
 */

import { cpus } from 'node:os';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { ResourcesReport } from './report/schema.ts';

/** The most gauges kept per sample; further ones are ignored with a warning. */
export const GAUGES_MAX = 64;
const EVENT_LOOP_RESOLUTION_MS = 10;

export interface ResourceSample {
  rssBytes: number;
  heapUsedBytes: number;
  cpuPercent: number;
  eventLoopDelayMsP99: number;
  gauges: Record<string, number>;
}

/** Least-squares line through (x, y) points, from running sums. */
export class LinearTrend {
  #n = 0;
  #sumX = 0;
  #sumY = 0;
  #sumXX = 0;
  #sumXY = 0;
  #minX = Number.POSITIVE_INFINITY;
  #maxX = Number.NEGATIVE_INFINITY;

  add(x: number, y: number): void {
    this.#n++;
    this.#sumX += x;
    this.#sumY += y;
    this.#sumXX += x * x;
    this.#sumXY += x * y;
    this.#minX = Math.min(this.#minX, x);
    this.#maxX = Math.max(this.#maxX, x);
  }

  /** dy/dx of the best-fit line; null with fewer than two distinct x. */
  slope(): number | null {
    const denominator = this.#n * this.#sumXX - this.#sumX * this.#sumX;
    if (this.#n < 2 || !(denominator > 0)) return null;
    return (this.#n * this.#sumXY - this.#sumX * this.#sumY) / denominator;
  }

  get spanX(): number {
    return this.#n < 2 ? 0 : this.#maxX - this.#minX;
  }
}

/** CPU time (µs) the operating system counted as busy on every CPU since boot. */
function machineBusyUs(): number {
  let busyMs = 0;
  for (const cpu of cpus()) busyMs += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return busyMs * 1000;
}

/** p99 of how late the monitor's timer fired: Node records whole intervals, resolution included. */
function delayP99Ms(histogram: IntervalHistogram): number {
  const p99 = histogram.percentile(99) / 1e6 - EVENT_LOOP_RESOLUTION_MS;
  return Number.isFinite(p99) ? Math.round(Math.max(0, p99) * 1000) / 1000 : 0;
}

export interface ResourceSamplerOptions {
  gauges?: () => Record<string, number>;
  warn: (message: string) => void;
}

export class ResourceSampler {
  readonly #options: ResourceSamplerOptions;
  readonly #intervalDelay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  readonly #runDelay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  readonly #trend = new LinearTrend();
  #cpu = process.cpuUsage();
  #wallNs = process.hrtime.bigint();
  #machineBusyUs = 0;
  #otherCpuMeasuredUs = 0;
  #cpuMeasuredUs = 0;
  #wallMeasuredUs = 0;
  #cpuPercentMax = 0;
  #rssStart = 0;
  #rssEnd = 0;
  #rssMax = 0;
  #heapMax = 0;
  #gaugeWarned = false;

  constructor(options: ResourceSamplerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#intervalDelay.enable();
    this.#runDelay.enable();
    this.#cpu = process.cpuUsage();
    this.#machineBusyUs = machineBusyUs();
    this.#wallNs = process.hrtime.bigint();
    this.#rssStart = process.memoryUsage.rss();
    this.#rssMax = this.#rssStart;
  }

  /** Samples the interval since the previous call; `measured` intervals count towards the run's figures. */
  sample(tS: number, measured: boolean): ResourceSample {
    const cpu = process.cpuUsage(this.#cpu);
    this.#cpu = process.cpuUsage();
    const wallNs = process.hrtime.bigint();
    const wallUs = Number(wallNs - this.#wallNs) / 1000;
    this.#wallNs = wallNs;
    const cpuUs = cpu.user + cpu.system;
    const busyUs = machineBusyUs();
    // The machine's counters tick in 10 ms steps: a short interval may read less than this process used.
    const otherCpuUs = Math.max(0, busyUs - this.#machineBusyUs - cpuUs);
    this.#machineBusyUs = busyUs;
    const cpuPercent = wallUs > 0 ? Math.round((cpuUs / wallUs) * 1000) / 10 : 0;
    const memory = process.memoryUsage();
    const eventLoopDelayMsP99 = delayP99Ms(this.#intervalDelay);
    this.#intervalDelay.reset();
    this.#rssEnd = memory.rss;
    this.#rssMax = Math.max(this.#rssMax, memory.rss);
    this.#heapMax = Math.max(this.#heapMax, memory.heapUsed);
    if (measured) {
      this.#cpuMeasuredUs += cpuUs;
      this.#otherCpuMeasuredUs += otherCpuUs;
      this.#wallMeasuredUs += wallUs;
      this.#cpuPercentMax = Math.max(this.#cpuPercentMax, cpuPercent);
      this.#trend.add(tS / 60, memory.rss / 1e6);
    }
    return {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuPercent,
      eventLoopDelayMsP99,
      gauges: this.#readGauges(),
    };
  }

  #readGauges(): Record<string, number> {
    if (this.#options.gauges === undefined) return {};
    let raw: Record<string, number>;
    try {
      raw = this.#options.gauges();
    } catch (error) {
      this.#warnOnce(`the target's gauges() threw (${String(error)}); gauges are missing from some samples`);
      return {};
    }
    const gauges: Record<string, number> = {};
    let kept = 0;
    for (const [name, value] of Object.entries(raw ?? {})) {
      if (typeof value !== 'number' || !Number.isFinite(value) || kept >= GAUGES_MAX) {
        this.#warnOnce(
          `gauge \`${name}\` is not a finite number or is beyond the ${GAUGES_MAX}-gauge limit; ignored`,
        );
        continue;
      }
      gauges[name] = value;
      kept++;
    }
    return gauges;
  }

  #warnOnce(message: string): void {
    if (this.#gaugeWarned) return;
    this.#gaugeWarned = true;
    this.#options.warn(message);
  }

  summary(): ResourcesReport {
    const slope = this.#trend.slope();
    return {
      rssBytesStart: this.#rssStart,
      rssBytesEnd: this.#rssEnd || this.#rssStart,
      rssBytesMax: this.#rssMax,
      memoryGrowthMbPerMin: slope === null ? null : Math.round(slope * 1000) / 1000,
      memoryGrowthSpanS: Math.round(this.#trend.spanX * 60 * 1000) / 1000,
      cpuPercentAvg:
        this.#wallMeasuredUs > 0 ? Math.round((this.#cpuMeasuredUs / this.#wallMeasuredUs) * 1000) / 10 : 0,
      cpuPercentMax: this.#cpuPercentMax,
      eventLoopDelayMsP99: delayP99Ms(this.#runDelay),
      heapUsedBytesMax: this.#heapMax,
      otherCpuCoresAvg:
        this.#wallMeasuredUs > 0
          ? Math.round((this.#otherCpuMeasuredUs / this.#wallMeasuredUs) * 1000) / 1000
          : 0,
      cpuCores: cpus().length,
    };
  }

  stop(): void {
    this.#intervalDelay.disable();
    this.#runDelay.disable();
  }
}
