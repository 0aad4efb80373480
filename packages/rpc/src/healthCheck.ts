import { HealthCheckResponse_ServingStatus, HealthService } from '@wallet/proto';
import { createClient } from './createClient.js';
import type { ClientTls } from './GrpcTls.js';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNREACHABLE';

/**
 * Asks a peer's standard gRPC health service whether `service` is serving.
 * @param address `host:port`
 * @param service fully qualified service name; '' for the whole server @default ''
 * @param timeoutMs @default 1000
 * @param tls mTLS to the peer's service @default plaintext
 */
export async function checkHealth(address: string, service = '', timeoutMs = 1000, tls?: ClientTls): Promise<HealthStatus> {
  const client = createClient({ check: HealthService.check }, address, {
    tls,
    defaultTimeoutMs: timeoutMs,
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0, retryableStatuses: [] },
  });
  try {
    const response = await client.check({ service });
    return response.status === HealthCheckResponse_ServingStatus.SERVING ? 'SERVING' : 'NOT_SERVING';
  } catch {
    return 'UNREACHABLE';
  } finally {
    client.close();
  }
}
