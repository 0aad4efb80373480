import { runWalletctl } from '@wallet/walletctl';
import type { Credentials } from './ApiClient.js';
import type { Cluster } from './Cluster.js';

/** Runs walletctl in-process against a test cluster; returns its exit code and output lines. */
export async function walletctl(cluster: Cluster, ...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runWalletctl(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, { ...process.env, ...cluster.serviceEnv });
  return { code, out, err };
}

/** Creates an exchange client the way ops do (`walletctl clients create --json`). */
export async function createApiClient(cluster: Cluster, name: string): Promise<Credentials & { clientId: string }> {
  const { code, out } = await walletctl(cluster, 'clients', 'create', '--name', name, '--json');
  if (code !== 0) throw new Error(`walletctl failed: ${out.join('\n')}`);
  const parsed = JSON.parse(out.join('\n')) as { clientId: string; keyId: string; secret: string };
  return { clientId: parsed.clientId, keyId: parsed.keyId, secret: parsed.secret };
}
