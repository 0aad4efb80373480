import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from './Metrics.js';
import { metricCatalog } from './metricCatalog.js';

/**
 * A fastify plugin counting requests and observing their latency by route pattern (`/v1/accounts/:id`, never the raw
 * URL, so the series stay bounded), method and status code. Requests no route matched share the route `unmatched`.
 * Registered with fastify-plugin, so its hook covers every route of the app it is registered on.
 */
export const httpMetrics = fp(
  (app: FastifyInstance, opts: { readonly metrics: Metrics }, done: (err?: Error) => void) => {
    const requests = opts.metrics.counter(metricCatalog.httpRequests);
    const duration = opts.metrics.histogram(metricCatalog.httpDuration);
    app.addHook('onResponse', (request, reply, next) => {
      const labels = {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status_code: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      next();
    });
    done();
  },
  { name: 'wallet-http-metrics', fastify: '5.x' },
);
