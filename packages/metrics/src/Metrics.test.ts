import { describe, expect, it } from 'vitest';
import { metricCatalog } from './metricCatalog.js';
import { Metrics } from './Metrics.js';

const line = (text: string, prefix: string): string | undefined => text.split('\n').find((l) => l.startsWith(prefix));

describe('Metrics', () => {
  it("labels every series with the process's service and instance", async () => {
    const metrics = new Metrics({ service: 'gatesrv', instance: 'g-1' });
    metrics.counter(metricCatalog.httpRequests).inc({ route: '/v1/x', method: 'GET', status_code: '200' });
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('wallet_http_requests_total{route="/v1/x",method="GET",status_code="200",service="gatesrv",instance="g-1"} 1');
    // Node.js process metrics are on by default, with the same labels.
    expect(body).toMatch(/process_cpu_user_seconds_total\{service="gatesrv",instance="g-1"\}/);
  });

  it('gives the same metric object for a catalogue entry on every call (plugin, observers and collectors share it)', () => {
    const metrics = new Metrics({ service: 's', instance: 'i', processMetrics: false });
    expect(metrics.gauge(metricCatalog.streamLag)).toBe(metrics.gauge(metricCatalog.streamLag));
  });

  it('refills collected gauges on every scrape: series that vanished are dropped', async () => {
    const metrics = new Metrics({ service: 's', instance: 'i', processMetrics: false });
    const gauge = metrics.gauge(metricCatalog.signingHalted);
    let halted = ['ETH', 'LTC'];
    metrics.collectOnScrape({
      name: 'halts',
      gauges: [gauge],
      collect: async () => halted.map((asset) => ({ gauge, labels: { asset }, value: 1 })),
    });
    expect((await metrics.render()).body).toContain('wallet_signing_halted{asset="LTC",service="s",instance="i"} 1');
    halted = ['ETH'];
    const { body } = await metrics.render();
    expect(body).toContain('wallet_signing_halted{asset="ETH"');
    expect(body).not.toContain('asset="LTC"');
  });

  it('keeps the last values and counts an error when a collection fails; the scrape still answers', async () => {
    const errors: string[] = [];
    const metrics = new Metrics({ service: 's', instance: 'i', processMetrics: false }, (c) => errors.push(c));
    const gauge = metrics.gauge(metricCatalog.signingPaused);
    let fail = false;
    metrics.collectOnScrape({
      name: 'controls',
      gauges: [gauge],
      collect: async () => {
        if (fail) throw new Error('MySQL went away');
        return [{ gauge, value: 1 }];
      },
    });
    await metrics.render();
    fail = true;
    const { body } = await metrics.render();
    expect(line(body, 'wallet_signing_paused{')).toBe('wallet_signing_paused{service="s",instance="i"} 1');
    expect(line(body, 'wallet_metrics_collect_errors_total{collector="controls"')).toMatch(/ 1$/);
    expect(errors).toEqual(['controls']);
  });

  it('answers within the timeout when a collection hangs, and starts no second one while it runs', async () => {
    const metrics = new Metrics({ service: 's', instance: 'i', processMetrics: false });
    const gauge = metrics.gauge(metricCatalog.signingQueue);
    let calls = 0;
    let release: (() => void) | undefined;
    metrics.collectOnScrape({
      name: 'queue',
      gauges: [gauge],
      timeoutMs: 50,
      collect: () => {
        calls++;
        if (calls === 1) return Promise.resolve([{ gauge, labels: { stage: 'review' }, value: 3 }]);
        // A slow database: this one answers only when released.
        return new Promise((resolve) => {
          release = () => resolve([{ gauge, labels: { stage: 'review' }, value: 7 }]);
        });
      },
    });
    await metrics.render();
    const started = performance.now();
    const slow = await metrics.render();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(line(slow.body, 'wallet_signing_queue{stage="review"')).toMatch(/ 3$/);
    expect(line(slow.body, 'wallet_metrics_collect_errors_total{collector="queue"')).toMatch(/ 1$/);
    const again = await metrics.render();
    expect(calls).toBe(2);
    expect(line(again.body, 'wallet_metrics_collect_errors_total{collector="queue"')).toMatch(/ 2$/);
    release?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const late = await metrics.render();
    expect(calls).toBe(3);
    expect(line(late.body, 'wallet_signing_queue{stage="review"')).toMatch(/ 7$/);
  });
});
