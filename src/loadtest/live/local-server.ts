/**
 * A small HTTP server on 127.0.0.1 for the live views of a run (the dashboard and the metrics
 * endpoint): listens on a checked port (0 picks a free one), routes GET requests by path, answers
 * 404 and 405 itself, and closes with every open connection. It never listens beyond the loopback
 * interface and never serves files from disk.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkInteger, ErrorCode, TierVecError } from '../../errors.ts';

export const LIVE_HOST = '127.0.0.1';

export type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface LocalServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1:`port`; IO_ERROR naming the port when it cannot listen there. */
export async function startLocalServer(
  option: string,
  port: number,
  routes: Record<string, Route>,
): Promise<LocalServer> {
  checkInteger(option, port, 0, 65_535);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    const route = routes[path];
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`no ${path} here\n`);
      return;
    }
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    Promise.resolve(route(request, response)).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new TierVecError(
          ErrorCode.IO_ERROR,
          `Cannot listen on ${LIVE_HOST}:${port} for \`${option}\`: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen(port, LIVE_HOST, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://${LIVE_HOST}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
