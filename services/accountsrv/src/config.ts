import { assetRegistryEnv } from '@wallet/assets';
import { chainRpcEnv, commonEnv, hostPort, loadEnvConfig } from '@wallet/config';
import { WalletError } from '@wallet/errors';
import { z } from 'zod';

/** Account-level extended PUBLIC keys per chain id, as JSON: `{"eth": "xpub...", "btc": "vpub...", "ltc": "..."}`. */
const xpubsEnv = z.string().transform((text, ctx) => {
  try {
    return z.record(z.string().regex(/^[a-z][a-z0-9]{1,15}$/), z.string().min(100).max(120)).parse(JSON.parse(text));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected JSON {"<chain>": "<account-level extended public key>"}' });
    return z.NEVER;
  }
});

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  /**
   * The chains transrv scans (the keys of transrv's WALLET_CHAIN_RPC; the URLs are not used here): a deposit address
   * is only issued on a scanned chain, since coins sent to any other would go unnoticed.
   */
  WALLET_CHAIN_RPC: chainRpcEnv,
  /** gRPC listen address; port 0 lets the OS choose (the bound port is what etcd publishes). */
  ACCOUNTSRV_GRPC_ADDR: hostPort.default('127.0.0.1:0'),
  /**
   * HTTP address of /metrics (Prometheus text format), /healthz and /readyz, apart from the service's API
   * (docs/metrics.md). Port 0 lets the OS choose; the bound URL is logged as `metrics ready`.
   */
  ACCOUNTSRV_METRICS_ADDR: hostPort.default('127.0.0.1:9181'),
  /** The host peers dial, published in etcd with the bound port (needed when listening on 0.0.0.0: a pod's IP). @default the listen host */
  ACCOUNTSRV_ADVERTISE_HOST: z.string().min(1).optional(),
  /** Extended public keys for deposit addresses. Private keys never reach accountsrv. */
  ACCOUNTSRV_XPUBS: xpubsEnv,
  /**
   * File of the key-encryption keys that seal the API keys' HMAC secrets in MySQL (@wallet/secret-box): one key per
   * line, 64 hex characters, the sealing key first (signsrv's SIGNSRV_KEK_FILE format when there is one). Required in
   * every environment (no plaintext mode): the test harness and the local stack generate one. docs/operations-secrets.md
   */
  ACCOUNTSRV_SECRETS_KEK_FILE: z.string().min(1, 'the path of the key file'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const config = loadEnvConfig(ConfigSchema, env, ['ACCOUNTSRV_']);
  const missing = [...config.WALLET_ASSETS.chains.keys()].filter((chain) => !config.ACCOUNTSRV_XPUBS[chain]);
  if (missing.length > 0) {
    throw new WalletError(
      'CONFIG_INVALID',
      `invalid configuration: ACCOUNTSRV_XPUBS: no extended public key for chain ${missing.join(', ')}`,
      {
        details: { variables: ['ACCOUNTSRV_XPUBS'] },
      },
    );
  }
  return config;
}
