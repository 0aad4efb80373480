import { type Server, createServer } from 'node:http';
import type { ScannerMetrics } from '@wallet/scanner';

/**
 * Serves `/metrics` in the Prometheus text format: per chain, whether this node is the active scanner,
 * its checkpoint, the node head and the lag between them, and whether the scanner is stalled.
 */
export async function startMetricsServer(
  host: string,
  port: number,
  scanners: () => ScannerMetrics[],
): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const lines: string[] = [];
    const gauge = (name: string, help: string, value: (m: ScannerMetrics) => number | null) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const m of scanners()) {
        const v = value(m);
        if (v !== null) lines.push(`${name}{chain="${m.chain}"} ${v}`);
      }
    };
    gauge('wallet_scanner_leader', '1 when this process is the active scanner of the chain', (m) => (m.leader ? 1 : 0));
    gauge('wallet_scanner_checkpoint', 'Last scanned block height', (m) => (m.leader ? m.checkpoint : null));
    gauge('wallet_scanner_head', 'Node head height', (m) => (m.leader ? m.head : null));
    gauge('wallet_scanner_lag_blocks', 'Node head minus scanned height', (m) => (m.leader ? m.lag : null));
    gauge('wallet_scanner_stalled', '1 when the node advances but the scanner does not', (m) => (m.leader ? (m.stalled ? 1 : 0) : null));
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, address: `${host}:${(server.address() as { port: number }).port}` };
}
