import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { httpMetrics } from './httpMetrics.js';
import { Metrics } from './Metrics.js';

describe('httpMetrics', () => {
  it('labels requests by route pattern, never the raw URL, with method and status; unmatched ones share one label', async () => {
    const metrics = new Metrics({ service: 'gatesrv', instance: 'g', processMetrics: false });
    const app = Fastify();
    await app.register(httpMetrics, { metrics });
    app.get('/v1/accounts/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      return id === 'missing' ? reply.code(404).send({}) : { id };
    });
    app.register(async (v1) => {
      v1.post('/v1/transfers', async () => ({ ok: true }));
    });
    for (const id of ['a1', 'a2', 'a3']) expect((await app.inject({ url: `/v1/accounts/${id}` })).statusCode).toBe(200);
    await app.inject({ url: '/v1/accounts/missing' });
    await app.inject({ method: 'POST', url: '/v1/transfers', payload: {} });
    await app.inject({ url: '/no/such/route/42' });
    await app.close();

    const { body } = await metrics.render();
    const ours = { service: 'gatesrv', instance: 'g' };
    const count = (route: string, method: string, status_code: string) =>
      sample(body, 'wallet_http_requests_total', { route, method, status_code, ...ours });
    expect(count('/v1/accounts/:id', 'GET', '200')).toBe(3);
    expect(count('/v1/accounts/:id', 'GET', '404')).toBe(1);
    expect(count('/v1/transfers', 'POST', '200')).toBe(1);
    expect(count('unmatched', 'GET', '404')).toBe(1);
    expect(body).not.toContain('a1');
    expect(body).not.toContain('/no/such');
    const route = { route: '/v1/accounts/:id', method: 'GET', status_code: '200', ...ours };
    expect(sample(body, 'wallet_http_request_duration_seconds_count', route)).toBe(3);
    expect(sample(body, 'wallet_http_request_duration_seconds_bucket', { ...route, le: '10' })).toBe(3);
  });
});

/** The value of the series `name` whose labels include `labels` (label order in the text is prom-client's). */
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  for (const l of body.split('\n')) {
    const m = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(l);
    if (!m || m[1] !== name) continue;
    const have = new Map([...m[2]!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((p) => [p[1], p[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}
