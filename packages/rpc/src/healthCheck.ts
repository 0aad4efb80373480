import { createClient } from './createClient.js';
import type { ClientTls } from './GrpcTls.js';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNREACHABLE';

/**
 * Asks a peer's standard gRPC health service whether `service` is serving, over a channel opened for this one check
 * and closed after it. For a one-off look (walletctl health); a process that checks peers repeatedly asks the client it
 * already holds ({@link PromiseClient.checkHealth}), whose channel stays open.
 * @param address `host:port`
 * @param service fully qualified service name; '' for the whole server @default ''
 * @param timeoutMs @default 1000
 * @param tls mTLS to the peer's service @default plaintext
 */
export async function checkHealth(address: string, service = '', timeoutMs = 1000, tls?: ClientTls): Promise<HealthStatus> {
  const client = createClient({}, address, { tls });
  try {
    return await client.checkHealth({ service, timeoutMs });
  } finally {
    client.close();
  }
}
