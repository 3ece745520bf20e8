/**
 * `--dashboard`: a live page on 127.0.0.1 while a run goes on — the report's time charts (same
 * data builder, same drawing script), redrawn every interval from Server-Sent Events — and, once
 * the run is over, the final report at `/report`, to which open pages move by themselves. It keeps
 * the last DASHBOARD_TIMELINE_MAX intervals and serves at most DASHBOARD_CLIENTS_MAX event streams;
 * it never reads files and never listens beyond the loopback interface.
 */

import type { ServerResponse } from 'node:http';
import type { ResolvedLoadTestConfig } from '../config.ts';
import { criteriaWindows } from '../criteria.ts';
import { type TimeChartSource, timeChartData } from '../report/chart-data.ts';
import { CHART_SCRIPT } from '../report/chart-script.ts';
import { loadUplot, PAGE_STYLE, renderHtml, scriptSafe } from '../report/html.ts';
import { escapeHtml } from '../report/html-table.ts';
import type { LoadTestReport, TimelineEntry } from '../report/schema.ts';
import type { LoadTestProgress } from '../run-session.ts';
import { type LocalServer, startLocalServer } from './local-server.ts';

/** The most intervals the live charts keep (the oldest go first): an hour at one a second. */
export const DASHBOARD_TIMELINE_MAX = 3_600;
/** The most pages that may follow the run at once. */
export const DASHBOARD_CLIENTS_MAX = 16;
/** How long `finish` waits for open pages to fetch the final report. @default 5 s */
export const DASHBOARD_FINAL_WAIT_MS = 5_000;

export type LiveChartContext = Omit<TimeChartSource, 'timeline'>;

/** What the live charts know before the first interval: windows, limits, spikes, operations. */
export function liveChartContext(config: ResolvedLoadTestConfig): LiveChartContext {
  return {
    warmupS: config.warmupS,
    windows: criteriaWindows(config.criteria),
    groups: Object.fromEntries(
      config.groups.map((g) => [g.name, { profile: g.profile?.describe() ?? null }]),
    ),
    criteriaConfig: config.criteria,
    operations: [...new Set(config.groups.flatMap((g) => g.operations))],
  };
}

/** An empty icon, so that a browser asks the server for none (it may be gone once the run is over). */
const NO_ICON = '<link rel="icon" href="data:,">';

const LIVE_SCRIPT = `
(function () {
  var status = document.getElementById('status');
  var source = new EventSource('/events');
  source.onmessage = function (event) {
    var message = JSON.parse(event.data);
    status.textContent = message.status;
    window.tiervecRender(message.charts);
  };
  source.addEventListener('report', function () { source.close(); window.location.href = '/report'; });
})();
`;

function livePage(title: string): string {
  const { script, style } = loadUplot();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${NO_ICON}
<title>${escapeHtml(`Live: ${title}`)}</title>
<style>${scriptSafe(style)}${PAGE_STYLE}</style>
</head>
<body>
<h1>Load test: ${escapeHtml(title)} <span class="verdict running">LIVE</span></h1>
<p class="meta" id="status">waiting for the first interval…</p>
<div id="bands" class="bands"></div>
<div id="charts"></div>
<script>${scriptSafe(script)}</script>
<script>${CHART_SCRIPT}</script>
<script>${LIVE_SCRIPT}</script>
</body>
</html>
`;
}

function statusLine(progress: LoadTestProgress): string {
  const rate =
    progress.targetOpsPerS === null
      ? `${progress.interval.achievedRate} ops/s`
      : `${progress.interval.achievedRate} ops/s (target ${progress.targetOpsPerS})`;
  return `${progress.phase} · ${progress.elapsedS.toFixed(0)} s of ${progress.durationS} s (${Math.round(progress.fraction * 100)}%) · ${rate} · ${progress.completed} operations, ${progress.errors} errors, ${progress.dropped} dropped`;
}

export class Dashboard {
  readonly #server: LocalServer;
  readonly #state: DashboardState;

  private constructor(server: LocalServer, state: DashboardState) {
    this.#server = server;
    this.#state = state;
  }

  /** Starts serving on 127.0.0.1:`port` (0: a free port). */
  static async start(port: number, title: string, context: LiveChartContext): Promise<Dashboard> {
    const state = new DashboardState(title, context);
    const server = await startLocalServer('--dashboard-port', port, {
      '/': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(livePage(title));
      },
      '/events': (_request, response) => state.follow(response),
      // Browsers ask for an icon; answering keeps their consoles free of 404s.
      '/favicon.ico': (_request, response) => {
        response.writeHead(204).end();
      },
      '/report': (_request, response) => state.sendReport(response),
    });
    return new Dashboard(server, state);
  }

  get url(): string {
    return `${this.#server.url}/`;
  }

  /** Adds one interval and pushes the charts to every open page. */
  onProgress(progress: LoadTestProgress): void {
    this.#state.add(progress);
  }

  /** Serves the final report and tells open pages to load it; waits (bounded) until they have. */
  finish(report: LoadTestReport, waitMs = DASHBOARD_FINAL_WAIT_MS): Promise<void> {
    return this.#state.finish(renderHtml(report).replace('<head>', `<head>${NO_ICON}`), waitMs);
  }

  close(): Promise<void> {
    this.#state.end();
    return this.#server.close();
  }
}

/** The timeline so far, the pages following it, and the final report once there is one. */
class DashboardState {
  readonly #context: LiveChartContext;
  readonly #timeline: TimelineEntry[] = [];
  readonly #clients = new Set<ServerResponse>();
  #status = 'waiting for the first interval…';
  #reportHtml: string | undefined;
  /** Pages told to load the report that have not yet fetched it. */
  #waiting = 0;
  #allFetched: (() => void) | undefined;

  constructor(
    readonly title: string,
    context: LiveChartContext,
  ) {
    this.#context = context;
  }

  #message(): string {
    const charts = timeChartData({ ...this.#context, timeline: this.#timeline });
    return `data: ${JSON.stringify({ status: this.#status, charts })}\n\n`;
  }

  follow(response: ServerResponse): void {
    if (this.#clients.size >= DASHBOARD_CLIENTS_MAX) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`at most ${DASHBOARD_CLIENTS_MAX} pages may follow a run\n`);
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
    response.write(this.#reportHtml === undefined ? this.#message() : 'event: report\ndata: {}\n\n');
  }

  add(progress: LoadTestProgress): void {
    this.#timeline.push(progress.interval);
    if (this.#timeline.length > DASHBOARD_TIMELINE_MAX) this.#timeline.shift();
    this.#status = statusLine(progress);
    if (this.#clients.size === 0) return;
    const message = this.#message();
    for (const client of this.#clients) client.write(message);
  }

  sendReport(response: ServerResponse): void {
    if (this.#reportHtml === undefined) {
      response
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('the run is not over yet\n');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(this.#reportHtml);
    this.#waiting = Math.max(0, this.#waiting - 1);
    if (this.#waiting === 0) this.#allFetched?.();
  }

  finish(html: string, waitMs: number): Promise<void> {
    this.#reportHtml = html;
    this.#waiting = this.#clients.size;
    for (const client of this.#clients) client.write('event: report\ndata: {}\n\n');
    if (this.#waiting === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.#allFetched = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  end(): void {
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    this.#allFetched?.();
  }
}
