/**
 * `--metrics-port`: an OpenMetrics endpoint (`GET /metrics` on 127.0.0.1) during a run. Each
 * scrape joins the texts of its sources — the harness's own figures and the store's — into one
 * exposition ending with a single `# EOF`. A source that cannot answer (the store closes while the
 * report is written) is left out of that scrape rather than failing it.
 */

import { type LocalServer, startLocalServer } from './local-server.ts';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** A source of OpenMetrics text (with or without its `# EOF`). */
export type MetricsSource = () => Promise<string>;

/** One exposition from several: each text's `# EOF` removed, one at the end. */
export async function joinExpositions(sources: readonly MetricsSource[]): Promise<string> {
  const texts = await Promise.all(
    sources.map((source) =>
      source().then(
        (text) => text.replace(/# EOF\n?$/, ''),
        () => '', // The source is gone (closed store): this scrape goes without it.
      ),
    ),
  );
  return `${texts.filter((text) => text !== '').join('')}# EOF\n`;
}

/** Serves `GET /metrics` on 127.0.0.1:`port` (0: a free port). */
export function startMetricsServer(port: number, sources: readonly MetricsSource[]): Promise<LocalServer> {
  return startLocalServer('--metrics-port', port, {
    '/metrics': async (_request, response) => {
      const body = await joinExpositions(sources);
      response.writeHead(200, { 'content-type': OPENMETRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
      response.end(body);
    },
  });
}
