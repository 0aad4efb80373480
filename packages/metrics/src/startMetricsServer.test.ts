import { afterEach, describe, expect, it } from 'vitest';
import { metricCatalog } from './metricCatalog.js';
import { Metrics } from './Metrics.js';
import { type MetricsServer, startMetricsServer } from './startMetricsServer.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('startMetricsServer', () => {
  it('serves /metrics, /healthz and /readyz (503 until ready) on a port of its own', async () => {
    const metrics = new Metrics({ service: 'accountsrv', instance: 'a-1', processMetrics: false });
    metrics.gauge(metricCatalog.signingPaused).set(0);
    const server = await startMetricsServer(metrics, '127.0.0.1:0');
    servers.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);

    const scrape = await fetch(`${server.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await scrape.text()).toContain('wallet_signing_paused{service="accountsrv",instance="a-1"} 0');

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    metrics.ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses to start on a port already taken (a second process with the same fixed port)', async () => {
    const metrics = new Metrics({ service: 's', instance: 'i', processMetrics: false });
    const first = await startMetricsServer(metrics, '127.0.0.1:0');
    servers.push(first);
    await expect(startMetricsServer(metrics, first.url.replace('http://', ''))).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
