/**
 * The live views a command line run may ask for: `--dashboard` (a live page on 127.0.0.1 that
 * turns into the final report) and `--metrics-port N` (OpenMetrics of the harness and the store).
 * Starts what was asked before the run, feeds it every interval, hands the dashboard the report,
 * and closes both whatever happened. Prints where each listens on stderr.
 */

import { resolveLoadTestConfig } from '../loadtest/config.ts';
import { Dashboard, liveChartContext } from '../loadtest/live/dashboard-server.ts';
import { HarnessMetrics } from '../loadtest/live/harness-metrics.ts';
import type { LocalServer } from '../loadtest/live/local-server.ts';
import { type MetricsSource, startMetricsServer } from '../loadtest/live/metrics-server.ts';
import type { LoadTestReport } from '../loadtest/report/schema.ts';
import type { LoadTestProgress } from '../loadtest/run-session.ts';
import type { ScenarioRun } from '../loadtest/scenario/resolve-scenario.ts';
import type { TiervecTarget } from '../loadtest/targets/tiervec-target.ts';
import type { CliIo } from './cli-io.ts';

/** The dashboard's port when `--dashboard` is given without `--dashboard-port` (k6's). */
export const DASHBOARD_PORT_DEFAULT = 5665;

export interface LiveFlags {
  /** Serve the live dashboard. */
  dashboard?: boolean;
  /** Its port (implies `dashboard`); 0 picks a free one. @default 5665 */
  dashboardPort?: number;
  /** Serve OpenMetrics on this port during the run; 0 picks a free one. */
  metricsPort?: number;
}

export interface LiveViews {
  onProgress(progress: LoadTestProgress): void;
  onTarget(target: TiervecTarget): void;
  /** Shows the final report on the dashboard (waits, bounded, for open pages to load it). */
  finish(report: LoadTestReport): Promise<void>;
  close(): Promise<void>;
}

/** Starts the views `flags` ask for; undefined when none. */
export async function startLiveViews(
  io: CliIo,
  scenario: ScenarioRun,
  flags: LiveFlags,
): Promise<LiveViews | undefined> {
  const wantsDashboard = flags.dashboard === true || flags.dashboardPort !== undefined;
  if (!wantsDashboard && flags.metricsPort === undefined) return undefined;
  let target: TiervecTarget | undefined;
  let dashboard: Dashboard | undefined;
  let metricsServer: LocalServer | undefined;
  const harness = flags.metricsPort === undefined ? undefined : new HarnessMetrics();
  try {
    if (wantsDashboard) {
      const config = resolveLoadTestConfig(scenario.config);
      dashboard = await Dashboard.start(
        flags.dashboardPort ?? DASHBOARD_PORT_DEFAULT,
        scenario.config.name,
        liveChartContext(config),
      );
      io.stderr.write(`  dashboard: ${dashboard.url}\n`);
    }
    if (harness !== undefined) {
      const storeText: MetricsSource = async () => {
        const store = target?.store;
        return store === undefined ? '' : store.metrics();
      };
      metricsServer = await startMetricsServer(flags.metricsPort as number, [
        () => harness.text(),
        storeText,
      ]);
      io.stderr.write(`  metrics: ${metricsServer.url}/metrics\n`);
    }
  } catch (error) {
    await dashboard?.close();
    throw error;
  }
  return {
    onProgress(progress) {
      harness?.observe(progress);
      dashboard?.onProgress(progress);
    },
    onTarget(t) {
      target = t;
    },
    async finish(report) {
      await dashboard?.finish(report);
    },
    async close() {
      await Promise.all([dashboard?.close(), metricsServer?.close()]);
    },
  };
}
