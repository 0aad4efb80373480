import { assetRegistryEnv } from '@wallet/assets';
import {
  chainHeightsEnv,
  chainRpcEnv,
  chainWsEnv,
  commonEnv,
  crashPointsEnv,
  hostPort,
  intString,
  loadEnvConfig,
  refuseCrashPointsInProd,
} from '@wallet/config';
import { NodeId } from '@wallet/ids';
import { FiatProviderConfig } from '@wallet/rates';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  /** Stable node id given by ops. Accounts are bound to it for life: never reuse one for another node. */
  TRANSRV_NODE_ID: NodeId,
  /** gRPC listen address; port 0 lets the OS choose (the bound port is what etcd publishes). */
  TRANSRV_GRPC_ADDR: hostPort.default('127.0.0.1:0'),
  /** The host peers dial, published in etcd with the bound port (needed when listening on 0.0.0.0: a pod's IP). @default the listen host */
  TRANSRV_ADVERTISE_HOST: z.string().min(1).optional(),
  /**
   * HTTP address of /metrics (Prometheus text format; each node of a host needs a port of its own), /healthz and /readyz, apart from the service's API
   * (docs/metrics.md). Port 0 lets the OS choose; the bound URL is logged as `metrics ready`.
   */
  TRANSRV_METRICS_ADDR: hostPort.default('127.0.0.1:9190'),
  /** Whether this node campaigns to scan chains (one scanner per chain is active cluster-wide). */
  TRANSRV_SCAN: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Node WebSocket URL per EVM chain id, as JSON, for new-head subscriptions (polling continues regardless). */
  WALLET_CHAIN_WS: chainWsEnv,
  /**
   * Node RPC URL per chain id (EVM and UTXO), as JSON; chains without one are not scanned by this node. A UTXO node's
   * URL carries its RPC credentials (`http://user:password@host:port`).
   */
  WALLET_CHAIN_RPC: chainRpcEnv,
  /** Per chain id, as JSON: the first block of a chain with no checkpoint. @default the node's head at first start */
  TRANSRV_SCAN_START_HEIGHTS: chainHeightsEnv,
  /** Test-only crash points (refused in prod). */
  WALLET_CRASH_POINTS: crashPointsEnv,
  /** How long to wait for signsrv's receipt of a withdrawal before sending it again. */
  TRANSRV_RESEND_AFTER_MS: intString(100, 600_000).default(10_000),
  /** How often this node moves its event outbox into the clients' feeds (ms). */
  TRANSRV_EVENTS_MS: intString(10, 60_000).default(100),
  /**
   * Whether clients may register webhooks on loopback, private and link-local addresses, and plain http (dev and
   * tests only: in production a webhook is public https, checked again at every connection).
   */
  TRANSRV_WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /**
   * File of the key-encryption keys that seal the webhook signing secrets in MySQL (@wallet/secret-box): one key per
   * line, 64 hex characters, the sealing key first (signsrv's SIGNSRV_KEK_FILE format when there is one); every node
   * of the cluster needs the same keys. Required in every environment (no plaintext mode): the test harness and the
   * local stack generate one. docs/operations-secrets.md
   */
  TRANSRV_SECRETS_KEK_FILE: z.string().min(1, 'the path of the key file'),
  /** The waits before each retry of a failed webhook delivery (ms, comma-separated; the last repeats). */
  TRANSRV_WEBHOOK_RETRY_MS: z
    .string()
    .regex(/^[0-9]{1,9}(,[0-9]{1,9}){0,19}$/, 'comma-separated milliseconds')
    .default('10000,60000,600000,3600000')
    .transform((v) => v.split(',').map(Number)),
  /** A webhook delivery still failing this long after its first attempt is given up. */
  TRANSRV_WEBHOOK_GIVE_UP_MS: intString(1000, 30 * 24 * 3_600_000).default(24 * 3_600_000),
  /** A webhook failing without a success this long is disabled. */
  TRANSRV_WEBHOOK_DISABLE_AFTER_MS: intString(1000, 90 * 24 * 3_600_000).default(3 * 24 * 3_600_000),
  /**
   * The SMTP server notification emails go through: `smtp://[user:pass@]host:port` (STARTTLS when offered) or
   * `smtps://`. Unset: no email is sent (addresses can still be registered; they are mailed from when it is set).
   */
  TRANSRV_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'smtp:// or smtps:// URL')
    .optional(),
  /** How often each chain's network fee rate is sampled from its node (GET /v1/fees), across the cluster (ms). */
  TRANSRV_FEE_RATES_MS: intString(1000, 24 * 3_600_000).default(3_600_000),
  /**
   * Fiat price providers, tried in order (docs/api.md, GET /v1/rates): a JSON array of
   * `{"kind": "simple-price", "url": ..., "ids": {"ETH": "ethereum", ...}}` (CoinGecko's format) or
   * `{"kind": "exchange-rates", "url": ...}` (Coinbase's). Empty: no fiat rates.
   */
  TRANSRV_FIAT_PROVIDERS: z
    .string()
    .default('[]')
    .transform((text, ctx) => {
      try {
        return z.array(FiatProviderConfig).max(8).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON array of {"kind": "simple-price" | "exchange-rates", "url", ...}' });
        return z.NEVER;
      }
    }),
  /** The fiat currencies priced (ISO 4217 codes, comma-separated). */
  TRANSRV_FIAT_CURRENCIES: z
    .string()
    .regex(/^[A-Z]{3}(,[A-Z]{3}){0,19}$/, 'comma-separated ISO 4217 codes like USD,CNY')
    .default('USD')
    .transform((v) => v.split(',')),
  /** How often fiat prices are refreshed, across the cluster (ms). */
  TRANSRV_FIAT_RATES_MS: intString(10_000, 24 * 3_600_000).default(300_000),
  /** The From of notification emails. */
  TRANSRV_EMAIL_FROM: z.string().min(3).max(200).default('Wallet <wallet@localhost>'),
  /** The waits before each retry of a temporarily refused email (ms, comma-separated; the last repeats). */
  TRANSRV_EMAIL_RETRY_MS: z
    .string()
    .regex(/^[0-9]{1,9}(,[0-9]{1,9}){0,19}$/, 'comma-separated milliseconds')
    .default('60000,300000,1800000,7200000')
    .transform((v) => v.split(',').map(Number)),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const config = loadEnvConfig(ConfigSchema, env, ['TRANSRV_']);
  refuseCrashPointsInProd(config);
  return config;
}
