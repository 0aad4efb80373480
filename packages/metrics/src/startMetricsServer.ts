import { type Server, createServer } from 'node:http';
import type { Metrics } from './Metrics.js';

export type MetricsServer = {
  /** `http://host:port` of the bound address (port 0 resolved). */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
};

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (200 while the process runs) and `/readyz` (200 once
 * `metrics.ready`, else 503) on a port of their own, apart from the service's API: scrapers and probes never meet its
 * authentication, rate limits or load balancer.
 * @param address `host:port`; port 0 picks a free one
 */
export async function startMetricsServer(metrics: Metrics, address: string): Promise<MetricsServer> {
  const host = address.slice(0, address.lastIndexOf(':'));
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      if (metrics.ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n');
    } else if (path === '/metrics') {
      metrics.render().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
