import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { sendJson, sendText } from './body.js';

/** A route answers a request and returns true, or returns false to let the next one try. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface HttpServerDeps {
  logger: Logger;
  metrics: Metrics;
  handlers: Handler[];
  ready: () => Promise<boolean> | boolean;
}

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<{ port: number; url: string }>;
  /** Stops accepting connections and waits for in-flight requests (up to timeoutMs). */
  close(timeoutMs: number): Promise<void>;
  inFlight(): number;
}

const routeLabel = (path: string) =>
  [
    '/slack/events',
    '/alerts/alertmanager',
    '/alerts/grafana',
    '/alerts/generic',
    '/healthz',
    '/readyz',
    '/metrics',
  ].includes(path)
    ? path
    : path.startsWith('/_emulator')
      ? '/_emulator'
      : path.startsWith('/api/')
        ? '/api'
        : 'other';

/** One HTTP server for Slack, alerts, health, metrics and (in local mode) the Slack emulator. */
export function createHttpServer(deps: HttpServerDeps): HttpServer {
  let inFlight = 0;
  let closing = false;
  const drained: (() => void)[] = [];

  const builtins: Handler[] = [
    (_req, res, url) => {
      if (url.pathname !== '/healthz') return false;
      sendJson(res, 200, { ok: true });
      return true;
    },
    async (_req, res, url) => {
      if (url.pathname !== '/readyz') return false;
      const ok = !closing && (await Promise.resolve(deps.ready()).catch(() => false));
      sendJson(res, ok ? 200 : 503, { ok, closing });
      return true;
    },
    async (_req, res, url) => {
      if (url.pathname !== '/metrics') return false;
      sendText(res, 200, await deps.metrics.registry.metrics(), deps.metrics.registry.contentType);
      return true;
    },
  ];
  const handlers = [...builtins, ...deps.handlers];

  const server = createServer(async (req, res) => {
    inFlight++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.on('close', () => {
      deps.metrics.httpRequests.inc({ route: routeLabel(url.pathname), code: String(res.statusCode) });
      if (--inFlight === 0 && closing) for (const d of drained.splice(0)) d();
    });
    if (closing) res.setHeader('connection', 'close');
    try {
      for (const h of handlers) if (await h(req, res, url)) return;
      sendJson(res, 404, { ok: false, error: 'not_found', path: url.pathname });
    } catch (err) {
      deps.logger.error({ err, path: url.pathname }, 'request failed');
      sendJson(res, 500, { ok: false, error: 'internal_error' });
    }
  });
  server.keepAliveTimeout = 5000;
  // Bodies are bounded in time as well as bytes: a sender trickling a webhook body is cut off after 30 s.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;

  return {
    server,
    inFlight: () => inFlight,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve({ port: a.port, url: `http://${shown}:${a.port}` });
        });
      }),
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        const done = new Promise<void>((r) => (inFlight === 0 ? r() : drained.push(r)));
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, timeoutMs);
        timer.unref();
        done.then(() => {
          server.closeIdleConnections();
        });
      }),
  };
}
