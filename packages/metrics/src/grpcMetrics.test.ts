import { describe, expect, it } from 'vitest';
import { grpcClientObserver, grpcServerObserver } from './grpcMetrics.js';
import { Metrics } from './Metrics.js';

describe('gRPC observers', () => {
  it('split the method path into service and method, and count by status code on their own side', async () => {
    const metrics = new Metrics({ service: 'transrv', instance: 't1', processMetrics: false });
    const served = grpcServerObserver(metrics);
    const made = grpcClientObserver(metrics);
    served({ path: '/wallet.v1.TransService/Transfer', code: 'OK', seconds: 0.004 });
    served({ path: '/wallet.v1.TransService/Transfer', code: 'OK', seconds: 0.02 });
    served({ path: '/wallet.v1.TransService/Transfer', code: 'FAILED_PRECONDITION', seconds: 0.001 });
    made({ path: '/wallet.v1.TransService/CreditTransfer', code: 'UNAVAILABLE', seconds: 3 });
    const { body } = await metrics.render();
    const ours = { service: 'transrv', instance: 't1' };
    const transfer = { grpc_service: 'wallet.v1.TransService', grpc_method: 'Transfer', ...ours };
    expect(sample(body, 'wallet_grpc_server_handled_total', { ...transfer, grpc_code: 'OK' })).toBe(2);
    expect(sample(body, 'wallet_grpc_server_handled_total', { ...transfer, grpc_code: 'FAILED_PRECONDITION' })).toBe(1);
    expect(sample(body, 'wallet_grpc_server_handling_seconds_bucket', { ...transfer, grpc_code: 'OK', le: '0.005' })).toBe(1);
    expect(sample(body, 'wallet_grpc_server_handling_seconds_count', { ...transfer, grpc_code: 'OK' })).toBe(2);
    const credit = { grpc_service: 'wallet.v1.TransService', grpc_method: 'CreditTransfer', grpc_code: 'UNAVAILABLE', ...ours };
    expect(sample(body, 'wallet_grpc_client_handled_total', credit)).toBe(1);
    expect(sample(body, 'wallet_grpc_server_handled_total', credit)).toBeUndefined();
    expect(sample(body, 'wallet_grpc_client_handled_total', { grpc_method: 'Transfer' })).toBeUndefined();
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
